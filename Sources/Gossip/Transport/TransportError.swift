internal import Foundation
internal import Glibc

/// Failures of the transport. System errors carry the call and errno.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed.
    case system(call: String, errno: Int32)
    /// A host name or address did not resolve.
    case resolution(host: String, reason: String)
    /// The connection was closed (by the other side, or because it misbehaved).
    case closed
    /// The handshake was refused; the reason says why.
    case refused(RefusalReason)
    /// A frame or message broke the wire format (too long, undecryptable, malformed).
    case protocolViolation(String)
    /// An operation did not complete in time.
    case timedOut(String)
    /// The peer is not a neighbour, or is not connected now.
    case notConnected(peer: String)
    /// The transport has been stopped.
    case stopped

    public var description: String {
        switch self {
        case let .system(call, errno): return "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .resolution(host, reason): return "cannot resolve \(host): \(reason)"
        case .closed: return "connection closed"
        case let .refused(reason): return "handshake refused: \(reason)"
        case let .protocolViolation(what): return "protocol violation: \(what)"
        case let .timedOut(what): return "timed out: \(what)"
        case let .notConnected(peer): return "not connected to \(peer)"
        case .stopped: return "the transport is stopped"
        }
    }
}

/// Why a handshake was refused. Logged on the refusing side; nothing of the payload is read.
public enum RefusalReason: Equatable, Sendable, CustomStringConvertible {
    /// The hello's identity key is not pinned in the topology.
    case unknownKey(String)
    /// The other side runs with a different topology file.
    case wrongFederation(ours: String, theirs: String)
    /// A signature over the handshake transcript did not verify.
    case badSignature(peer: String)
    /// The key belongs to a peer that is not linked to us.
    case notNeighbour(peer: String)
    /// The same client hello was seen before.
    case replayedHello(peer: String)
    /// The bytes were not a hello of this protocol.
    case malformedHello(String)
    /// The dialled address answered with another peer's key.
    case unexpectedPeer(expected: String, got: String)
    /// The listener already held its limit of unauthenticated connections; a new one was closed
    /// before anything was read from it.
    case tooManyPendingHandshakes(limit: Int)

    public var description: String {
        switch self {
        case let .unknownKey(key): return "unknown key \(key)"
        case let .wrongFederation(ours, theirs): return "wrong federation id: ours \(ours), theirs \(theirs) (the topology files differ)"
        case let .badSignature(peer): return "bad signature from \(peer)"
        case let .notNeighbour(peer): return "\(peer) is not a neighbour in the topology"
        case let .replayedHello(peer): return "replayed hello claiming to be \(peer)"
        case let .malformedHello(what): return "malformed hello: \(what)"
        case let .unexpectedPeer(expected, got): return "expected \(expected), the address answered as \(got)"
        case let .tooManyPendingHandshakes(limit): return "too many handshakes in progress (limit \(limit)); closed a new connection"
        }
    }
}
