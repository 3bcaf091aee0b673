/// Sums over contiguous Float runs with sixteen running sums (so the loop vectorises; the order of
/// additions is fixed, so results do not depend on threads).
enum Reduction {
    /// Σ x[i] for i in 0..<count.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        fold(count, { SIMD16(loading: x + $0) }, { x[$0] })
    }

    /// Σ (x[i] - mean)² for i in 0..<count.
    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Float>, count: Int, mean: Float) -> Float {
        fold(count, { let d = SIMD16(loading: x + $0) - mean; return d * d }, { let d = x[$0] - mean; return d * d })
    }

    /// Σ a[i] b[i] for i in 0..<count.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        fold(count, { SIMD16(loading: a + $0) * SIMD16(loading: b + $0) }, { a[$0] * b[$0] })
    }

    /// Σ term(i): `block(i)` gives the terms i..<i+16, `single(i)` one term for the tail.
    @inline(__always)
    private static func fold(_ count: Int, _ block: (Int) -> SIMD16<Float>, _ single: (Int) -> Float) -> Float {
        var lanes = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            lanes += block(i)
            i += 16
        }
        var total = lanes.sum()
        while i < count {
            total += single(i)
            i += 1
        }
        return total
    }
}

extension SIMD16 where Scalar == Float {
    /// Sixteen values read from `pointer`, which need not be aligned.
    @inline(__always)
    init(loading pointer: UnsafePointer<Float>) {
        self = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
}
