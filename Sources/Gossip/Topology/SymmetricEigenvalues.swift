/// Eigenvalues of small dense symmetric matrices by the cyclic Jacobi method (Float64).
enum SymmetricEigenvalues {
    /// The eigenvalues of the symmetric `n x n` row-major `matrix`, sorted descending.
    static func of(_ matrix: [Double], size n: Int) -> [Double] {
        precondition(matrix.count == n * n, "matrix size mismatch")
        var a = matrix
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { offDiagonal += a[p * n + q] * a[p * n + q] } }
            if offDiagonal < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where abs(a[p * n + q]) > 1e-300 {
                    rotate(&a, n: n, p: p, q: q)
                }
            }
        }
        return (0..<n).map { a[$0 * n + $0] }.sorted(by: >)
    }

    /// One Jacobi rotation zeroing a[p][q].
    private static func rotate(_ a: inout [Double], n: Int, p: Int, q: Int) {
        let apq = a[p * n + q], app = a[p * n + p], aqq = a[q * n + q]
        let theta = (aqq - app) / (2 * apq)
        let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        for k in 0..<n {
            let akp = a[k * n + p], akq = a[k * n + q]
            a[k * n + p] = c * akp - s * akq
            a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {
            let apk = a[p * n + k], aqk = a[q * n + k]
            a[p * n + k] = c * apk - s * aqk
            a[q * n + k] = s * apk + c * aqk
        }
    }
}
