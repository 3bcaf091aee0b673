/// Timing and limits of a `Transport`.
public struct TransportConfiguration: Sendable {
    /// A handshake not finished within this is abandoned (slow or silent dialers).
    public var handshakeTimeout: Duration = .seconds(5)
    /// How often a heartbeat goes to every connected neighbour.
    public var heartbeatInterval: Duration = .milliseconds(500)
    /// A neighbour heard nothing from for this long is suspected, reported down and
    /// disconnected (its dialler then reconnects when it is back).
    public var suspectTimeout: Duration = .seconds(3)
    /// First reconnection delay; doubles per failure up to `reconnectMaximumDelay`, with
    /// up to 50% random jitter added.
    public var reconnectBaseDelay: Duration = .milliseconds(100)
    public var reconnectMaximumDelay: Duration = .seconds(5)
    /// The largest message (after reassembly) accepted from a neighbour.
    public var maximumMessageByteCount = 1 << 30
    /// Where to listen, if not at this peer's topology address (e.g. 0.0.0.0:7400).
    public var listenAddress: PeerAddress?

    public init() {}
}
