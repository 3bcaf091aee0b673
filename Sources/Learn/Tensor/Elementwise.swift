/// Element-wise passes over whole tensors, split into contiguous ranges over the BLAS threads
/// (each value is computed on its own, so results do not depend on the thread count). Each pass
/// is its own loop, so that it compiles to vector code with no call per value.
enum Elementwise {
    /// max(x, 0) for every value.
    static func relu(_ input: Tensor) -> Tensor {
        Tensor(shape: input.shape) { output in
            input.values.withUnsafeBufferPointer { x in
                guard let source = x.baseAddress.map(SendablePointer.init), let target = output.baseAddress.map(SendableMutablePointer.init) else { return }
                Parallel.forEachRange(x.count) { range in
                    for i in range { target.pointer[i] = max(source.pointer[i], 0) }
                }
            }
        }
    }

    /// The gradient through max(x, 0): `gradient` where `input` is positive, else 0.
    static func reluGradient(input: Tensor, gradient: Tensor) -> Tensor {
        precondition(input.shape == gradient.shape, "element-wise shapes differ: \(input.shape) and \(gradient.shape)")
        return Tensor(shape: input.shape) { output in
            input.values.withUnsafeBufferPointer { x in
                gradient.values.withUnsafeBufferPointer { g in
                    guard let source = x.baseAddress.map(SendablePointer.init), let upstream = g.baseAddress.map(SendablePointer.init),
                          let target = output.baseAddress.map(SendableMutablePointer.init) else { return }
                    Parallel.forEachRange(x.count) { range in
                        // Sixteen at a time with a blend: a branch per value would mispredict half the time.
                        var i = range.lowerBound
                        while i + 16 <= range.upperBound {
                            let positive = SIMD16(loading: source.pointer + i) .> 0
                            let passed = SIMD16<Float>(repeating: 0).replacing(with: SIMD16(loading: upstream.pointer + i), where: positive)
                            UnsafeMutableRawPointer(target.pointer + i).storeBytes(of: passed, as: SIMD16<Float>.self)
                            i += 16
                        }
                        while i < range.upperBound {
                            target.pointer[i] = source.pointer[i] > 0 ? upstream.pointer[i] : 0
                            i += 1
                        }
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
