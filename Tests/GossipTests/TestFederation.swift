import Crypto
import Foundation
import Synchronization
@testable import Gossip

/// A federation of real transports on loopback, with ports chosen free at run time.
final class TestFederation: Sendable {
    let topology: Topology
    let identities: [String: IdentityKey]
    let configuration: TransportConfiguration
    private let peers = Mutex<[String: (transport: Transport, overlay: FloodOverlay)]>([:])
    /// Transport events per peer, across restarts.
    let events: [String: Recorder<TransportEvent>]
    /// Flood deliveries per peer.
    let deliveries: [String: Recorder<FloodOverlay.Message>]

    static var fastConfiguration: TransportConfiguration {
        var configuration = TransportConfiguration()
        configuration.heartbeatInterval = .milliseconds(100)
        // Long enough that a loaded CI machine running other suites does not drop live links.
        configuration.suspectTimeout = .seconds(10)
        configuration.reconnectBaseDelay = .milliseconds(20)
        configuration.reconnectMaximumDelay = .milliseconds(300)
        configuration.handshakeTimeout = .seconds(10)
        return configuration
    }

    /// Ports the kernel says are free now.
    static func freePorts(_ count: Int) throws -> [UInt16] {
        let sockets = try (0..<count).map { _ in try Socket.listen(on: PeerAddress(host: "127.0.0.1", port: 0)) }
        defer { sockets.forEach { $0.close() } }
        return sockets.map(\.localPort)
    }

    /// The text of a topology of `kind` whose peers listen on free loopback ports.
    static func topologyText(_ kind: TopologyGenerator.Kind, peers count: Int, keys: [IdentityKey], name: String? = nil) throws -> String {
        let ports = try freePorts(count)
        let ids = (1...count).map { "peer-\($0)" }
        let peers = (0..<count).map {
            Topology.Peer(id: ids[$0], address: PeerAddress(host: "127.0.0.1", port: ports[$0]), status: nil, key: keys[$0].publicKey)
        }
        let edges = try TopologyGenerator.shapeEdges(.init(kind: kind, peerCount: count))
        return TopologyWriter.text(name: name ?? "\(kind.rawValue)-\(count)", peers: peers, links: edges.map { Topology.Link(ids[$0.0], ids[$0.1]) },
                                   aggregation: .defaults(peerCount: count), training: .defaults)
    }

    init(_ kind: TopologyGenerator.Kind, peers count: Int, configuration: TransportConfiguration = fastConfiguration) throws {
        let keys = (0..<count).map { _ in IdentityKey() }
        let text = try Self.topologyText(kind, peers: count, keys: keys)
        topology = try TopologyParser.parse(Array(text.utf8), file: "test")
        identities = Dictionary(uniqueKeysWithValues: zip(topology.peers.map(\.id), keys))
        self.configuration = configuration
        events = Dictionary(uniqueKeysWithValues: topology.peers.map { ($0.id, Recorder<TransportEvent>()) })
        deliveries = Dictionary(uniqueKeysWithValues: topology.peers.map { ($0.id, Recorder<FloodOverlay.Message>()) })
    }

    /// Starts (or restarts) one peer's transport and overlay.
    func start(_ id: String) throws {
        let transport = try Transport(topology: topology, localID: id, identity: identities[id]!, configuration: configuration)
        let recorder = deliveries[id]!
        let overlay = FloodOverlay(transport: transport, identity: identities[id]!) { recorder.append($0) }
        let events = self.events[id]!
        let stream = transport.events()
        Task { for await event in stream { events.append(event) } }
        try transport.start()
        peers.withLock { $0[id] = (transport, overlay) }
    }

    func startAll() throws {
        for peer in topology.peers { try start(peer.id) }
    }

    func transport(_ id: String) -> Transport { peers.withLock { $0[id]!.transport } }
    func overlay(_ id: String) -> FloodOverlay { peers.withLock { $0[id]!.overlay } }

    func stop(_ id: String) {
        peers.withLock { $0.removeValue(forKey: id) }?.transport.stop()
    }

    func stopAll() {
        for (_, peer) in peers.withLock({ $0 }) { peer.transport.stop() }
    }

    /// Waits until every link of the topology is connected on both ends.
    func waitUntilConnected(timeout: Duration = .seconds(30)) async -> Bool {
        for peer in topology.peers {
            let expected = topology.neighbours[peer.id] ?? []
            let ok = await events[peer.id]!.wait(timeout: timeout) { events in
                let connected = Set(events.compactMap { event -> String? in
                    if case .connected(let peer) = event { return peer }
                    return nil
                })
                return expected.allSatisfy(connected.contains)
            }
            if !ok { return false }
        }
        return true
    }

    /// Count of `.connected(peer)` events at `observer`.
    func connections(of peer: String, at observer: String) -> Int {
        events[observer]!.values.filter { $0 == .connected(peer: peer) }.count
    }
}
