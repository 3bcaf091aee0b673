import Crypto
import Foundation
import Testing
@testable import Learn

@Suite struct PoolingTests {
    @Test func maxPoolRoutesGradientToTheMaximum() {
        let pool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        // One 4x4 plane with a unique maximum in every window.
        let input = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map { Float(($0 * 7) % 16) })
        let output = pool.forward(input, training: true)
        #expect(output.shape == [1, 1, 2, 2])
        // Windows (rows/cols -1...1, -1...1 | 1...3): maxima of the values (i*7)%16.
        func value(_ y: Int, _ x: Int) -> Float { Float(((y * 4 + x) * 7) % 16) }
        let expected = [(0..<2, 0..<2), (0..<2, 1..<4), (1..<4, 0..<2), (1..<4, 1..<4)].map { rows, cols in
            rows.flatMap { y in cols.map { x in value(y, x) } }.max()!
        }
        #expect(output.values == expected)
        let gradient = pool.backward(Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]))
        #expect(gradient.values.reduce(0, +) == 10)
        for (k, maximum) in expected.enumerated() {
            let index = input.values.firstIndex(of: maximum)!
            #expect(gradient.values[index] >= Float(k + 1))
        }
    }

    @Test func globalAveragePoolSpreadsGradientEvenly() {
        let pool = GlobalAveragePool()
        let output = pool.forward(Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 10, 10, 10, 14]), training: true)
        #expect(output.values == [2.5, 11])
        #expect(pool.backward(Tensor(shape: [1, 2], values: [4, 8])).values == [1, 1, 1, 1, 2, 2, 2, 2])
    }
}

@Suite struct BasicBlockTests {
    /// A whole block with a downsample path, against central differences of its own forward
    /// pass (Float32, so the step and tolerance are coarser than the Float64 layer checks).
    @Test func gradientsOfABlockWithDownsample() {
        var generator = SeededGenerator(seed: 21)
        let block = BasicBlock(name: "layer2.0", inputChannels: 2, outputChannels: 3, stride: 2)
        for parameter in block.parameters where parameter.name.hasSuffix("weight") && parameter.value.shape.count == 4 {
            parameter.value.values = parameter.value.values.map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        }
        #expect(block.parameters.map(\.name) == [
            "layer2.0.conv1.weight", "layer2.0.bn1.weight", "layer2.0.bn1.bias", "layer2.0.conv2.weight", "layer2.0.bn2.weight",
            "layer2.0.bn2.bias", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight", "layer2.0.downsample.1.bias",
        ])
        let input = Tensor(shape: [2, 2, 6, 6], values: (0..<144).map { _ in Float.random(in: -1...1, using: &generator) })
        let output = block.forward(input, training: true)
        #expect(output.shape == [2, 3, 3, 3])
        let r = (0..<output.count).map { _ in Float.random(in: -1...1, using: &generator) }
        let inputGradient = block.backward(Tensor(shape: output.shape, values: r))
        func loss(_ x: Tensor) -> Double {
            zip(block.forward(x, training: true).values, r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let epsilon: Float = 1e-2
        var checked = 0
        for index in Swift.stride(from: 0, to: input.count, by: 11) {
            var plus = input, minus = input
            plus.values[index] += epsilon
            minus.values[index] -= epsilon
            let numeric = (loss(plus) - loss(minus)) / Double(2 * epsilon)
            #expect(abs(Double(inputGradient.values[index]) - numeric) < 2e-2 * max(1, abs(numeric)), "dX[\(index)]")
            checked += 1
        }
        #expect(checked > 10)
    }
}

@Suite struct FocalLossTests {
    @Test(arguments: [(2.0, 0.25), (0.0, 0.5), (1.0, 0.75)])
    func gradientMatchesFiniteDifferences(gamma: Double, alpha: Double) {
        let loss = FocalLoss(gamma: gamma, alpha: alpha)
        let logits: [Float] = [-3, -0.5, 0, 0.7, 2.5, -1.2]
        let labels: [Float] = [0, 1, 1, 0, 1, 0]
        let (_, gradient) = loss.lossAndGradient(logits: logits, labels: labels)
        for i in logits.indices {
            var plus = logits, minus = logits
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let numeric = (loss.lossAndGradient(logits: plus, labels: labels).loss - loss.lossAndGradient(logits: minus, labels: labels).loss) / 2e-2
            #expect(abs(Double(gradient[i]) - numeric) < 1e-4, "logit \(i)")
        }
    }

    @Test func withoutFocusingItIsHalfTheCrossEntropy() {
        let logits: [Float] = [-1, 2], labels: [Float] = [0, 1]
        let (value, _) = FocalLoss(gamma: 0, alpha: 0.5).lossAndGradient(logits: logits, labels: labels)
        let crossEntropy = (log(1 + exp(-1.0)) + log(1 + exp(-2.0))) / 2 // -log(1-σ(-1)), -log σ(2)
        #expect(abs(value - crossEntropy / 2) < 1e-9)
    }
}
