/// Element-wise passes over whole tensors, split into contiguous ranges over the BLAS threads
/// (each value is computed on its own, so results do not depend on the thread count).
enum Elementwise {
    /// `transform(x)` for every value of `input`.
    @inline(__always)
    static func map(_ input: Tensor, _ transform: @escaping @Sendable (Float) -> Float) -> Tensor {
        Tensor(shape: input.shape) { output in
            input.values.withUnsafeBufferPointer { x in
                guard let source = x.baseAddress.map(SendablePointer.init), let target = output.baseAddress.map(SendableMutablePointer.init) else { return }
                Parallel.forEachRange(x.count) { range in
                    for i in range { target.pointer[i] = transform(source.pointer[i]) }
                }
            }
        }
    }

    /// `combine(a, b)` for every pair of values at the same index of two tensors of one shape.
    @inline(__always)
    static func zip(_ first: Tensor, _ second: Tensor, _ combine: @escaping @Sendable (Float, Float) -> Float) -> Tensor {
        precondition(first.shape == second.shape, "element-wise shapes differ: \(first.shape) and \(second.shape)")
        return Tensor(shape: first.shape) { output in
            first.values.withUnsafeBufferPointer { a in
                second.values.withUnsafeBufferPointer { b in
                    guard let left = a.baseAddress.map(SendablePointer.init), let right = b.baseAddress.map(SendablePointer.init),
                          let target = output.baseAddress.map(SendableMutablePointer.init) else { return }
                    Parallel.forEachRange(a.count) { range in
                        for i in range { target.pointer[i] = combine(left.pointer[i], right.pointer[i]) }
                    }
                }
            }
        }
    }

    /// Adds `addend` to `tensor`, value by value.
    static func add(_ addend: Tensor, to tensor: inout Tensor) {
        precondition(tensor.shape == addend.shape, "element-wise shapes differ: \(tensor.shape) and \(addend.shape)")
        tensor.values.withUnsafeMutableBufferPointer { a in
            addend.values.withUnsafeBufferPointer { b in
                guard let target = a.baseAddress.map(SendableMutablePointer.init), let source = b.baseAddress.map(SendablePointer.init) else { return }
                Parallel.forEachRange(a.count) { range in
                    for i in range { target.pointer[i] += source.pointer[i] }
                }
            }
        }
    }
}
