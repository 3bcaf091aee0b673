internal import Dispatch

/// Work split over threads: items are independent and touch disjoint memory, each
/// item runs wholly on one thread, so results do not depend on the number of threads.
enum Parallel {
    /// Calls `body(item)` for every item in `0..<count`, on as many threads as BLAS uses.
    static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let threads = max(1, min(count, BLAS.threadCount))
        guard threads > 1 else {
            for item in 0..<count { body(item) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for item in Swift.stride(from: thread, to: count, by: threads) { body(item) }
        }
    }

    /// Calls `body(range)` for contiguous ranges that cover `0..<count`, one per thread, for
    /// element-wise passes; counts under `minimumLength` per thread run on the calling thread.
    static func forEachRange(_ count: Int, minimumLength: Int = 1 << 15, _ body: @Sendable (Range<Int>) -> Void) {
        let threads = max(1, min(BLAS.threadCount, count / max(minimumLength, 1)))
        guard threads > 1 else {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            body((count * thread / threads)..<(count * (thread + 1) / threads))
        }
    }

    /// `transform(item)` for every item in `0..<count` on `threadCount` threads, in item order.
    /// Stops handing out items at the first error and throws it.
    /// - Parameter progress: called with the number of items done so far, from worker threads.
    static func map<Result: Sendable>(_ count: Int, threadCount: Int, progress: @Sendable (Int) -> Void = { _ in },
                                      _ transform: @Sendable (Int) throws -> Result) throws -> [Result] {
        let results = Locked([Result?](repeating: nil, count: count))
        let failure = Locked<(any Error)?>(nil)
        let done = Locked(0)
        let threads = max(1, min(threadCount, count))
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for item in Swift.stride(from: thread, to: count, by: threads) where failure.value == nil {
                do {
                    let result = try transform(item)
                    results.update { $0[item] = result }
                    progress(done.update { $0 += 1; return $0 })
                } catch {
                    failure.update { $0 = $0 ?? error }
                }
            }
        }
        if let error = failure.value { throw error }
        return results.value.map { $0! }
    }
}
