/// Traffic and liveness of one neighbour, for the status endpoint.
public struct NeighbourMetrics: Equatable, Sendable {
    public let peer: String
    public var isConnected = false
    /// Completed handshakes with this neighbour since the transport started.
    public var connectionCount = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var messagesSent = 0
    public var messagesReceived = 0
    /// Time since the last frame from this neighbour, if any arrived.
    public var sinceLastHeard: Duration?

    public init(peer: String) {
        self.peer = peer
    }
}
