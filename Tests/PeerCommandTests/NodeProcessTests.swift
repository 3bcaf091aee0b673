import Crypto
import Foundation
import Gossip
import Learn
@testable import Peer
import Testing

/// `peer run` as hospitals run it: real processes on loopback, real sockets, kill -9.
@Suite(.serialized) struct NodeProcessTests {
    /// Four peers, three rounds: every round completes with all four, the final checkpoints are
    /// byte-identical, the journals agree on the hash chain, and the status endpoint answers
    /// (while 64 clients hold connections to one peer's status port during the rounds).
    @Test func fourPeersCompleteEveryRoundOnOneModel() async throws {
        let federation = try LocalFederation(rounds: 3)
        try federation.startAll(["--linger"])
        let status = try #require(federation.topology.peer("peer-1")?.status)
        try await federation.waitForLog("peer-1", "status on http://")
        // Idle clients on the status port: they must not delay the rounds.
        let idle = try await (0..<64).asyncMap { _ in try await SlowClient.connect(to: status) }
        for id in federation.ids { try await federation.waitForLog(id, "all 3 rounds done") }
        idle.forEach { $0.close() }

        let checkpoints = try federation.ids.map { try federation.newestCheckpoint($0) }
        #expect(Set(checkpoints).count == 1, "the four final checkpoints are byte-identical")
        let journals = try federation.ids.map { try federation.journal($0) }
        for round in 1...3 {
            let entries = journals.map { $0.first { $0.round == round } }
            #expect(entries.allSatisfy { $0?.kind == .completed && $0?.contributors.count == 4 && $0?.contributed == true }, "round \(round)")
            #expect(Set(entries.map { $0?.modelHash }).count == 1, "round \(round): one model hash")
            #expect(Set(entries.map { $0?.baseHash }).count == 1)
            #expect(entries.first??.baseHash == journals[0].first { $0.round == round - 1 }?.modelHash, "round \(round) starts from M(\(round - 1))")
            // The chain link is the coordinator's signed statement.
            let signed = try #require(entries.first??.signedOutcome.flatMap { [UInt8](hex: $0) })
            let outcome = try #require(SignedOutcome.verified(signed, topology: federation.topology))
            #expect(outcome.model.hexString == entries.first??.modelHash && outcome.base.hexString == entries.first??.baseHash)
        }
        #expect(Blake2b.hash(Array(checkpoints[0])).hexString == journals[0].last?.modelHash)

        let (code, body) = try await HTTPClient.get("/status", from: status)
        #expect(code == 200)
        let document = try JSONDecoder().decode(NodeStatus.self, from: Data(body))
        #expect(document.id == "peer-1" && document.state == .finished && document.lastCommittedRound == 3 && document.history.count == 3)
        #expect(document.modelHash == journals[0].last?.modelHash && document.neighbours.count == 2)
        let metrics = try await HTTPClient.get("/metrics", from: status)
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(metrics.status == 200 && text.contains("peer_rounds_completed_total 3") && text.contains("peer_neighbor_up{neighbor=\"peer-2\"} 1"))
        #expect(try await HTTPClient.get("/healthz", from: status).status == 200)
        #expect(try await HTTPClient.get("/readyz", from: status).status == 200)
        #expect(try await HTTPClient.get("/nothing", from: status).status == 404)

        let all = try PeerProcess.run(["status", "--topology", federation.topologyPath, "--all", "--json"])
        #expect(all.status == 0, "\(all.standardError)")
        let documents = try JSONDecoder().decode([NodeStatus].self, from: Data(all.standardOutput.utf8))
        #expect(documents.map(\.id) == federation.ids && Set(documents.map(\.modelHash)).count == 1)
        let table = try PeerProcess.run(["status", "--topology", federation.topologyPath, "--all"])
        #expect(table.standardOutput.contains("all 4 reachable peers hold model \(documents[0].modelHash.prefix(12))"))

        for id in federation.ids { federation.signal(id, SIGTERM) }
        for id in federation.ids { #expect(try await federation.waitForExit(id) == 0, "\(id) exits 0 on SIGTERM") }
        let gone = try PeerProcess.run(["status", "--topology", federation.topologyPath, "--all"])
        #expect(gone.status == 1 && gone.standardOutput.contains("unreachable"))
    }

    /// A peer killed as it enters the masked-input phase of round 2: the others complete round 2
    /// without its update; restarted, it catches up on round 2 from a neighbour's record and
    /// contributes to round 3; all four end on the same bytes.
    @Test func aPeerKilledInRoundTwoCatchesUpAndContributesToRoundThree() async throws {
        let federation = try LocalFederation(rounds: 3)
        let victim = "peer-2"
        try federation.start(victim, ["--kill-at", "2:masked-input"])
        for id in federation.ids where id != victim { try federation.start(id, ["--linger"]) }
        #expect(try await federation.waitForExit(victim) == 128 + SIGKILL)
        try await federation.waitForLog("peer-1", "round 2 completed")
        try federation.start(victim, ["--linger"])
        for id in federation.ids { try await federation.waitForLog(id, "all 3 rounds done") }

        let journals = try Dictionary(uniqueKeysWithValues: federation.ids.map { ($0, try federation.journal($0)) })
        let round2 = try #require(journals["peer-1"]?.first { $0.round == 2 })
        #expect(round2.kind == .completed && !round2.contributors.contains(victim) && round2.contributors.count == 3)
        let caughtUp = try #require(journals[victim]?.first { $0.round == 2 })
        #expect(caughtUp.kind == .caughtUp && caughtUp.modelHash == round2.modelHash && caughtUp.caughtUpFrom != nil)
        let round3 = try #require(journals[victim]?.first { $0.round == 3 })
        #expect(round3.kind == .completed && round3.contributed && round3.contributors.count == 4)
        #expect(Set(try federation.ids.map { try federation.newestCheckpoint($0) }).count == 1)
        for id in federation.ids { federation.signal(id, SIGINT) }
        for id in federation.ids { #expect(try await federation.waitForExit(id) == 0) }
    }

    /// SIGTERM in the middle of a round: the peer leaves it, exits 0 with its journal whole,
    /// and started again it catches up and ends on the federation's model. Its log, in JSON
    /// lines, carries every phase and round as fields.
    @Test func aPeerStoppedMidRoundExitsZeroAndResumes() async throws {
        let federation = try LocalFederation(rounds: 4)
        let victim = "peer-3"
        try federation.start(victim, ["--log-format", "json"])
        for id in federation.ids where id != victim { try federation.start(id, ["--linger"]) }
        try await federation.waitForLog(victim, "round 2 phase share-keys")
        federation.signal(victim, SIGTERM)
        #expect(try await federation.waitForExit(victim) == 0)
        let stopped = try federation.journal(victim)
        #expect(stopped.last.map { $0.round <= 2 } == true && stopped.map(\.round) == Array(0...(stopped.last?.round ?? 0)))
        let lines = federation.log(victim).split(separator: "\n").map(String.init)
        let objects = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)") }
        #expect(objects.allSatisfy { $0["peer"] as? String == victim && $0["event"] is String && $0["time"] is String })
        let round1 = try #require(objects.first { $0["event"] as? String == "round" && $0["round"] as? Int == 1 })
        #expect(round1["contributors"] as? [String] == federation.ids && (round1["modelHash"] as? String)?.count == 64)
        #expect(objects.contains { $0["event"] as? String == "phase" && $0["phase"] as? String == "masked-input" })

        try federation.start(victim, ["--linger"])
        for id in federation.ids { try await federation.waitForLog(id, "all 4 rounds done") }
        #expect(Set(try federation.ids.map { try federation.newestCheckpoint($0) }).count == 1)
        for id in federation.ids { federation.signal(id, SIGTERM) }
        for id in federation.ids { #expect(try await federation.waitForExit(id) == 0) }
    }

    /// A peer kept down for more rounds than neighbours keep records of (2), then restarted
    /// with a truncated temporary checkpoint and a half-written journal line in its state
    /// directory: it ignores and removes both, resumes from its last good round, takes a
    /// neighbour's newest checkpoint (checked against that round's signed model hash), and
    /// ends on the federation's model.
    @Test func aPeerDownForManyRoundsFetchesAVerifiedCheckpoint() async throws {
        let federation = try LocalFederation(rounds: 5)
        let victim = "peer-4"
        try federation.start(victim, ["--kill-at", "2:train"])
        for id in federation.ids where id != victim { try federation.start(id, ["--linger"]) }
        #expect(try await federation.waitForExit(victim) == 128 + SIGKILL)
        for id in federation.ids where id != victim { try await federation.waitForLog(id, "all 5 rounds done") }
        let state = federation.statePath(victim)
        let temporary = state + "/.model-000002.safetensors.tmp-99999"
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: temporary))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: state + "/journal.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data("{\"round\":2,\"kind\":\"comp".utf8))
        try handle.close()

