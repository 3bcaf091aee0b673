import Crypto
import Testing
@testable import Gossip
@testable import Peer

/// A peer that missed a round takes the round's result from a neighbour, checked against the
/// coordinator's signed Total and Outcome (docs/PROTOCOL.md, "Catching up").
@Suite struct CatchUpTests {
    typealias Message = RoundMessage<UInt32>

    /// Runs round 1 with `victim` crashing as it starts masking its input, then restarts it.
    private func missedRound(peers: Int = 6) async throws -> (ManualFederation, [String: RoundOutcome], String, SecureAggregationPeer<UInt32>) {
        let federation = try ManualFederation(.ring, peers: peers, threshold: 3)
        let victim = federation.topology.peers.map(\.id).first { $0 != federation.coordinator(round: 1) }!
        let outcomes = await federation.run(round: 1) { peer, phase in
            if peer == victim && phase == "masked-input" { federation.network.crash(victim) }
        }
        #expect(outcomes[victim]?.abortReason == .stopped)
        return (federation, outcomes, victim, try federation.restart(victim))
    }

    @Test func aRestartedPeerEndsOnTheSameAggregateAsTheSurvivors() async throws {
        let (federation, outcomes, victim, restarted) = try await missedRound()
        let survivors = outcomes.values.filter { $0.peer != victim }
        #expect(survivors.allSatisfy { $0.abortReason == nil })
        let caughtUp = await restarted.catchUp(round: 1, dimension: 50)
        #expect(caughtUp.abortReason == nil)
        #expect(caughtUp.sumBytes != nil && caughtUp.sumBytes == survivors.first?.sumBytes)
        #expect(caughtUp.aggregateHash == survivors.first?.aggregateHash && caughtUp.average == survivors.first?.average)
        #expect(caughtUp.contributors == survivors.first?.contributors && !caughtUp.contributors.contains(victim))
        #expect(federation.topology.neighbours[victim]!.contains(caughtUp.caughtUpFrom ?? ""))
        // It now serves the round in turn.
        #expect(restarted.record(round: 1)?.outcome.aggregateHash == caughtUp.aggregateHash)
    }

    /// The first neighbour asked serves an aggregate with one word changed: it is refused, and
    /// the next neighbour's record is taken.
    @Test func aTamperedRecordIsRefusedAndTheNextNeighbourServes() async throws {
        let (federation, outcomes, victim, restarted) = try await missedRound()
        let first = federation.topology.neighbours[victim]!.first!
        let honest = try #require(federation.peers[first]!.record(round: 1))
        var words = honest.words
        words[3] &+= 1
        federation.peers[first]!.keep(.init(total: honest.total, outcome: honest.outcome, words: words))
        let caughtUp = await restarted.catchUp(round: 1, dimension: 50)
        #expect(caughtUp.abortReason == nil && caughtUp.caughtUpFrom != first)
        #expect(caughtUp.aggregateHash == outcomes.values.first { $0.peer != victim }?.aggregateHash)
        #expect(restarted.refusals.contains { $0.contains("from \(first)") && $0.contains("does not have the hash the Outcome names") })
    }

    @Test func everyFaultOfARecordIsFound() async throws {
        let (federation, _, _, restarted) = try await missedRound()
        let holder = federation.peers.values.first { $0.record(round: 1) != nil }!
        let good = try #require(holder.record(round: 1))
        let total = good.total, outcome = good.outcome
        func fault(_ record: Message.Record.Held, round: UInt64 = 1, dimension: Int = 50) -> String? {
            do { try restarted.check(record, round: round, dimension: dimension); return nil } catch { return "\(error)" }
        }
        #expect(fault(good) == nil)
        #expect(fault(good, dimension: 49)?.contains("has 51 words, not 50") == true)
        // A Total re-signed by another peer than its coordinator.
        let other = federation.topology.peers.map(\.id).first { $0 != total.coordinator }!
        let body = Message.totalBody(round: 1, coordinator: total.coordinator, contributors: total.contributors, dropped: total.dropped,
                                     sumHash: total.sumHash)
        let forged = Message.Total(round: 1, coordinator: total.coordinator, contributors: total.contributors, dropped: total.dropped,
                                   sumHash: total.sumHash,
                                   signature: federation.identities[other]!.signature(for: Message.totalContext + federation.topology.federationID.bytes + body))
        #expect(fault(.init(total: forged, outcome: outcome, words: good.words))?.contains("Total") == true)
        // The record of round 1 presented as round 2's.
        #expect(fault(good, round: 2)?.contains("Total") == true)
        // An Outcome for another Total: the coordinator's valid signature over a different Total hash.
        let otherHash = [UInt8](repeating: 9, count: 32)
        let outcomeBody = Message.outcomeBody(round: 1, coordinator: outcome.coordinator, totalHash: otherHash, aggregateHash: outcome.aggregateHash,
                                              base: outcome.base, model: outcome.model)
        let misplaced = Message.Outcome(round: 1, coordinator: outcome.coordinator, totalHash: otherHash, aggregateHash: outcome.aggregateHash,
                                        base: outcome.base, model: outcome.model, signature: federation.identities[outcome.coordinator]!.signature(
                                            for: Message.outcomeContext + federation.topology.federationID.bytes + outcomeBody))
        #expect(fault(.init(total: total, outcome: misplaced, words: good.words))?.contains("Outcome") == true)
    }

