/// Timing and limits of a `Transport`.
public struct TransportConfiguration: Sendable {
    /// A handshake not finished within this is abandoned (slow or silent dialers): the signed
    /// hellos and the exchange of secretstream headers together.
    public var handshakeTimeout: Duration = .seconds(5)
    /// The most connections the listener holds accepted but not yet authenticated; beyond it, a
    /// new connection is closed at once and reported as refused.
    public var maximumPendingHandshakes = 64
    /// How often a heartbeat goes to every connected neighbour.
    public var heartbeatInterval: Duration = .milliseconds(500)
    /// A neighbour heard nothing from for this long is suspected, reported down and
    /// disconnected (its dialler then reconnects when it is back).
    public var suspectTimeout: Duration = .seconds(3)
    /// First reconnection delay; doubles per failure up to `reconnectMaximumDelay`, with
    /// up to 50% random jitter added.
    public var reconnectBaseDelay: Duration = .milliseconds(100)
    public var reconnectMaximumDelay: Duration = .seconds(5)
    /// The largest message (after reassembly) accepted from a neighbour on any channel; a
    /// channel's handler may register a smaller limit (the flooding overlay does).
    public var maximumMessageByteCount = 1 << 30
    /// Bytes of received messages that may wait for their handlers per connection (beyond it,
    /// reading waits for them); reading and heartbeats go on while a handler works.
    public var deliveryQueueByteCount = 64 << 20
    /// Where to listen, if not at this peer's topology address (e.g. 0.0.0.0:7400).
    public var listenAddress: PeerAddress?

    public init() {}
}
