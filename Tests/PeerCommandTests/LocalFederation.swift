import Crypto
import Foundation
import Gossip
import Peer
import Testing

/// A federation of real `peer run` processes on loopback for the node's tests: a ring of
/// small-cnn peers at 32 px on small synthetic hospitals, each with its own state directory
/// and log file.
final class LocalFederation {
    let directory: String
    let ids: [String]
    let topologyPath: String
    let topology: Topology
    private var processes: [String: Process] = [:]

    /// Synthetic hospitals shared by every test (read only): data/peer-i of 80 images at 64 px.
    static let dataRoot: String = {
        let root = NSTemporaryDirectory() + "peer-node-data-\(getpid())"
        for index in 1...6 where !FileManager.default.fileExists(atPath: root + "/peer-\(index)/train-rle.csv") {
            let result = try? PeerProcess.run(["data", "synth", "--out", root + "/peer-\(index)", "--images", "80", "--size", "64",
                                               "--seed", "\(index)", "--site", "\(index)", "--force"])
            precondition(result?.status == 0, "peer data synth failed: \(result?.standardError ?? "")")
        }
        return root
    }()

    /// A ring of `count` peers (1...6) running `rounds` rounds, on loopback or at `hosts`.
    init(count: Int = 4, rounds: Int, threshold: Int = 3, hosts: [String]? = nil) throws {
        directory = NSTemporaryDirectory() + "peer-node-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/keys", withIntermediateDirectories: true)
        let ids = (1...count).map { "peer-\($0)" }
        self.ids = ids
        let ports = try LoopbackPorts.free(2 * count)
        var peers: [Topology.Peer] = []
        for (index, id) in ids.enumerated() {
            let key = IdentityKey()
            try key.write(toFile: directory + "/keys/\(id).key")
            let host = hosts?[index] ?? "127.0.0.1"
            peers.append(Topology.Peer(id: id, address: PeerAddress(host: host, port: ports[index]),
                                       status: PeerAddress(host: host, port: ports[count + index]), key: key.publicKey))
        }
        let links = (0..<count).map { Topology.Link(ids[$0], ids[($0 + 1) % count]) }
        let text = TopologyWriter.text(name: "node-test", peers: peers, links: Array(Set(links)).sorted { ($0.first, $0.second) < ($1.first, $1.second) },
                                       aggregation: AggregationSettings(threshold: threshold, masking: .complete, ringBits: 32, fractionBits: 16,
                                                                        clip: 4, maxWeight: 10_000),
                                       training: TrainingSettings(model: "small-cnn", imageSize: 32, rounds: rounds, localEpochs: 1, batchSize: 16,
                                                                  optimizer: "adam", learningRate: 0.001, seed: 1))
        topologyPath = directory + "/topology.json"
        try text.write(toFile: topologyPath, atomically: true, encoding: .utf8)
        topology = try TopologyParser.load(topologyPath)
        _ = Self.dataRoot
    }

    deinit {
        for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    func statePath(_ id: String) -> String { directory + "/state/" + id }
    func logPath(_ id: String) -> String { directory + "/\(id).log" }

    /// The arguments of `peer run` for `id`.
    func arguments(_ id: String) -> [String] {
        ["run", "--topology", topologyPath, "--id", id, "--key", directory + "/keys/\(id).key", "--data", Self.dataRoot + "/" + id,
         "--state", statePath(id), "--phase-timeout", "5"]
    }

    /// Starts `peer run` for `id` with `extra` options; its standard error goes to its log.
    @discardableResult
    func start(_ id: String, _ extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = PeerProcess.executable
        process.arguments = arguments(id) + extra
        if !FileManager.default.fileExists(atPath: logPath(id)) { _ = FileManager.default.createFile(atPath: logPath(id), contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath(id)))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        processes[id] = process
        return process
    }

    func startAll(_ extra: [String] = []) throws {
        for id in ids { try start(id, extra) }
    }

    /// The text of `id`'s log so far.
    func log(_ id: String) -> String { (try? String(contentsOfFile: logPath(id), encoding: .utf8)) ?? "" }

    /// Waits until `id`'s log contains `text`.
    /// - Throws: when the deadline passes or the process exits first (with its log's end).
    func waitForLog(_ id: String, _ text: String, timeout: Duration = .seconds(120)) async throws {
        try await waitUntil(timeout: timeout, "\(id) to log '\(text)'") {
            self.log(id).contains(text) || processes[id]?.isRunning == false
        }
        guard log(id).contains(text) else {
            throw TimedOut(description: "\(id) exited before logging '\(text)':\n\(log(id).suffix(1000))")
        }
    }

    /// Waits for `id`'s process to exit and returns its exit status (or, when a signal ended
    /// it, 128 + the signal's number, as a shell shows it).
    func waitForExit(_ id: String, timeout: Duration = .seconds(120)) async throws -> Int32 {
        let process = try #require(processes[id])
        try await waitUntil(timeout: timeout, "\(id) to exit") { !process.isRunning }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Sends `signal` to `id`'s process.
    func signal(_ id: String, _ signal: Int32) {
        if let process = processes[id] { kill(process.processIdentifier, signal) }
    }

    /// The journal of `id`.
    func journal(_ id: String) throws -> [JournalEntry] {
        let text = try String(contentsOfFile: statePath(id) + "/journal.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(JournalEntry.self, from: Data($0.utf8)) }
    }

    /// The bytes of `id`'s newest checkpoint.
    func newestCheckpoint(_ id: String) throws -> Data {
        let entry = try #require(try journal(id).last)
        return try Data(contentsOf: URL(fileURLWithPath: statePath(id) + "/" + entry.checkpoint))
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Re-checks `condition` until it holds, failing at the deadline.
func waitUntil(timeout: Duration, _ what: String, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
