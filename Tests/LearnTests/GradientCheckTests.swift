import Crypto
import Testing
@testable import Learn

/// Numeric gradient checks: the analytic backward pass against central finite differences of
/// a Float64 reference implementation of the same layer.
@Suite struct GradientCheckTests {
    func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// Float64 reference convolution (direct loops).
    func referenceConv(_ x: [Double], _ w: [Double], batch: Int, inC: Int, outC: Int, h: Int, wd: Int, k: Int, stride: Int, pad: Int) -> [Double] {
        let oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1
        var y = [Double](repeating: 0, count: batch * outC * oh * ow)
        for n in 0..<batch { for o in 0..<outC { for yy in 0..<oh { for xx in 0..<ow {
            var sum = 0.0
            for c in 0..<inC { for i in 0..<k { for j in 0..<k {
                let sy = yy * stride + i - pad, sx = xx * stride + j - pad
                if sy >= 0 && sy < h && sx >= 0 && sx < wd { sum += x[((n * inC + c) * h + sy) * wd + sx] * w[((o * inC + c) * k + i) * k + j] }
            } } }
            y[((n * outC + o) * oh + yy) * ow + xx] = sum
        } } } }
        return y
    }

    /// Loss = sum(y * r) for a fixed random r, so dL/dy = r. A batch of 2 runs im2col and col2im
    /// on two threads; padding 3 makes whole rows of the window fall into the padding.
    @Test(arguments: [(1, 0), (2, 1), (1, 1), (2, 3), (3, 2)])
    func convolution(stride: Int, padding: Int) {
        let (batch, inC, outC, h, w, k) = (2, 3, 4, 7, 6, 3)
        let layer = Conv2d(name: "conv", inputChannels: inC, outputChannels: outC, kernelSize: k, stride: stride, padding: padding,
                           weights: random(outC * inC * k * k, seed: 1))
        let input = Tensor(shape: [batch, inC, h, w], values: random(batch * inC * h * w, seed: 2))
        let output = layer.forward(input, training: true)
        let oh = layer.outputSize(h), ow = layer.outputSize(w)
        #expect(output.shape == [batch, outC, oh, ow])
        let r = random(output.count, seed: 3)
        let reference = referenceConv(input.values.map(Double.init), layer.weight.value.values.map(Double.init),
                                      batch: batch, inC: inC, outC: outC, h: h, wd: w, k: k, stride: stride, pad: padding)
        for (a, b) in zip(output.values, reference) { #expect(abs(Double(a) - b) < 1e-4) }
        let inputGradient = layer.backward(Tensor(shape: output.shape, values: r))
        func loss(_ x: [Double], _ weights: [Double]) -> Double {
            zip(referenceConv(x, weights, batch: batch, inC: inC, outC: outC, h: h, wd: w, k: k, stride: stride, pad: padding), r)
                .reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let x = input.values.map(Double.init), weights = layer.weight.value.values.map(Double.init), epsilon = 1e-4
        for index in Swift.stride(from: 0, to: x.count, by: 7) {
            var plus = x, minus = x
            plus[index] += epsilon
            minus[index] -= epsilon
            let numeric = (loss(plus, weights) - loss(minus, weights)) / (2 * epsilon)
            #expect(abs(Double(inputGradient.values[index]) - numeric) < 1e-3 * max(1, abs(numeric)), "dX[\(index)]")
        }
        for index in Swift.stride(from: 0, to: weights.count, by: 5) {
            var plus = weights, minus = weights
            plus[index] += epsilon
            minus[index] -= epsilon
            let numeric = (loss(x, plus) - loss(x, minus)) / (2 * epsilon)
            #expect(abs(Double(layer.weight.gradient.values[index]) - numeric) < 1e-3 * max(1, abs(numeric)), "dW[\(index)]")
        }
    }

    @Test func linear() {
        let (batch, inputs, outputs) = (3, 5, 4)
        let layer = Linear(name: "fc", inputFeatures: inputs, outputFeatures: outputs, weights: random(outputs * inputs, seed: 4),
                           biases: random(outputs, seed: 5))
        let input = Tensor(shape: [batch, inputs], values: random(batch * inputs, seed: 6))
        let output = layer.forward(input, training: true)
        let r = random(output.count, seed: 7)
        let inputGradient = layer.backward(Tensor(shape: output.shape, values: r))
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var total = 0.0
            for n in 0..<batch { for o in 0..<outputs {
                var y = b[o]
                for i in 0..<inputs { y += x[n * inputs + i] * w[o * inputs + i] }
                total += y * Double(r[n * outputs + o])
            } }
            return total
        }
        let x = input.values.map(Double.init), w = layer.weight.value.values.map(Double.init), b = layer.bias.value.values.map(Double.init)
        let e = 1e-4
        for i in x.indices {
            var p = x, m = x; p[i] += e; m[i] -= e
            #expect(abs(Double(inputGradient.values[i]) - (loss(p, w, b) - loss(m, w, b)) / (2 * e)) < 1e-3)
        }
        for i in w.indices {
            var p = w, m = w; p[i] += e; m[i] -= e
            #expect(abs(Double(layer.weight.gradient.values[i]) - (loss(x, p, b) - loss(x, m, b)) / (2 * e)) < 1e-3)
        }
        for i in b.indices {
            var p = b, m = b; p[i] += e; m[i] -= e
            #expect(abs(Double(layer.bias.gradient.values[i]) - (loss(x, w, p) - loss(x, w, m)) / (2 * e)) < 1e-3)
        }
    }

    @Test func reluPassesGradientWherePositive() {
        let layer = ReLU()
        let output = layer.forward(Tensor(shape: [4], values: [-1, 2, 0, 3]), training: true)
        #expect(output.values == [0, 2, 0, 3])
        #expect(layer.backward(Tensor(shape: [4], values: [5, 6, 7, 8])).values == [0, 6, 0, 8])
    }
}

@Suite struct BatchNormTests {
    func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// Float64 training-mode batch norm of `x` ([N, C, H, W]) with γ and β.
    func reference(_ x: [Double], _ gamma: [Double], _ beta: [Double], batch: Int, channels: Int, plane: Int) -> [Double] {
        var y = x
        for c in 0..<channels {
            var values: [Double] = []
            for n in 0..<batch { values += x[((n * channels + c) * plane)..<((n * channels + c + 1) * plane)] }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            for n in 0..<batch {
                for i in ((n * channels + c) * plane)..<((n * channels + c + 1) * plane) {
                    y[i] = gamma[c] * (x[i] - mean) / (variance + 1e-5).squareRoot() + beta[c]
                }
            }
        }
        return y
    }

