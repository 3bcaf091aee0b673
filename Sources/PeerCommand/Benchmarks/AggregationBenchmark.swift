import Crypto
internal import Foundation
import Gossip
import Peer

/// Secure aggregation among peers on loopback against plain float summation over the same tree.
enum AggregationBenchmark {
    struct Result: Sendable {
        let peers: Int
        let dimension: Int
        let dropped: Int
        /// Wall time of one secure round, all peers in one process.
        let secureSeconds: Double
        /// Wall time of plain float summation up and down the same tree.
        let plainSeconds: Double
        /// Per-peer compute (encoding, masking, unmasking), mean and max over survivors.
        let computeSecondsMean: Double
        let computeSecondsMax: Double
        let keystreamBytesMean: Double
        /// Whether the measured round shared its unmasking (among helpers nearest the coordinator).
        let sharedUnmasking: Bool
        let exact: Bool
    }

    /// Runs one plain and one secure round among `peers` peers (complete topology on loopback,
    /// one peer crashing after the share phase when `drop`).
    static func run(peers count: Int, dimension: Int, drop: Bool, progress: @Sendable (String) -> Void) async throws -> Result {
        let keys = (0..<count).map { _ in IdentityKey() }
        let ports = try LoopbackPorts.free(count)
        let ids = (1...count).map { "peer-\($0)" }
        let peers = (0..<count).map { Topology.Peer(id: ids[$0], address: PeerAddress(host: "127.0.0.1", port: ports[$0]), status: nil, key: keys[$0].publicKey) }
        let links = (0..<count).flatMap { a in ((a + 1)..<count).map { Topology.Link(ids[a], ids[$0]) } }
        let text = TopologyWriter.text(name: "bench", peers: peers, links: links,
                                       aggregation: .defaults(peerCount: count), training: .defaults)
        let topology = try TopologyParser.parse(Array(text.utf8), file: "bench")
        var configuration = SecureAggregationPeer<UInt32>.Configuration()
        configuration.maskThreads = 1
        configuration.phaseTimeout = .seconds(60)
        var transports: [String: Transport] = [:], plains: [String: PlainTreeSum] = [:]
        var aggregators: [String: SecureAggregationPeer<UInt32>] = [:]
        for (index, id) in ids.enumerated() {
            let transport = try Transport(topology: topology, localID: id, identity: keys[index])
            let network = TransportRoundNetwork(transport: transport, identity: keys[index])
            let peer = try SecureAggregationPeer<UInt32>(id: id, topology: topology, identity: keys[index], network: network, configuration: configuration)
            network.attach(peer)
            transports[id] = transport
            plains[id] = PlainTreeSum(transport: transport)
            aggregators[id] = peer
        }
        let allTransports = transports, allPlains = plains, allAggregators = aggregators
        defer { allTransports.values.forEach { $0.stop() } }
        for transport in allTransports.values { try transport.start() }
        let deadline = ContinuousClock.now + .seconds(30)
        while !allTransports.allSatisfy({ $0.value.connectedNeighbours.count == count - 1 }) {
            guard ContinuousClock.now < deadline else { throw TransportError.timedOut("connecting the benchmark federation") }
            try await Task.sleep(for: .milliseconds(20))
        }
        progress("\(count) peers connected; plain round")
        let inputs = Simulation.inputs(peers: ids, dimension: dimension, seed: 1, round: 1)
        // The measured secure round is round 2: plain summation runs over its tree.
        let coordinator = RoundStructure.coordinatorOrder(round: 2, peers: ids).first!
        let tree = RoundStructure.Tree(topology: topology, members: Set(ids), root: coordinator)

        // Each kind of round runs twice and the second is measured: a federation runs round after
        // round, and a first round also pays for the memory its process touches for the first time.
        var plainSeconds = 0.0
        for _ in 1...2 {
            let plainStart = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    let input = inputs[id]!.input
                    group.addTask { _ = try await allPlains[id]!.run(input, tree: tree) }
                }
                try await group.waitForAll()
            }
            plainSeconds = (ContinuousClock.now - plainStart) / .seconds(1)
        }

        progress("secure rounds (the first without a drop, unmeasured)")
        _ = await secureRound(1, ids: ids, inputs: inputs, aggregators: allAggregators, transports: allTransports, victim: nil)
        let victim = drop ? ids.first { $0 != coordinator } : nil
        let secureStart = ContinuousClock.now
        let outcomes = await secureRound(2, ids: ids, inputs: inputs, aggregators: allAggregators, transports: allTransports, victim: victim)
        let secureSeconds = (ContinuousClock.now - secureStart) / .seconds(1)
        let survivors = outcomes.filter { $0.peer != victim }
        let compute = survivors.map(\.computeSeconds)
        return Result(peers: count, dimension: dimension, dropped: victim == nil ? 0 : 1, secureSeconds: secureSeconds,
                      plainSeconds: plainSeconds, computeSecondsMean: compute.reduce(0, +) / Double(max(compute.count, 1)),
                      computeSecondsMax: compute.max() ?? 0,
                      keystreamBytesMean: Double(survivors.map(\.maskBytesExpanded).reduce(0, +)) / Double(max(survivors.count, 1)),
                      sharedUnmasking: survivors.first?.sharedUnmasking ?? false,
                      exact: survivors.allSatisfy { $0.abortReason == nil && $0.sumBytes == survivors.first?.sumBytes
                                                       && $0.aggregateHash == survivors.first?.aggregateHash })
    }

    /// One secure round among all peers; `victim` stops as it starts masking its input.
    private static func secureRound(_ round: UInt64, ids: [String], inputs: [String: (input: [Float], weight: Double)],
                                    aggregators: [String: SecureAggregationPeer<UInt32>], transports: [String: Transport],
                                    victim: String?) async -> [RoundOutcome] {
        await withTaskGroup(of: RoundOutcome.self) { group in
            for id in ids {
                let (input, weight) = inputs[id]!
                group.addTask {
                    await aggregators[id]!.runRound(round, input: input, weight: weight) { phase in
                        if id == victim && phase == "masked-input" {
                            aggregators[id]!.stop()
                            transports[id]!.stop()
                        }
                    }
                }
            }
            var outcomes: [RoundOutcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
    }

}
