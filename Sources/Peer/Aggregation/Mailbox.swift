import Crypto
import Synchronization

/// Messages received for the rounds in progress, by kind, and tasks waiting for more. Waiters
/// wake on a new message of their kind, on `poke()` (liveness changed), or at their deadline,
/// and re-check what they need themselves, so a wake-up costs O(1) however many messages wait.
final class Mailbox<Word: RingWord>: Sendable {
    /// A decoded message and the peer it came from (authenticated by the network).
    struct Envelope: Sendable {
        let from: String
        let message: RoundMessage<Word>
        let bytes: [UInt8]

        var round: UInt64? { message.round }

        var kind: RoundMessage<Word>.Kind { RoundMessage<Word>.Kind(rawValue: bytes[0])! }
    }

    private struct Waiter {
        let kind: RoundMessage<Word>.Kind
        let beyond: Int
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var buckets: [RoundMessage<Word>.Kind: [Envelope]] = [:]
        var waiters: [Int: Waiter] = [:]
        var nextKey = 0
        var pokes = 0
        /// The instant the timer is set for: the earliest waiter's deadline, or later ones
        /// once that waiter has gone (the timer then finds nothing due and moves on).
        var scheduled: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// Wakes the waiters whose deadline has passed: one timer for every wait.
    private let timer: DeadlineTimer

    init() {
        timer = DeadlineTimer()
        timer.onFire { [weak self] in self?.wakeExpired() }
    }

    func post(_ envelope: Envelope) {
        let kind = envelope.kind
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.buckets[kind, default: []].append(envelope)
            let count = state.buckets[kind]!.count
            let done = state.waiters.filter { $0.value.kind == kind && count > $0.value.beyond }
            for key in done.keys { state.waiters.removeValue(forKey: key) }
            return done.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Wakes every waiter so that it re-checks (a peer was found dead, or this peer stopped).
    func poke() {
        let all = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiters = [:] }
            state.pokes += 1
            return state.waiters.values.map(\.continuation)
        }
        for continuation in all { continuation.resume() }
    }

    /// The messages of `kind` received so far, in arrival order.
    func messages(_ kind: RoundMessage<Word>.Kind) -> [Envelope] {
        state.withLock { $0.buckets[kind] ?? [] }
    }

    /// The rounds of the messages kept.
    func rounds() -> Set<UInt64> {
        let buckets = state.withLock { $0.buckets }
        var rounds = Set<UInt64>()
        for envelopes in buckets.values {
            for envelope in envelopes {
                if let round = envelope.round { rounds.insert(round) }
            }
        }
        return rounds
    }

    /// Drops what belongs to rounds before `round`.
    func discard(before round: UInt64) {
        state.withLock { state in
            for kind in state.buckets.keys { state.buckets[kind]!.removeAll { ($0.round ?? round) < round } }
        }
    }

    /// Drops the messages of `kind` that belong to `round`.
    func discard(_ kind: RoundMessage<Word>.Kind, round: UInt64) {
        state.withLock { state in state.buckets[kind]?.removeAll { $0.round == round } }
    }

    /// How many pokes so far: a caller reads it before checking its condition and passes it to
    /// `waitForChange`, so that a poke between the check and the wait is not lost.
    var pokeCount: Int { state.withLock { $0.pokes } }

    /// Returns when more than `beyond` messages of `kind` are there, on a poke after the
    /// caller's `pokes` snapshot, or at `deadline`.
    func waitForChange(_ kind: RoundMessage<Word>.Kind, beyond: Int, pokes: Int, until deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { continuation in
            let immediate = state.withLock { state -> Bool in
                if (state.buckets[kind]?.count ?? 0) > beyond || state.pokes > pokes || ContinuousClock.now >= deadline { return true }
                state.nextKey += 1
                state.waiters[state.nextKey] = Waiter(kind: kind, beyond: beyond, deadline: deadline, continuation: continuation)
                if state.scheduled.map({ deadline < $0 }) ?? true {
                    state.scheduled = deadline
                    timer.schedule(at: deadline)
                }
                return false
            }
            if immediate { continuation.resume() }
        }
    }

    /// Wakes the waiters whose deadline has passed and sets the timer for the next one.
    private func wakeExpired() {
        let now = ContinuousClock.now
        let due = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let expired = state.waiters.filter { $0.value.deadline <= now }
            for key in expired.keys { state.waiters.removeValue(forKey: key) }
            state.scheduled = state.waiters.values.lazy.map(\.deadline).min()
            if let next = state.scheduled { timer.schedule(at: next) }
            return expired.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
