internal import COpenBLAS

/// The one boundary between Swift integers and OpenBLAS's `Int32` dimensions.
public enum BLAS {
    /// Caps OpenBLAS's worker threads (several peers may share one host).
    /// - Parameter count: the number of threads, at least 1.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "OpenBLAS needs at least one thread")
        openblas_set_num_threads(Int32(clamping: count))
    }

    /// The number of threads OpenBLAS currently uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// `c = alpha * op(a) * op(b) + beta * c` on row-major Float32 matrices.
    ///
    /// - Parameters:
    ///   - a: `m x k` (or `k x m` when `transposeA`), row-major.
    ///   - b: `k x n` (or `n x k` when `transposeB`), row-major.
    ///   - c: `m x n`, row-major, updated in place.
    public static func gemm(
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, transposeA: Bool = false,
        b: UnsafePointer<Float>, transposeB: Bool = false,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "matrix dimensions must not be negative")
        let lda = Int32(transposeA ? m : k), ldb = Int32(transposeB ? k : n), ldc = Int32(n)
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(ldc, 1))
    }
}
