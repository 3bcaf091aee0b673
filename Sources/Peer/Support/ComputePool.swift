internal import Foundation
import Synchronization

/// A fixed set of threads for heavy computation (mask expansion, training), so that it never
/// occupies the cooperative pool that network and protocol tasks need to stay responsive.
final class ComputePool: Sendable {
    /// One pool for the process, one thread per core.
    static let shared = ComputePool(threadCount: ProcessInfo.processInfo.activeProcessorCount)

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let available = DispatchSemaphore(value: 0)

    init(threadCount: Int) {
        for index in 0..<max(1, threadCount) {
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    let job = jobs.withLock { $0.removeFirst() }
                    job()
                }
            }
            thread.name = "compute-\(index)"
            thread.start()
        }
    }

    /// Runs `work` on a compute thread and returns its result.
    func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            jobs.withLock { $0.append { continuation.resume(with: Swift.Result { try work() }) } }
            available.signal()
        }
    }
}
