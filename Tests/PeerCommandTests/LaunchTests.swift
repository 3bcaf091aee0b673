import Foundation
import Gossip
import Peer
import Testing

/// `peer launch` as an operator uses it: a whole federation on loopback from one command.
@Suite(.serialized) struct LaunchTests {
    private func launch(_ federation: LocalFederation, _ extra: [String] = []) throws -> PeerProcess {
        try PeerProcess.run(["launch", federation.topologyPath, "--data-root", LocalFederation.dataRoot, "--keys-dir", federation.directory + "/keys",
                             "--state-root", federation.directory + "/state", "--json"] + extra)
    }

    private func table(_ result: PeerProcess) throws -> [String: Any] {
        let start = try #require(result.standardOutput.range(of: "{\n")?.lowerBound, "no JSON in: \(result.standardOutput)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput[start...].utf8)) as? [String: Any])
    }

    /// Round 1 in one launch, round 2 in the next on the same state root: each peer resumes
    /// from its checkpoint, no round runs twice, and every peer ends on one model.
    @Test func aFederationRunsAndResumesFromOneCommand() throws {
        let federation = try LocalFederation(rounds: 2)
        let first = try launch(federation, ["--rounds", "1"])
        #expect(first.status == 0, "\(first.standardError)")
        let firstTable = try table(first)
        #expect(firstTable["agree"] as? Bool == true)
        let peers = try #require(firstTable["peers"] as? [[String: Any]])
        #expect(peers.map { $0["roundsCompleted"] as? Int } == [1, 1, 1, 1] && peers.allSatisfy { $0["exitStatus"] as? Int == 0 })
        #expect(first.standardOutput.contains("preflight:") && first.standardOutput.contains("ok   peer-4 on this host"))

        let second = try launch(federation)
        #expect(second.status == 0, "\(second.standardError)")
        let secondTable = try table(second)
        #expect(secondTable["agree"] as? Bool == true)
        // The resumed peers' status carries round 1 from their journals.
        let learning = try #require(secondTable["meanAUCByRound"] as? [[String: Any]])
        #expect(learning.map { $0["round"] as? Int } == [1, 2] && learning.allSatisfy { ($0["auc"] as? Double).map { (0...1).contains($0) } == true },
                "\(learning)")
        for id in federation.ids {
            let journal = try federation.journal(id)
            #expect(journal.map(\.round) == [0, 1, 2], "\(id): \(journal.map(\.round))")
            #expect(journal.dropFirst().allSatisfy { $0.kind == .completed && $0.contributors.count == 4 },
                    "\(id): \(journal.map { ($0.round, $0.kind.rawValue, $0.contributors.count, $0.abortReason ?? "") })")
            #expect(!StateLock.isHeld(federation.statePath(id)), "\(id) was stopped")
        }
        #expect(Set(try federation.ids.map { try federation.newestCheckpoint($0) }).count == 1)
    }

    /// Each preflight failure is named, and nothing is started when one fails; a dry run
    /// prints the preflight and the commands and starts nothing either.
    @Test func aFailedPreflightStartsNothing() throws {
        let federation = try LocalFederation(rounds: 1)
        let dry = try launch(federation, ["--dry-run"])
        #expect(dry.status == 0 && dry.standardOutput.contains("commands:") && dry.standardOutput.contains("run --topology"), "\(dry.standardOutput)")
        #expect(dry.standardOutput.components(separatedBy: "--linger").count == 5 && !StateLock.isHeld(federation.statePath("peer-1")))
        // A wrong key for peer-2.
        let keys = federation.directory + "/keys"
        try FileManager.default.moveItem(atPath: keys + "/peer-2.key", toPath: keys + "/peer-2.real")
        try FileManager.default.copyItem(atPath: keys + "/peer-3.key", toPath: keys + "/peer-2.key")
        let wrongKey = try launch(federation)
        #expect(wrongKey.status == 1 && wrongKey.standardOutput.contains("FAIL peer-2 on this host: key:"), "\(wrongKey.standardOutput)")
        #expect(wrongKey.standardError.contains("nothing was started"))
        #expect(!FileManager.default.fileExists(atPath: federation.statePath("peer-1") + "/peer.log"))
        try FileManager.default.removeItem(atPath: keys + "/peer-2.key")
        try FileManager.default.moveItem(atPath: keys + "/peer-2.real", toPath: keys + "/peer-2.key")

        // A peer already running on its state directory: never started twice.
        try federation.start("peer-1", ["--linger"])
        try awaitLock(federation.statePath("peer-1"))
        let running = try launch(federation)
        #expect(running.status == 1 && running.standardOutput.contains("state: \(federation.statePath("peer-1")) is in use by peer run"))
        federation.signal("peer-1", SIGTERM)
    }

    /// Hosts reached through the remote template: one without `peer` on its PATH, and one
    /// whose file at the topology's path is another topology.
    @Test func remoteHostsAreCheckedThroughTheTemplate() throws {
        let federation = try LocalFederation(rounds: 1)
        let text = try String(contentsOfFile: federation.topologyPath, encoding: .utf8)
        let port = federation.topology.peer("peer-4")!.address.port
        try text.replacingOccurrences(of: "127.0.0.1:\(port)", with: "10.254.0.4:\(port)").write(toFile: federation.topologyPath, atomically: true, encoding: .utf8)
        let empty = try launch(federation, ["--remote", "env PEER_HOST={host} PATH=/var/empty"])
        #expect(empty.status == 1 && empty.standardOutput.contains("FAIL peer-4 on 10.254.0.4: 'peer' is not on the PATH there"), "\(empty.standardOutput)")

        // A "host" whose copy of the topology differs: the template runs peer with another file there.
        let other = federation.directory + "/other.json"
        try (text + "\n").write(toFile: other, atomically: true, encoding: .utf8)
        let wrapper = federation.directory + "/elsewhere.sh"
        try """
        #!/bin/sh
        # A host whose copy of the topology is another file: HOST peer ARGUMENTS, with the
        # topology's path swapped for the other file's.
        shift
        shift
        for argument in "$@"; do
            shift
            if [ "$argument" = "\(federation.topologyPath)" ]; then set -- "$@" "\(other)"; else set -- "$@" "$argument"; fi
        done
        exec \(PeerProcess.executable.path) "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        let otherFile = try launch(federation, ["--remote", "sh \(wrapper) {host}"])
        #expect(otherFile.status == 1 && otherFile.standardOutput.contains("is another topology file"), "\(otherFile.standardOutput)\n\(otherFile.standardError)")
    }

    /// SIGINT to `peer launch` in the middle of a round: every peer stops, nothing is left
    /// running, and the launch exits 130.
    @Test func anInterruptedLaunchLeavesNothingRunning() async throws {
        let federation = try LocalFederation(rounds: 200)
        let process = Process()
        process.executableURL = PeerProcess.executable
        process.arguments = ["launch", federation.topologyPath, "--data-root", LocalFederation.dataRoot, "--keys-dir", federation.directory + "/keys",
                             "--state-root", federation.directory + "/state"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await awaitRound(3, of: federation, while: process)
        let pids = federation.ids.compactMap { StateLock.holder(of: federation.statePath($0)).flatMap { Int32($0) } }
        #expect(pids.count == 4)
        kill(process.processIdentifier, SIGINT)
        try await waitUntil(timeout: .seconds(120), "peer launch to exit") { !process.isRunning }
        #expect(process.terminationStatus == 130)
        for id in federation.ids { #expect(!StateLock.isHeld(federation.statePath(id)), "\(id) is still running") }
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "no peer process is left")
    }

    /// Four hosts as network namespaces, reached with `ip netns exec {host}`: in a middle round
    /// the launch cuts one link both ways (`--inject cut`), the round completes around it, and
    /// the federation finishes in agreement; the launch takes its route off as it ends.
    @Test(.enabled(if: NamespaceHosts.available, "needs root and ip netns to make hosts"))
    func aFederationAcrossNamespaceHostsSurvivesACutLink() async throws {
        let hosts = try NamespaceHosts(count: 4)
        let federation = try LocalFederation(rounds: 4, hosts: hosts.addresses)
        let launch = try RemoteLaunch(federation, remote: "ip netns exec {host}", ["--inject", "cut:peer-1-peer-2@2:tree-sum"])
        try await launch.expectAgreement(federation, rounds: 4)
        let text = try String(contentsOfFile: launch.output, encoding: .utf8)
        #expect(text.contains("cut:peer-1-peer-2@2:tree-sum on peer-1-peer-2: 1 link(s) dropping every packet both ways"), "\(text)")
        #expect(hosts.blackholes(in: hosts.addresses[0]).isEmpty && hosts.blackholes(in: hosts.addresses[1]).isEmpty)
    }

    /// Six namespace hosts on a ring cut 4 + 2 as round 2's masked input begins, healed as round
    /// 5 begins: no round ever completes on two models; the two cut off (no quorum of 4) never
    /// complete a round while cut, the four do; after the heal every peer converges on one model
    /// and the two contribute again. The four do not wait for them: the two catch rounds up from
    /// their neighbours while the four go on, so the run leaves four rounds after the heal.
    @Test(.enabled(if: NamespaceHosts.available, "needs root and ip netns to make hosts"))
    func aPartitionNeverForksAndHeals() async throws {
        let hosts = try NamespaceHosts(count: 6)
        let federation = try LocalFederation(count: 6, rounds: 9, hosts: hosts.addresses)
        let plan = "partition:peer-1,peer-2,peer-3,peer-4|peer-5,peer-6@2:masked-input,heal@5"
        let launch = try RemoteLaunch(federation, remote: "ip netns exec {host}", ["--inject", plan])
        try await launch.expectAgreement(federation, rounds: 9)
        let journals = try Dictionary(uniqueKeysWithValues: federation.ids.map { ($0, try federation.journal($0)) })
        for round in 1...9 {
            let models = Set(journals.values.compactMap { $0.first { $0.round == round && [.completed, .caughtUp].contains($0.kind) }?.modelHash })
            #expect(models.count <= 1, "round \(round) completed on \(models.count) models")
        }
        for id in ["peer-5", "peer-6"] {
            let cut = try #require(journals[id]).filter { (3...4).contains($0.round) }
            #expect(cut.allSatisfy { $0.kind != .completed }, "\(id): \(cut.map { ($0.round, $0.kind.rawValue) })")
            #expect(try #require(journals[id]).contains { $0.round > 5 && $0.contributors.contains(id) }, "\(id) never contributed after the heal")
        }
        #expect(try #require(journals["peer-1"]).contains { (3...4).contains($0.round) && $0.kind == .completed && $0.contributors.count == 4 })
    }

    /// Four namespace hosts reached through real ssh (sshd in each, a key made for the test):
    /// SIGINT in round 2 stops every remote peer through ssh and leaves none running; launched
    /// again, the federation resumes, completes and agrees.
    @Test(.enabled(if: NamespaceHosts.available && SSHHosts.available, "needs root, ip netns and openssh-server"))
    func aFederationRunsThroughSSH() async throws {
        let hosts = try NamespaceHosts(count: 4)
        let ssh = try SSHHosts(on: hosts, path: PeerProcess.executable.deletingLastPathComponent().path)
        let federation = try LocalFederation(rounds: 3, hosts: hosts.addresses)
        let interrupted = try RemoteLaunch(federation, remote: ssh.template)
        try await awaitRound(2, of: federation, while: interrupted.process)
        let pids = federation.ids.compactMap { StateLock.holder(of: federation.statePath($0)).flatMap { Int32($0) } }
        #expect(pids.count == 4)
        kill(interrupted.process.processIdentifier, SIGINT)
        try await waitUntil(timeout: .seconds(120), "peer launch to exit") { !interrupted.process.isRunning }
        #expect(interrupted.process.terminationStatus == 130)
        for id in federation.ids { #expect(!StateLock.isHeld(federation.statePath(id)), "\(id) is still running") }
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "no remote peer process is left")

        let resumed = try RemoteLaunch(federation, remote: ssh.template)
        try await resumed.expectAgreement(federation, rounds: 3)
        for id in federation.ids { #expect(!StateLock.isHeld(federation.statePath(id)), "\(id) is still running") }
    }

    /// Waits until peer-1's status shows `round` while `process` (the launch) runs.
    private func awaitRound(_ round: Int, of federation: LocalFederation, while process: Process) async throws {
        let status = try #require(federation.topology.peer("peer-1")?.status)
        let deadline = ContinuousClock.now + .seconds(180)
        while true {
            if let (_, body) = try? await HTTPClient.get("/status", from: status),
               let document = try? JSONDecoder().decode(NodeStatus.self, from: Data(body)), document.round >= round { break }
            guard ContinuousClock.now < deadline, process.isRunning else { throw TimedOut(description: "peer-1 never reached round \(round)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func awaitLock(_ state: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while !StateLock.isHeld(state) {
            guard Date() < deadline else { throw TimedOut(description: "no peer run took \(state)") }
            usleep(20_000)
        }
    }
}

/// `peer launch --remote TEMPLATE --json` of a federation on namespace hosts, its output in a file.
private struct RemoteLaunch {
    let process: Process
    let output: String

    init(_ federation: LocalFederation, remote: String, _ extra: [String] = []) throws {
        process = Process()
        process.executableURL = PeerProcess.executable
        process.arguments = ["launch", federation.topologyPath, "--data-root", LocalFederation.dataRoot, "--keys-dir", federation.directory + "/keys",
                             "--state-root", federation.directory + "/state", "--remote", remote, "--phase-timeout", "5", "--json"] + extra
        // A remote host runs `peer` from its PATH: the namespaces share this file system.
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = PeerProcess.executable.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        output = federation.directory + "/launch-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        try process.run()
    }

    /// Waits for the launch to end, then expects exit 0, agreeing hashes, and every peer's
    /// journal at `rounds`.
    func expectAgreement(_ federation: LocalFederation, rounds: Int) async throws {
        try await waitUntil(timeout: .seconds(300), "peer launch to finish") { !process.isRunning }
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("\"agree\" : true"), "\(text)")
        for id in federation.ids {
            #expect(try federation.journal(id).last?.round == rounds, "\(id)")
        }
    }
}