        try federation.start(victim, ["--linger"])
        try await federation.waitForLog(victim, "all 5 rounds done")
        #expect(!FileManager.default.fileExists(atPath: temporary))
        let journal = try federation.journal(victim)
        #expect(journal.map(\.round) == [0, 1, 5], "\(journal.map { ($0.round, $0.kind) })")
        let fetched = try #require(journal.last)
        #expect(fetched.kind == .checkpoint && fetched.caughtUpFrom != nil)
        let reference = try federation.journal("peer-1")
        #expect(fetched.modelHash == reference.last?.modelHash && fetched.signedOutcome == reference.last?.signedOutcome)
        #expect(try federation.newestCheckpoint(victim) == (try federation.newestCheckpoint("peer-1")))
        for id in federation.ids { federation.signal(id, SIGTERM) }
        for id in federation.ids { #expect(try await federation.waitForExit(id) == 0) }
    }

    /// A peer started from another M(0) than the federation (`--init` of another checkpoint) is
    /// refused, and stops naming both hashes; the others complete their rounds without it.
    @Test func aPeerOnAnotherStartingModelIsRefusedNamingBothHashes() async throws {
        let federation = try LocalFederation(rounds: 2)
        let other = federation.directory + "/other.safetensors"
        let made = try PeerProcess.run(["model", "init", "--model", "small-cnn", "--seed", "99", "--out", other])
        try #require(made.status == 0, "\(made.standardError)")
        let odd = "peer-4"
        try federation.start(odd, ["--init", other])
        for id in federation.ids where id != odd { try federation.start(id, ["--linger"]) }
        #expect(try await federation.waitForExit(odd) == 1)
        for id in federation.ids where id != odd { try await federation.waitForLog(id, "all 2 rounds done") }
        let own = try #require(try federation.journal(odd).first?.modelHash)
        let theirs = try #require(try federation.journal("peer-1").first?.modelHash)
        #expect(own != theirs)
        #expect(federation.log(odd).contains("this peer's M(0) has hash \(own), the federation's"), "\(federation.log(odd).suffix(600))")
        #expect(federation.log(odd).contains(theirs))
        for id in federation.ids where id != odd {
            #expect(try federation.journal(id).filter { $0.kind == .completed }.allSatisfy { !$0.contributors.contains(odd) })
        }
        for id in federation.ids where id != odd { federation.signal(id, SIGTERM) }
        for id in federation.ids where id != odd { #expect(try await federation.waitForExit(id) == 0) }
    }

    /// A neighbour sending hostile sync messages on channel 3 (garbage, a checkpoint request
    /// for round 2^64-1, an unasked-for reply) is refused and logged; the peer keeps serving
    /// heads, and refuses to fetch from a neighbour claiming a round past the federation's end.
    @Test func hostileSyncMessagesAreRefused() async throws {
        let federation = try LocalFederation(rounds: 2)
        try federation.start("peer-1", ["--linger"])
        try await federation.waitForLog("peer-1", "listening on")
        let identity = try IdentityKey(contentsOfFile: federation.directory + "/keys/peer-2.key")
        let transport = try Transport(topology: federation.topology, localID: "peer-2", identity: identity)
        defer { transport.stop() }
        let replies = Recorded()
        transport.setHandler(channel: NodeSync.channel) { _, bytes in replies.append(bytes) }
        try transport.start()
        try await waitUntil(timeout: .seconds(30), "peer-2's link to peer-1") { transport.connectedNeighbours == ["peer-1"] }
        let liar = SyncMessage.Head(committed: UInt64.max, running: 0, activity: .idle, progress: SyncMessage.Head.unreachable, start: [UInt8](repeating: 0, count: 32), outcome: [])
        for hostile in [[0xff, 1, 2], SyncMessage.checkpointRequest(id: 7, round: UInt64.max).encoded, SyncMessage.head(id: 99, liar).encoded] {
            try await transport.send(hostile, channel: NodeSync.channel, to: "peer-1")
        }
        try await transport.send(SyncMessage.headRequest(id: 8).encoded, channel: NodeSync.channel, to: "peer-1")
        try await waitUntil(timeout: .seconds(30), "two replies") { replies.count >= 2 }
        let decoded = try replies.values.map { try SyncMessage.decode($0, modelByteLimit: 1 << 20) }
        #expect(decoded.contains(.checkpoint(id: 7, round: 0, outcome: [], model: [])))
        #expect(decoded.contains { if case .head(8, let head) = $0 { head.committed <= 2 } else { false } }, "\(decoded)")
        try await federation.waitForLog("peer-1", "unknown sync message kind 255")
        try await federation.waitForLog("peer-1", "sync reply 99 from peer-2 that nothing waits for")
        let status = try JSONDecoder().decode(NodeStatus.self, from: Data(try await HTTPClient.get("/status", from: federation.topology.peer("peer-1")!.status!).body))
        #expect(status.neighbours.first { $0.id == "peer-2" }?.refusals == 2, "the garbage and the unasked-for reply")
        federation.signal("peer-1", SIGTERM)
        #expect(try await federation.waitForExit("peer-1") == 0)
    }

    /// Each input `peer run` refuses, with its exit status and a message naming what to fix.
    @Test func badInputIsRefusedNamingTheFix() async throws {
        let federation = try LocalFederation(rounds: 1)
        func run(_ arguments: [String]) throws -> PeerProcess { try PeerProcess.run(arguments) }
        var wrongKey = federation.arguments("peer-1")
        wrongKey[wrongKey.firstIndex(of: "--key")! + 1] = federation.directory + "/keys/peer-2.key"
        let key = try run(wrongKey)
        #expect(key.status == 64 && key.standardError.contains("is not the one") && key.standardError.contains("pass the key file made for peer-1"))

        var unknown = federation.arguments("peer-1")
        unknown[unknown.firstIndex(of: "--id")! + 1] = "peer-9"
        let id = try run(unknown)
        #expect(id.status == 64 && id.standardError.contains("has no peer 'peer-9'") && id.standardError.contains("peer-1, peer-2"))

        var empty = federation.arguments("peer-1")
        empty[empty.firstIndex(of: "--data")! + 1] = federation.directory
        let data = try run(empty)
        #expect(data.status == 64 && data.standardError.contains("--data \(federation.directory)") && data.standardError.contains("train-rle.csv"))

        var file = federation.arguments("peer-1")
        file[file.firstIndex(of: "--state")! + 1] = federation.topologyPath
        let state = try run(file)
        #expect(state.status == 64 && state.standardError.contains("is a file, not a directory"))

        // The listener's port taken: exit 1 naming it.
        let address = try #require(federation.topology.peer("peer-1")?.address)
        let squatter = try PortSquatter(port: address.port)
        defer { squatter.close() }
        let taken = try run(federation.arguments("peer-1"))
        #expect(taken.status == 1 && taken.standardError.contains("peer-to-peer listener \(address)"), "\(taken.standardError)")

        // A different M(0): --init of another model's checkpoint does not load.
        let other = federation.directory + "/other.safetensors"
        try Data(SafetensorsFixture.tiny).write(to: URL(fileURLWithPath: other))
        let initFile = try run(federation.arguments("peer-2") + ["--init", other])
        #expect(initFile.status == 64 && initFile.standardError.contains("--init \(other)"))
    }
}

/// A listening socket that holds a port.
struct PortSquatter {
    let descriptor: Int32

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 1) == 0 else { throw TimedOut(description: "cannot hold port \(port)") }
    }

    func close() { Glibc.close(descriptor) }
}

/// A safetensors file of one tensor that fits no model.
enum SafetensorsFixture {
    static var tiny: [UInt8] { SafetensorsWriter.encode([SafetensorsWriter.Tensor(name: "w", shape: [1], values: [1])]) }
}

/// A client that connects and sends nothing.
struct SlowClient {
    let handle: FileHandle

    static func connect(to address: PeerAddress) async throws -> SlowClient {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = address.port.bigEndian
        socketAddress.sin_addr.s_addr = inet_addr(address.host)
        let status = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { throw TimedOut(description: "connect to \(address) failed: errno \(errno)") }
        return SlowClient(handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true))
    }

    func close() { try? handle.close() }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}


/// Messages a test transport received, in order.
final class Recorded: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var items: [[UInt8]] = []

    func append(_ bytes: [UInt8]) { lock.withLock { items.append(bytes) } }
    var values: [[UInt8]] { lock.withLock { items } }
    var count: Int { values.count }
}
