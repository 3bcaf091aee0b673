import Crypto
import Synchronization

/// Remembers the ephemeral keys of recent client hellos, so that a replayed hello is refused
/// by name (it could not complete anyway: the client must sign the server's fresh key).
final class ReplayGuard: Sendable {
    private struct State {
        var seen = Set<X25519PublicKey>()
        var order: [X25519PublicKey] = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// True the first time a key is seen; false for a repeat.
    func admit(_ key: X25519PublicKey) -> Bool {
        state.withLock { state in
            guard state.seen.insert(key).inserted else { return false }
            state.order.append(key)
            if state.order.count > capacity {
                state.seen.remove(state.order.removeFirst())
            }
            return true
        }
    }
}
