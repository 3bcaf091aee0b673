internal import Dispatch

/// One reschedulable timer that calls its handler at an instant of the continuous clock.
///
/// A task that sleeps until a deadline and is cancelled early still holds its memory until
/// the deadline on Linux (the dispatch timer behind `Task.sleep` cannot be withdrawn), so a
/// peer that waited that way for every message would pile up a sleeping task per wait for a
/// whole phase timeout. This timer is moved instead: scheduling again replaces the previous
/// instant, and nothing is allocated per wait.
final class DeadlineTimer: @unchecked Sendable {
    // Safe to share: a dispatch source may be scheduled and cancelled from any thread.
    private let source: any DispatchSourceTimer

    /// A timer that is not scheduled yet.
    init() {
        source = DispatchSource.makeTimerSource(queue: .global())
        source.schedule(deadline: .distantFuture)
        source.resume()
    }

    /// Calls `handler` on a global queue each time a scheduled instant passes.
    func onFire(_ handler: @escaping @Sendable () -> Void) {
        source.setEventHandler(handler: handler)
    }

    deinit {
        source.cancel()
    }

    /// Fires once at `instant` (at once if it has passed), replacing any earlier schedule.
    func schedule(at instant: ContinuousClock.Instant) {
        let remaining = max(.zero, instant - ContinuousClock.now)
        let (seconds, attoseconds) = remaining.components
        source.schedule(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
    }
}
