internal import Dispatch

/// A pointer handed to worker threads that read disjoint (or shared, unchanging) parts of its memory.
struct SendablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafePointer<Element>
    init(_ pointer: UnsafePointer<Element>) { self.pointer = pointer }
}

/// A mutable pointer handed to worker threads that write disjoint parts of its memory.
struct SendableMutablePointer<Element>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    init(_ pointer: UnsafeMutablePointer<Element>) { self.pointer = pointer }
}

/// Work split over the BLAS threads: items are independent and touch disjoint memory, each
/// item runs wholly on one thread, so results do not depend on the number of threads.
enum Parallel {
    /// Calls `body(item)` for every item in `0..<count`.
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
}
