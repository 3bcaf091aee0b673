import Testing
@testable import Learn

@Suite struct BLASTests {
    /// A 2x3 by 3x2 product checked by hand, plain and with transposed operands.
    @Test func gemmMatchesHandComputedProducts() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]          // 2x3
        let b: [Float] = [7, 8, 9, 10, 11, 12]       // 3x2
        var c = [Float](repeating: 0, count: 4)
        BLAS.gemm(m: 2, n: 2, k: 3, a: a, b: b, c: &c)
        #expect(c == [58, 64, 139, 154])
        let aTransposed: [Float] = [1, 4, 2, 5, 3, 6] // 3x2 holding a^T
        var d: [Float] = [1, 1, 1, 1]
        BLAS.gemm(m: 2, n: 2, k: 3, alpha: 2, a: aTransposed, transposeA: true, b: b, beta: 1, c: &d)
        #expect(d == [117, 129, 279, 309])
    }

    @Test func threadCountIsCapped() {
        let before = BLAS.threadCount
        BLAS.setThreadCount(1)
        #expect(BLAS.threadCount == 1)
        BLAS.setThreadCount(before)
        #expect(BLAS.threadCount == before)
    }
}
