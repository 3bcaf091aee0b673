internal import Foundation
internal import Glibc

/// The shape of swift-nio's `syscall(blocking:)`: a call's result, "would block", or a thrown
/// error naming the call. EINTR is retried.
enum SystemCall {
    enum Outcome<Value> {
        case done(Value)
        case wouldBlock
    }

    /// Runs `body` (a call returning -1 and setting errno on failure).
    static func run<Value: BinaryInteger>(_ name: String, _ body: () -> Value) throws(TransportError) -> Outcome<Value> {
        while true {
            let result = body()
            if result >= 0 { return .done(result) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK, EINPROGRESS: return .wouldBlock
            default: throw .system(call: name, errno: errno)
            }
        }
    }

    /// Runs a call that must not block.
    @discardableResult
    static func checked<Value: BinaryInteger>(_ name: String, _ body: () -> Value) throws(TransportError) -> Value {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno == EINTR { continue }
            throw .system(call: name, errno: errno)
        }
    }
}
