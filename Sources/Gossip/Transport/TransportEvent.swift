/// What a transport reports about its neighbours, in order.
public enum TransportEvent: Equatable, Sendable, CustomStringConvertible {
    /// A handshake with the neighbour completed.
    case connected(peer: String)
    /// The connection to the neighbour ended; the reason says how.
    case disconnected(peer: String, reason: String)
    /// Nothing was heard from the neighbour within the suspect timeout; it is treated as down.
    case suspected(peer: String)
    /// A handshake was refused, by us or by the other side.
    case refused(RefusalReason)

    public var description: String {
        switch self {
        case let .connected(peer): return "connected to \(peer)"
        case let .disconnected(peer, reason): return "disconnected from \(peer): \(reason)"
        case let .suspected(peer): return "suspect \(peer): nothing heard within the timeout"
        case let .refused(reason): return "refused: \(reason)"
        }
    }

    /// Whether this is a refused handshake.
    public var isRefusal: Bool {
        if case .refused = self { return true }
        return false
    }
}
