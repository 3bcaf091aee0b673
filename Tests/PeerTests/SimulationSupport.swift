import Crypto
import Foundation
import Synchronization
@testable import Gossip
@testable import Peer

/// A topology of `kind` with chosen aggregation settings, and its peers' identities.
func federation(_ kind: TopologyGenerator.Kind, peers: Int, threshold: Int, masking: AggregationSettings.Masking = .complete,
                degree: Int? = nil, ringBits: Int = 32) throws -> (Topology, [String: IdentityKey]) {
    var request = TopologyGenerator.Request(kind: kind, peerCount: peers)
    request.degree = degree
    let generated = try TopologyGenerator.generate(request)
    let settings = AggregationSettings(threshold: threshold, masking: masking, ringBits: ringBits, fractionBits: 16, clip: 4, maxWeight: 10_000)
    let text = TopologyWriter.text(name: "sim", peers: generated.topology.peers, links: generated.topology.links,
                                   aggregation: settings, training: .defaults)
    let topology = try TopologyParser.parse(Array(text.utf8), file: "sim")
    return (topology, Dictionary(uniqueKeysWithValues: generated.identities.map { ($0.id, $0.key) }))
}

/// The exact ring sum the contributors' encoded inputs must unmask to (the report's
/// contributors, or `contributors` when its coordinator crashed before reporting them).
func expectedSum<Word: RingWord>(_ report: Simulation.RoundReport, request: Simulation.Request, word: Word.Type,
                                 contributors: [String]? = nil) throws -> [UInt8] {
    let codec = try FixedPoint<Word>(clip: Float(request.topology.aggregation.clip), fractionBits: request.topology.aggregation.fractionBits)
    let live = request.topology.peers.map(\.id)
    let data = Simulation.inputs(peers: live.filter { report.outcomes[$0] != nil }, dimension: request.dimension, seed: request.seed,
                                 round: report.round)
    var sum = [Word](repeating: 0, count: request.dimension + 1)
    for contributor in contributors ?? report.contributors {
        let (input, weight) = data[contributor]!
        let w = Float(min(max(weight, 0), 1))
        let (words, _) = try codec.encode(input.map { $0 * w } + [w])
        for i in sum.indices { sum[i] &+= words[i] }
    }
    return sum.withUnsafeBytes { Array($0) }
}

/// Log lines of concurrent peers, in order; a test can await one.
typealias LogRecorder = Recorder<String>

extension Recorder where Entry == String {
    var lines: [String] { entries }
}

/// Peers on an in-memory network, driven round by round by the test, which can watch all
/// traffic and inject messages as peers enter phases.
final class ManualFederation: Sendable {
    let topology: Topology
    let identities: [String: IdentityKey]
    let network: InMemoryNetwork<UInt32>
    let peers: [String: SecureAggregationPeer<UInt32>]
    let traffic = TrafficRecorder()
    let logs = LogRecorder()

    let configuration: SecureAggregationPeer<UInt32>.Configuration

    init(_ kind: TopologyGenerator.Kind, peers count: Int, threshold: Int, masking: AggregationSettings.Masking = .complete,
         timeout: Duration = .seconds(10)) throws {
        (topology, identities) = try federation(kind, peers: count, threshold: threshold, masking: masking)
        network = InMemoryNetwork<UInt32>(topology: topology)
        var configuration = SecureAggregationPeer<UInt32>.Configuration()
        configuration.maskThreads = 1
        configuration.phaseTimeout = timeout
        self.configuration = configuration
        var peers: [String: SecureAggregationPeer<UInt32>] = [:]
        for entry in topology.peers {
            peers[entry.id] = try Self.makePeer(entry.id, topology: topology, identity: identities[entry.id]!, network: network,
                                                configuration: configuration, logs: logs)
        }
        self.peers = peers
        for peer in peers.values { network.attach(peer) }
        let traffic = self.traffic
        network.observe { from, to, bytes in traffic.append((from, to, bytes)) }
    }

