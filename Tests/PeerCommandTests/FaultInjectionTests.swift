import Foundation
import Peer
import Testing

/// `peer launch --inject` on real processes: the cheap cases of the kill matrix and a freeze,
/// each a four-peer ring (threshold 3) of four rounds, phases timing out after 5 s.
@Suite(.serialized) struct FaultInjectionTests {
    private func launch(_ federation: LocalFederation, _ extra: [String]) throws -> PeerProcess {
        try PeerProcess.run(["launch", federation.topologyPath, "--data-root", LocalFederation.dataRoot, "--keys-dir", federation.directory + "/keys",
                             "--state-root", federation.directory + "/state", "--phase-timeout", "5"] + extra)
    }

    /// The peer `injection` falls on, as the dry run names it.
    private func victim(of injection: String, in federation: LocalFederation) throws -> String {
        let dryRun = try launch(federation, ["--inject", injection, "--dry-run"])
        let line = try #require(dryRun.standardOutput.split(separator: "\n").first { $0.contains(injection + " falls on ") }, "\(dryRun.standardOutput)")
        return String(try #require(line.split(separator: " ").last))
    }

    private func table(_ result: PeerProcess) throws -> [String: Any] {
        let start = try #require(result.standardOutput.range(of: "{\n")?.lowerBound, "no JSON in: \(result.standardOutput)\n\(result.standardError)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput[start...].utf8)) as? [String: Any])
    }

    /// Runs the federation with `plan` and checks what every case must give: exit 0, every
    /// injection observed, every peer (the restarted one too) at the last round on one model.
    private func run(_ federation: LocalFederation, plan: String) throws -> [String: Any] {
        let result = try launch(federation, ["--inject", plan, "--json"])
        let table = try table(result)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        #expect(table["agree"] as? Bool == true)
        let injections = try #require(table["injections"] as? [[String: Any]])
        #expect(injections.count == plan.split(separator: ",").count && injections.allSatisfy { $0["observed"] is String }, "\(injections)")
        for id in federation.ids { #expect(try federation.journal(id).last?.round == 4, "\(id)") }
        #expect(Set(try federation.ids.map { try federation.newestCheckpoint($0) }).count == 1)
        return table
    }

    /// A leaf killed as it enters masked-input of round 2: the others complete round 2
    /// without it (it is dropped, lost in masked-input, or was never in their roster); started again in round 3, it catches
    /// up and contributes to round 4.
    @Test func aLeafKilledInMaskedInputIsDroppedAndRejoins() throws {
        let federation = try LocalFederation(rounds: 4)
        let leaf = try victim(of: "kill:leaf@2:masked-input", in: federation)
        _ = try run(federation, plan: "kill:leaf@2:masked-input,restart:\(leaf)@3")
        for id in federation.ids where id != leaf {
            let round2 = try #require(try federation.journal(id).first { $0.round == 2 })
            // Dropped in masked-input; or, where the others' round had begun without it (a
            // loaded machine), never in their roster: the round completes without it either way.
            let dropped = round2.dropped == [leaf] && round2.lostIn[leaf] == "masked-input"
            let absent = round2.dropped.isEmpty && !round2.contributors.contains(leaf)
            #expect(round2.kind == .completed && (dropped || absent),
                    "\(id): \(round2.kind) dropped \(round2.dropped) lost \(round2.lostIn) contributors \(round2.contributors)")
        }
        let rejoined = try federation.journal(leaf)
        #expect(rejoined.last?.contributors.contains(leaf) == true, "\(rejoined.map { ($0.round, $0.kind.rawValue, $0.contributors) })")
    }

    /// The coordinator killed as it enters tree-sum of round 2: round 2 ends on at most one
    /// model among the peers that completed it; started again at once (while the others still
    /// wait for its Total), it catches up and contributes to the last round.
    @Test func aCoordinatorKilledInTreeSumLeavesNoForkAndRejoins() throws {
        let federation = try LocalFederation(rounds: 4)
        let coordinator = try victim(of: "kill:coordinator@2:tree-sum", in: federation)
        _ = try run(federation, plan: "kill:coordinator@2:tree-sum,restart:\(coordinator)@2")
        let round2 = try federation.ids.compactMap { id in try federation.journal(id).first { $0.round == 2 && $0.kind == .completed } }
        #expect(Set(round2.map(\.modelHash)).count <= 1)
        let rejoined = try federation.journal(coordinator)
        #expect(rejoined.last?.contributors.contains(coordinator) == true, "\(rejoined.map { ($0.round, $0.kind.rawValue, $0.contributors) })")
    }

    /// The coordinator killed as it enters unmask of round 2, its Total out or not: started
    /// again, it must not run round 2 alone and pass its older model on. No peer's model ever
    /// goes back to one it had left, and every peer ends on one model.
    @Test func aCoordinatorKilledInUnmaskPassesNoOlderModelOn() throws {
        let federation = try LocalFederation(rounds: 4)
        let coordinator = try victim(of: "kill:coordinator@2:unmask", in: federation)
        _ = try run(federation, plan: "kill:coordinator@2:unmask,restart:\(coordinator)@3")
        for id in federation.ids {
            let models = try federation.journal(id).map(\.modelHash)
            let changes = models.enumerated().filter { $0.offset == 0 || models[$0.offset - 1] != $0.element }.map(\.element)
            #expect(Set(changes).count == changes.count, "\(id) went back to an earlier model: \(models.map { $0.prefix(8) })")
        }
    }

    /// The coordinator killed as it enters masked-input of round 2 (round 2 aborts: nothing
    /// was revealed) and started again at once: round 3 completes, every peer ends it on one
    /// model, and the restarted coordinator contributes to the last round.
    @Test func aRoundAfterAnAbortCompletes() throws {
        let federation = try LocalFederation(rounds: 4)
        let coordinator = try victim(of: "kill:coordinator@2:masked-input", in: federation)
        _ = try run(federation, plan: "kill:coordinator@2:masked-input,restart:\(coordinator)@2")
        var round3: Set<String> = []
        for id in federation.ids {
            let journal = try federation.journal(id)
            let round2 = try #require(journal.first { $0.round == 2 }), round3Entry = try #require(journal.first { $0.round == 3 })
            #expect(round2.modelHash == journal.first { $0.round == 1 }?.modelHash, "\(id): round 2 did not abort")
            #expect([.completed, .caughtUp].contains(round3Entry.kind), "\(id): round 3 \(round3Entry.kind) (\(round3Entry.abortReason ?? ""))")
            round3.insert(round3Entry.modelHash)
        }
        #expect(round3.count == 1)
        let rejoined = try federation.journal(coordinator)
        #expect(rejoined.last?.contributors.contains(coordinator) == true, "\(rejoined.map { ($0.round, $0.kind.rawValue, $0.contributors) })")
    }

    /// A peer frozen for 6 s (longer than the failure detector's 3 s) as it enters
    /// masked-input of round 2: the others complete round 2 without it (dropped, lost in
    /// masked-input); it continues, finds the rounds gone on, catches up, and the federation
    /// ends in agreement.
    @Test func aFrozenPeerFindsTheRoundGoneOnAndCatchesUp() throws {
        let federation = try LocalFederation(rounds: 4)
        let table = try run(federation, plan: "stop:peer-3@2:masked-input:6")
        let observed = try #require((table["injections"] as? [[String: Any]])?.first?["observed"] as? String)
        #expect(observed.contains("frozen 6.0 s as it entered masked-input of round 2"), "\(observed)")
        for id in federation.ids where id != "peer-3" {
            let round2 = try #require(try federation.journal(id).first { $0.round == 2 })
            #expect(round2.kind == .completed && round2.dropped == ["peer-3"] && round2.lostIn["peer-3"] == "masked-input",
                    "\(id): \(round2.kind) dropped \(round2.dropped) lost \(round2.lostIn)")
        }
    }
}
