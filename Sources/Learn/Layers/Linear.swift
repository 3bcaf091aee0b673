/// A fully connected layer: y = x W^T + b, x of shape [N, inputs] (PyTorch's Linear).
public final class Linear: Layer {
    public let inputFeatures: Int
    public let outputFeatures: Int
    /// [outputFeatures, inputFeatures].
    public let weight: Parameter
    /// [outputFeatures].
    public let bias: Parameter

    private var cachedInput: Tensor?

    public func releaseCaches() { cachedInput = nil }

    public init(name: String, inputFeatures: Int, outputFeatures: Int, weights: [Float]? = nil, biases: [Float]? = nil) {
        precondition(inputFeatures > 0 && outputFeatures > 0, "invalid linear layer")
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter(name: name + ".weight", value: Tensor(shape: [outputFeatures, inputFeatures],
                                                                  values: weights ?? [Float](repeating: 0, count: outputFeatures * inputFeatures)))
        bias = Parameter(name: name + ".bias", value: Tensor(shape: [outputFeatures], values: biases ?? [Float](repeating: 0, count: outputFeatures)))
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerProfile.measure("Linear", String(weight.name.dropLast(".weight".count)), .forward) {
            let batch = input.shape[0]
            precondition(input.count == batch * inputFeatures, "Linear expects [N, \(inputFeatures)], got \(input.shape)")
            var output = Tensor(shape: [batch, outputFeatures])
            for n in 0..<batch {
                for o in 0..<outputFeatures { output.values[n * outputFeatures + o] = bias.value.values[o] }
            }
            input.values.withUnsafeBufferPointer { x in
                weight.value.values.withUnsafeBufferPointer { w in
                    output.values.withUnsafeMutableBufferPointer { y in
                        BLAS.gemm(m: batch, n: outputFeatures, k: inputFeatures, a: x.baseAddress!, b: w.baseAddress!, transposeB: true,
                                  beta: 1, c: y.baseAddress!)
                    }
                }
            }
            if training { cachedInput = input }
            return output
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        LayerProfile.measure("Linear", String(weight.name.dropLast(".weight".count)), .backward) {
            guard let input = cachedInput else { preconditionFailure("Linear.backward without a training forward") }
            let batch = input.shape[0]
            var inputGradient = Tensor(shape: input.shape)
            outputGradient.values.withUnsafeBufferPointer { dy in
                input.values.withUnsafeBufferPointer { x in
                    weight.gradient.values.withUnsafeMutableBufferPointer { dw in
                        // dW += dY^T (out x N) * X (N x in)
                        BLAS.gemm(m: outputFeatures, n: inputFeatures, k: batch, a: dy.baseAddress!, transposeA: true, b: x.baseAddress!,
                                  beta: 1, c: dw.baseAddress!)
                    }
                }
                weight.value.values.withUnsafeBufferPointer { w in
                    inputGradient.values.withUnsafeMutableBufferPointer { dx in
                        // dX = dY (N x out) * W (out x in)
                        BLAS.gemm(m: batch, n: inputFeatures, k: outputFeatures, a: dy.baseAddress!, b: w.baseAddress!, c: dx.baseAddress!)
                    }
                }
            }
            for n in 0..<batch {
                for o in 0..<outputFeatures { bias.gradient.values[o] += outputGradient.values[n * outputFeatures + o] }
            }
            return inputGradient
        }
    }
}