    private static func makePeer(_ id: String, topology: Topology, identity: IdentityKey, network: InMemoryNetwork<UInt32>,
                                 configuration: SecureAggregationPeer<UInt32>.Configuration,
                                 logs: LogRecorder) throws -> SecureAggregationPeer<UInt32> {
        try SecureAggregationPeer<UInt32>(id: id, topology: topology, identity: identity, network: network.endpoint(id),
                                          configuration: configuration, log: { logs.append("[\(id)] \($0)") })
    }

    /// A crashed peer restarted: a new instance under its id and identity, back on the network.
    func restart(_ id: String) throws -> SecureAggregationPeer<UInt32> {
        let peer = try Self.makePeer(id, topology: topology, identity: identities[id]!, network: network, configuration: configuration,
                                     logs: logs)
        network.rejoin(peer)
        return peer
    }

    func coordinator(round: UInt64) -> String {
        RoundStructure.coordinatorOrder(round: round, peers: topology.peers.map(\.id).filter(network.isLive)).first!
    }

    /// Runs one round on every live peer; `hook(peer, phase)` runs as each peer enters each phase.
    /// - Parameter inputs: updates that replace the random ones of some peers.
    func run(round: UInt64, dimension: Int = 50, inputs: [String: [Float]] = [:], models: [String: ModelLink] = [:],
             hook: @escaping @Sendable (String, String) async -> Void = { _, _ in }) async -> [String: RoundOutcome] {
        let live = topology.peers.map(\.id).filter(network.isLive)
        let data = Simulation.inputs(peers: live, dimension: dimension, seed: 9, round: round)
        return await withTaskGroup(of: RoundOutcome.self) { group in
            for id in live {
                let peer = peers[id]!, (random, weight) = data[id]!, input = inputs[id] ?? random
                let model = models[id] ?? .none
                group.addTask { await peer.runRound(round, input: input, weight: weight, model: model) { phase in await hook(id, phase) } }
            }
            var outcomes: [String: RoundOutcome] = [:]
            for await outcome in group { outcomes[outcome.peer] = outcome }
            return outcomes
        }
    }

    /// Every message observed, decoded.
    var messages: [(from: String, to: String?, message: RoundMessage<UInt32>, bytes: [UInt8])] {
        traffic.entries.compactMap { entry in
            guard let message = try? RoundMessage<UInt32>.decode(entry.bytes, peerLimit: 1000, wordLimit: 1 << 24) else { return nil }
            return (entry.from, entry.to, message, entry.bytes)
        }
    }

    /// A Total for `round`, signed by `signer` (the coordinator's key, or another to forge).
    func total(round: UInt64, coordinator: String, contributors: [String], dropped: [String], signer: IdentityKey) -> [UInt8] {
        let hash = [UInt8](repeating: 7, count: 32)
        let body = RoundMessage<UInt32>.totalBody(round: round, coordinator: coordinator, contributors: contributors, dropped: dropped, sumHash: hash)
        let signature = signer.signature(for: RoundMessage<UInt32>.totalContext + topology.federationID.bytes + body)
        return RoundMessage<UInt32>.total(.init(round: round, coordinator: coordinator, contributors: contributors, dropped: dropped,
                                                sumHash: hash, signature: signature)).encoded
    }
}

/// Every message that left a peer, in order; a test can await one.
typealias TrafficRecorder = Recorder<(from: String, to: String?, bytes: [UInt8])>

/// What concurrent tasks record, in order; a test can await an entry.
final class Recorder<Entry: Sendable>: Sendable {
    private struct Waiter {
        let matches: @Sendable (Entry) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }
    private let storage = Mutex<(entries: [Entry], waiters: [Waiter])>(([], []))
    var entries: [Entry] { storage.withLock { $0.entries } }

    func append(_ entry: Entry) {
        let ready = storage.withLock { storage -> [CheckedContinuation<Void, Never>] in
            storage.entries.append(entry)
            let ready = storage.waiters.filter { $0.matches(entry) }.map(\.continuation)
            storage.waiters.removeAll { $0.matches(entry) }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once an entry matching `matches` is recorded (at once if one already is).
    func awaitEntry(_ matches: @escaping @Sendable (Entry) -> Bool) async {
        await withCheckedContinuation { continuation in
            let now = storage.withLock { storage -> Bool in
                if storage.entries.contains(where: matches) { return true }
                storage.waiters.append(Waiter(matches: matches, continuation: continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }
}
