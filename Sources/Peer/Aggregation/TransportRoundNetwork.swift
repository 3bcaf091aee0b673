import Learn
public import Crypto
public import Gossip

/// The round protocol's network over the real transport: broadcast through the signed flooding
/// overlay, direct messages on transport channel 2, liveness from the failure detector (a peer
/// that is not a neighbour counts as alive: this peer has no view of it).
public final class TransportRoundNetwork: RoundNetwork {
    /// The transport channel of direct round messages.
    public static let channel: UInt8 = 2

    private let transport: Transport
    private let overlay = Locked<FloodOverlay?>(nil)
    private let receiver = Locked<(@Sendable ([UInt8], String) async -> Void)?>(nil)

    /// Attaches to `transport` (taking its flooding channel and channel 2) before it starts.
    public init(transport: Transport, identity: IdentityKey) {
        self.transport = transport
        let receiver = self.receiver
        let overlay = FloodOverlay(transport: transport, identity: identity) { message in
            // Our own broadcasts are handled locally by the protocol; only others' are delivered.
            guard message.origin != transport.localID, let deliver = receiver.value else { return }
            await deliver(message.payload, message.origin)
        }
        self.overlay.value = overlay
        transport.setHandler(channel: Self.channel) { from, bytes in
            await receiver.value?(bytes, from)
        }
    }

    /// Routes everything received to `peer`, and tells it when a neighbour goes down.
    public func attach<Word: RingWord>(_ peer: SecureAggregationPeer<Word>) {
        receiver.value = { bytes, from in await peer.receive(bytes, from: from) }
        let events = transport.events()
        Task {
            for await event in events {
                switch event {
                case .disconnected, .suspected, .connected: peer.livenessChanged()
                case .refused: break
                }
            }
        }
    }

    public func broadcast(_ message: [UInt8]) async {
        guard let overlay = overlay.value else { return }
        await overlay.publish(message)
    }

    public func send(_ message: [UInt8], to peer: String) async -> Bool {
        do {
            try await transport.send(message, channel: Self.channel, to: peer)
            return true
        } catch {
            return false
        }
    }

    public func watches(_ peer: String) -> Bool { transport.topology.areNeighbours(transport.localID, peer) }

    public func isLive(_ peer: String) -> Bool {
        peer == transport.localID || !transport.topology.areNeighbours(transport.localID, peer)
            || transport.connectedNeighbours.contains(peer)
    }
}
