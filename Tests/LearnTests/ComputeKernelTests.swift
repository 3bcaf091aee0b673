import Crypto
import Testing
@testable import Learn

/// The shared pieces the layers compute with: ranges over threads, reductions, scratch memory.
@Suite struct ComputeKernelTests {
    @Test(arguments: [0, 1, 7, 65_536, 100_003])
    func rangesCoverEveryIndexOnce(count: Int) {
        let seen = Locked([Int](repeating: 0, count: count))
        Parallel.forEachRange(count, minimumLength: 1000) { range in
            seen.update { for i in range { $0[i] += 1 } }
        }
        #expect(seen.value.allSatisfy { $0 == 1 })
    }

    @Test(arguments: [0, 1, 15, 16, 17, 1000, 4099])
    func reductionsMatchDoublePrecisionSums(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count) + 1)
        let a = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
        let b = (0..<count).map { _ in Float.random(in: -2...2, using: &generator) }
        let mean: Float = 0.25
        let sum = a.reduce(0.0) { $0 + Double($1) }
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let squares = a.reduce(0.0) { $0 + (Double($1) - Double(mean)) * (Double($1) - Double(mean)) }
        let tolerance = 1e-5 * Double(max(count, 1))
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                guard let x = a.baseAddress, let y = b.baseAddress else { return }
                #expect(abs(Double(Reduction.sum(x, count: count)) - sum) <= tolerance)
                #expect(abs(Double(Reduction.dot(x, y, count: count)) - dot) <= tolerance)
                #expect(abs(Double(Reduction.squaredDeviations(x, count: count, mean: mean)) - squares) <= tolerance)
            }
        }
    }

    /// The vector loops and their scalar tails give max(x, 0) and its gradient value by value.
    @Test(arguments: [1, 15, 16, 37, 70_001])
    func reluAndItsGradientValueByValue(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        let input = Tensor(shape: [count], values: (0..<count).map { _ in Float.random(in: -1...1, using: &generator) })
        let gradient = Tensor(shape: [count], values: (0..<count).map { _ in Float.random(in: -1...1, using: &generator) })
        #expect(Elementwise.relu(input).values == input.values.map { max($0, 0) })
        #expect(Elementwise.reluGradient(input: input, gradient: gradient).values == zip(input.values, gradient.values).map { $0 > 0 ? $1 : 0 })
        var sum = input
        Elementwise.add(gradient, to: &sum)
        #expect(sum.values == zip(input.values, gradient.values).map { $0 + $1 })
    }

    @Test func scratchBuffersAreReusedAndNeverShared() {
        let pool = ScratchPool(keeping: 2)
        let first = pool.withBuffer(count: 1000) { UInt(bitPattern: $0.baseAddress) }
        // A smaller request reuses the idle buffer; a nested one gets other memory.
        let (outer, inner) = pool.withBuffer(count: 500) { outer in
            (UInt(bitPattern: outer.baseAddress), pool.withBuffer(count: 500) { UInt(bitPattern: $0.baseAddress) })
        }
        #expect(outer == first)
        #expect(inner != outer)
        // A larger request than any idle buffer allocates.
        let larger = pool.withBuffer(count: 5000) { $0.count }
        #expect(larger == 5000)
    }

    @Test func convolutionGivesTheSameResultsAfterAnInputOfAnotherShape() {
        var generator = SeededGenerator(seed: 21)
        let weights = (0..<(4 * 2 * 9)).map { _ in Float.random(in: -1...1, using: &generator) }
        let reused = Conv2d(name: "c", inputChannels: 2, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, weights: weights)
        let fresh = Conv2d(name: "c", inputChannels: 2, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, weights: weights)
        let square = Tensor(shape: [2, 2, 8, 8], values: (0..<256).map { _ in Float.random(in: -1...1, using: &generator) })
        // Same number of values, other geometry: its padding lies elsewhere in the column matrix.
        let wide = Tensor(shape: [2, 2, 4, 16], values: (0..<256).map { _ in Float.random(in: -1...1, using: &generator) })
        _ = reused.forward(square, training: true)
        let afterOther = reused.forward(wide, training: true)
        #expect(afterOther == fresh.forward(wide, training: true))
        let gradient = Tensor(shape: afterOther.shape, values: (0..<afterOther.count).map { _ in Float.random(in: -1...1, using: &generator) })
        #expect(reused.backward(gradient) == fresh.backward(gradient))
        #expect(reused.weight.gradient == fresh.weight.gradient)
    }
}