    @Test func aRoundNoNeighbourHoldsIsReportedMissing() async throws {
        let (_, _, _, restarted) = try await missedRound()
        let start = ContinuousClock.now
        let outcome = await restarted.catchUp(round: 7, dimension: 50)
        #expect(outcome.abortReason == .missing("a valid record of round 7 from a neighbour"))
        // Neighbours answer that they hold nothing; no phase timeout is waited out.
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func aRecordNobodyAskedForIsRefused() async throws {
        let (federation, _, victim, restarted) = try await missedRound()
        let neighbour = federation.topology.neighbours[victim]!.first!
        let record = try #require(federation.peers[neighbour]!.record(round: 1))
        await restarted.receive(Message.record(.init(round: 1, held: record)).encoded, from: neighbour)
        #expect(restarted.refusals.contains { $0.contains("unasked-for record of round 1") })
        #expect(restarted.record(round: 1) == nil)
    }

    @Test func recordsRoundTripAndOnlyTheLastRoundsAreKept() async throws {
        let (federation, _, victim, _) = try await missedRound()
        let neighbour = federation.peers[federation.topology.neighbours[victim]!.first!]!
        let record = try #require(neighbour.record(round: 1))
        let encoded = Message.record(.init(round: 1, held: record)).encoded
        guard case .record(let copy) = try Message.decode(encoded, peerLimit: 6, wordLimit: 51), let held = copy.held else {
            Issue.record("not decoded as a held record"); return
        }
        #expect(copy.round == 1 && held.total == record.total && held.outcome == record.outcome && held.words == record.words)
        #expect(throws: WireReader.Malformed.self) { try Message.decode(encoded, peerLimit: 6, wordLimit: 50) }
        guard case .record(let none) = try Message.decode(Message.record(.init(round: 4, held: nil)).encoded, peerLimit: 6, wordLimit: 0) else {
            Issue.record("decoded as another kind"); return
        }
        #expect(none.held == nil && none.round == 4)
        for round in UInt64(2)...3 {
            let total = Message.Total(round: round, coordinator: record.total.coordinator, contributors: record.total.contributors,
                                      dropped: record.total.dropped, sumHash: record.total.sumHash, signature: record.total.signature)
            neighbour.keep(.init(total: total, outcome: record.outcome, words: []))
        }
        #expect(neighbour.record(round: 1) == nil && neighbour.record(round: 2) != nil && neighbour.record(round: 3) != nil)
    }

    /// `peer simulate --rejoin`: the peers crashed in a round restart, catch up on it, and take
    /// part in the next round.
    @Test func restartedPeersCatchUpAndTakePartInTheNextRound() async throws {
        let (topology, identities) = try federation(.randomRegular, peers: 10, threshold: 5, degree: 4)
        var request = Simulation.Request(topology: topology, identities: identities, dimension: 40)
        request.rounds = 3
        request.dropFraction = 0.2
        request.dropPhase = "masked-input"
        request.rejoin = true
        request.phaseTimeout = .seconds(5)
        let reports = try await Simulation.run(request)
        for report in reports {
            #expect(report.abortReason == nil && report.survivorsAgree)
            #expect(report.rejoined.count == 2 && report.caughtUp == report.rejoined)
        }
        for (earlier, later) in zip(reports, reports.dropFirst()) {
            // Back in the next round: every peer restarted after `earlier` that `later` did not crash contributes to it.
            let back = Set(earlier.rejoined).subtracting(later.crashed)
            #expect(!back.isEmpty && back.isSubset(of: Set(later.contributors)))
        }
    }
}