    @Test func trainingModeGradientsMatchFiniteDifferences() {
        let (batch, channels, h, w) = (3, 2, 3, 4)
        let plane = h * w
        let layer = BatchNorm2d(name: "bn", channels: channels)
        layer.weight.value.values = [1.5, -0.5]
        layer.bias.value.values = [0.2, 0.1]
        let input = Tensor(shape: [batch, channels, h, w], values: random(batch * channels * plane, seed: 8))
        let output = layer.forward(input, training: true)
        let r = random(output.count, seed: 9)
        let x = input.values.map(Double.init), gamma = [1.5, -0.5], beta = [0.2, 0.1]
        for (a, b) in zip(output.values, reference(x, gamma, beta, batch: batch, channels: channels, plane: plane)) {
            #expect(abs(Double(a) - b) < 1e-4)
        }
        let inputGradient = layer.backward(Tensor(shape: output.shape, values: r))
        func loss(_ x: [Double], _ g: [Double], _ b: [Double]) -> Double {
            zip(reference(x, g, b, batch: batch, channels: channels, plane: plane), r).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let e = 1e-4
        for i in x.indices {
            var p = x, m = x; p[i] += e; m[i] -= e
            let numeric = (loss(p, gamma, beta) - loss(m, gamma, beta)) / (2 * e)
            #expect(abs(Double(inputGradient.values[i]) - numeric) < 2e-3, "dX[\(i)]")
        }
        for c in 0..<channels {
            var p = gamma, m = gamma; p[c] += e; m[c] -= e
            #expect(abs(Double(layer.weight.gradient.values[c]) - (loss(x, p, beta) - loss(x, m, beta)) / (2 * e)) < 2e-3)
            var pb = beta, mb = beta; pb[c] += e; mb[c] -= e
            #expect(abs(Double(layer.bias.gradient.values[c]) - (loss(x, gamma, pb) - loss(x, gamma, mb)) / (2 * e)) < 2e-3)
        }
    }

    @Test func runningStatisticsFollowPyTorch() {
        let layer = BatchNorm2d(name: "bn", channels: 1)
        // Values 1...4: mean 2.5, biased variance 1.25, unbiased 5/3.
        _ = layer.forward(Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]), training: true)
        #expect(abs(layer.runningMean.values[0] - 0.25) < 1e-6)
        #expect(abs(layer.runningVariance.values[0] - (0.9 + 0.1 * 5 / 3)) < 1e-6)
        #expect(layer.batchesTracked == 1)
        // Eval mode normalises with the running statistics.
        let evaluated = layer.forward(Tensor(shape: [1, 1, 1, 1], values: [0.25]), training: false)
        #expect(abs(evaluated.values[0]) < 1e-6)
    }
}
