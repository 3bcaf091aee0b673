import Synchronization
import Testing

/// Collects values from concurrent code and lets a test await a condition on them, failing
/// after a deadline instead of sleeping for a fixed time.
final class Recorder<Value: Sendable>: Sendable {
    private struct Waiter {
        let condition: @Sendable ([Value]) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }

    private let state = Mutex<(values: [Value], waiters: [Int: Waiter], next: Int)>(([], [:], 0))

    var values: [Value] { state.withLock { $0.values } }

    func append(_ value: Value) {
        let ready = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.values.append(value)
            let done = state.waiters.filter { $0.value.condition(state.values) }
            for key in done.keys { state.waiters.removeValue(forKey: key) }
            return done.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: true) }
    }

    /// Waits until `condition` holds for the values recorded so far, or `timeout` passes.
    /// - Returns: whether the condition came true.
    @discardableResult
    func wait(timeout: Duration = .seconds(30), until condition: @escaping @Sendable ([Value]) -> Bool) async -> Bool {
        let key = state.withLock { state -> Int in state.next += 1; return state.next }
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.continuation.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let satisfied = state.withLock { state -> Bool in
                if condition(state.values) { return true }
                state.waiters[key] = Waiter(condition: condition, continuation: continuation)
                return false
            }
            if satisfied { continuation.resume(returning: true) }
        }
    }
}
