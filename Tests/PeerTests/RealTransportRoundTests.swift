import Crypto
import Foundation
import Testing
@testable import Gossip
@testable import Peer

/// The round protocol over real transports on loopback: authenticated sockets, the flooding
/// overlay and the failure detector instead of the in-memory network.
@Suite(.serialized) struct RealTransportRoundTests {
    @Test func aRoundOverLoopbackIsExactAndAgreedWithADrop() async throws {
        let count = 5
        let keys = (0..<count).map { _ in IdentityKey() }
        let ports = try (0..<count).map { _ in try Socket.listen(on: PeerAddress(host: "127.0.0.1", port: 0)) }.map { socket in
            defer { socket.close() }
            return socket.localPort
        }
        let ids = (1...count).map { "peer-\($0)" }
        let peers = (0..<count).map { Topology.Peer(id: ids[$0], address: PeerAddress(host: "127.0.0.1", port: ports[$0]), status: nil, key: keys[$0].publicKey) }
        let links = try TopologyGenerator.shapeEdges(.init(kind: .ring, peerCount: count)).map { Topology.Link(ids[$0.0], ids[$0.1]) }
        let text = TopologyWriter.text(name: "loopback", peers: peers, links: links,
                                       aggregation: AggregationSettings(threshold: 3, masking: .complete, ringBits: 32, fractionBits: 16, clip: 4, maxWeight: 10_000),
                                       training: .defaults)
        let topology = try TopologyParser.parse(Array(text.utf8), file: "loopback")
        var transportConfiguration = TransportConfiguration()
        transportConfiguration.heartbeatInterval = .milliseconds(100)
        transportConfiguration.suspectTimeout = .seconds(10)
        transportConfiguration.reconnectBaseDelay = .milliseconds(20)
        var configuration = SecureAggregationPeer<UInt32>.Configuration()
        configuration.maskThreads = 1
        configuration.phaseTimeout = .seconds(30)
        var transportList: [String: Transport] = [:], aggregatorList: [String: SecureAggregationPeer<UInt32>] = [:]
        for (index, id) in ids.enumerated() {
            let transport = try Transport(topology: topology, localID: id, identity: keys[index], configuration: transportConfiguration)
            let network = TransportRoundNetwork(transport: transport, identity: keys[index])
            let peer = try SecureAggregationPeer<UInt32>(id: id, topology: topology, identity: keys[index], network: network, configuration: configuration)
            network.attach(peer)
            transportList[id] = transport
            aggregatorList[id] = peer
        }
        let transports = transportList, aggregators = aggregatorList
        defer { transports.values.forEach { $0.stop() } }
        for transport in transports.values { try transport.start() }
        // Every link up on both ends before the round starts (the events stream belongs to the
        // round networks, so this checks the connection table until a deadline).
        try await waitUntil(timeout: .seconds(60)) {
            transports.allSatisfy { id, transport in Set(transport.connectedNeighbours) == Set(topology.neighbours[id]!) }
        }
        let coordinator = RoundStructure.coordinatorOrder(round: 1, peers: ids).first!
        let victim = ids.first { $0 != coordinator }!
        let data = Simulation.inputs(peers: ids, dimension: 1000, seed: 4, round: 1)
        let outcomes = await withTaskGroup(of: RoundOutcome.self) { group in
            for id in ids {
                let (input, weight) = data[id]!
                group.addTask {
                    await aggregators[id]!.runRound(1, input: input, weight: weight) { phase in
                        if id == victim && phase == "tree-sum" {
                            aggregators[id]!.stop()
                            transports[id]!.stop()
                        }
                    }
                }
            }
            var outcomes: [String: RoundOutcome] = [:]
            for await outcome in group { outcomes[outcome.peer] = outcome }
            return outcomes
        }
        let survivors = outcomes.values.filter { $0.peer != victim }
        #expect(survivors.allSatisfy { $0.abortReason == nil }, "\(survivors.map { "\($0.peer): \(String(describing: $0.abortReason))" })")
        #expect(Set(survivors.map(\.sumBytes)).count == 1)
        #expect(Set(survivors.first!.contributors) == Set(ids).subtracting([victim]))
        // The unmasked sum is exactly the contributors' encoded inputs.
        let codec = try FixedPoint<UInt32>(clip: 4, fractionBits: 16)
        var expected = [UInt32](repeating: 0, count: 1001)
        for id in survivors.first!.contributors {
            let (input, weight) = data[id]!
            let w = Float(weight)
            let (words, _) = try codec.encode(input.map { $0 * w } + [w])
            for i in expected.indices { expected[i] &+= words[i] }
        }
        #expect(survivors.first!.sumBytes == expected.withUnsafeBytes { Array($0) })

        // The victim restarts (a new transport and protocol instance under its id) and catches up
        // on the round it missed from a neighbour, over the sockets.
        let index = ids.firstIndex(of: victim)!
        let transport = try Transport(topology: topology, localID: victim, identity: keys[index], configuration: transportConfiguration)
        defer { transport.stop() }
        let network = TransportRoundNetwork(transport: transport, identity: keys[index])
        let restarted = try SecureAggregationPeer<UInt32>(id: victim, topology: topology, identity: keys[index], network: network,
                                                          configuration: configuration)
        network.attach(restarted)
        try transport.start()
        try await waitUntil(timeout: .seconds(60)) { Set(transport.connectedNeighbours) == Set(topology.neighbours[victim]!) }
        let caughtUp = await restarted.catchUp(round: 1, dimension: 1000)
        #expect(caughtUp.abortReason == nil && caughtUp.sumBytes == survivors.first!.sumBytes)
        #expect(caughtUp.aggregateHash == survivors.first!.aggregateHash)
    }
}

struct TimedOut: Error {}

/// Re-checks `condition` until it holds, failing at the deadline.
func waitUntil(timeout: Duration, _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut() }
        try await Task.sleep(for: .milliseconds(10))
    }
}
