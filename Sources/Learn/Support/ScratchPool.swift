/// Reusable Float buffers for the transient matrices of a layer pass (a convolution's product
/// and column gradient), so a training step does not map and zero fresh memory for them.
/// Fresh large allocations cost page faults: about 19 ms for a 38 MB column matrix here.
final class ScratchPool: Sendable {
    /// The pool every layer draws from.
    static let shared = ScratchPool(keeping: 4)

    /// At most this many idle buffers are kept; the smallest go first.
    let capacity: Int
    private let idle = Locked<[Buffer]>([])

    init(keeping capacity: Int) {
        self.capacity = capacity
    }

    /// Calls `body` with `count` Floats of uninitialised memory that nobody else uses meanwhile.
    func withBuffer<Result>(count: Int, _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result) rethrows -> Result {
        let buffer = take(count)
        defer { give(buffer) }
        return try body(UnsafeMutableBufferPointer(start: buffer.base, count: count))
    }

    /// Frees every idle buffer.
    func drain() {
        idle.update { $0.removeAll() }
    }

    /// The smallest idle buffer that holds `count` values, or a new one.
    private func take(_ count: Int) -> Buffer {
        let reused = idle.update { idle -> Buffer? in
            guard let index = idle.indices.filter({ idle[$0].count >= count }).min(by: { idle[$0].count < idle[$1].count }) else { return nil }
            return idle.remove(at: index)
        }
        return reused ?? Buffer(count: count)
    }

    private func give(_ buffer: Buffer) {
        idle.update { idle in
            idle.append(buffer)
            idle.sort { $0.count > $1.count }
            if idle.count > capacity { idle.removeLast(idle.count - capacity) }
        }
    }

    /// Memory owned by the pool, handed to one pass at a time.
    private final class Buffer: @unchecked Sendable {
        let base: UnsafeMutablePointer<Float>
        let count: Int

        init(count: Int) {
            base = UnsafeMutablePointer.allocate(capacity: max(count, 1))
            self.count = count
        }

        deinit { base.deallocate() }
    }
}
