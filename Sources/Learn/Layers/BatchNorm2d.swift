/// Batch normalisation over N, H and W for each channel (PyTorch's BatchNorm2d: momentum 0.1,
/// eps 1e-5, biased variance to normalise, unbiased variance in the running estimate).
public final class BatchNorm2d: Layer {
    /// Itself: its running statistics are state_dict buffers.
    public var batchNorms: [BatchNorm2d] { [self] }

    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    /// γ, initialised to 1.
    public let weight: Parameter
    /// β, initialised to 0.
    public let bias: Parameter
    /// Buffers, as in the state_dict.
    public internal(set) var runningMean: Tensor
    public internal(set) var runningVariance: Tensor
    public internal(set) var batchesTracked: Int64 = 0

    private var cache: (normalized: [Float], inverseDeviation: [Float], shape: [Int])?

    public init(name: String, channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(name: name + ".weight", value: Tensor(shape: [channels], repeating: 1))
        bias = Parameter(name: name + ".bias", value: Tensor(shape: [channels]))
        runningMean = Tensor(shape: [channels])
        runningVariance = Tensor(shape: [channels], repeating: 1)
    }

    public var parameters: [Parameter] { [weight, bias] }

    /// weight, bias, running_mean, running_var, num_batches_tracked.
    public var stateDict: [SafetensorsWriter.Tensor] {
        let prefix = String(weight.name.dropLast(".weight".count))
        return [.init(name: weight.name, shape: [channels], values: weight.value.values),
                .init(name: bias.name, shape: [channels], values: bias.value.values),
                .init(name: prefix + ".running_mean", shape: [channels], values: runningMean.values),
                .init(name: prefix + ".running_var", shape: [channels], values: runningVariance.values),
                .init(name: prefix + ".num_batches_tracked", shape: [], integers: [batchesTracked])]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerProfile.measure("BatchNorm2d", String(weight.name.dropLast(".weight".count)), .forward) {
            precondition(input.shape.count == 4 && input.shape[1] == channels, "BatchNorm2d expects [N, \(channels), H, W], got \(input.shape)")
            let (batch, plane) = (input.shape[0], input.shape[2] * input.shape[3])
            let count = batch * plane
            var output = Tensor(shape: input.shape)
            var normalized = training ? [Float](repeating: 0, count: input.count) : []
            var inverseDeviations = [Float](repeating: 0, count: channels)
            for c in 0..<channels {
                var mean: Float, variance: Float
                if training {
                    var sum = 0.0, squares = 0.0
                    for n in 0..<batch {
                        let start = (n * channels + c) * plane
                        for i in start..<(start + plane) { sum += Double(input.values[i]) }
                    }
                    let mean64 = sum / Double(count)
                    for n in 0..<batch {
                        let start = (n * channels + c) * plane
                        for i in start..<(start + plane) { let d = Double(input.values[i]) - mean64; squares += d * d }
                    }
                    mean = Float(mean64)
                    variance = Float(squares / Double(count))
                    let unbiased = count > 1 ? Float(squares / Double(count - 1)) : variance
                    runningMean.values[c] = (1 - momentum) * runningMean.values[c] + momentum * mean
                    runningVariance.values[c] = (1 - momentum) * runningVariance.values[c] + momentum * unbiased
                } else {
                    mean = runningMean.values[c]
                    variance = runningVariance.values[c]
                }
                let inverse = 1 / (variance + epsilon).squareRoot()
                inverseDeviations[c] = inverse
                let (gamma, beta) = (weight.value.values[c], bias.value.values[c])
                for n in 0..<batch {
                    let start = (n * channels + c) * plane
                    for i in start..<(start + plane) {
                        let xHat = (input.values[i] - mean) * inverse
                        if training { normalized[i] = xHat }
                        output.values[i] = gamma * xHat + beta
                    }
                }
            }
            if training {
                batchesTracked += 1
                cache = (normalized, inverseDeviations, input.shape)
            }
            return output
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        LayerProfile.measure("BatchNorm2d", String(weight.name.dropLast(".weight".count)), .backward) {
            guard let (normalized, inverseDeviations, shape) = cache else { preconditionFailure("BatchNorm2d.backward without a training forward") }
            let (batch, plane) = (shape[0], shape[2] * shape[3])
            let count = Float(batch * plane)
            var inputGradient = Tensor(shape: shape)
            for c in 0..<channels {
                var sumGradient: Float = 0, sumGradientXHat: Float = 0
                for n in 0..<batch {
                    let start = (n * channels + c) * plane
                    for i in start..<(start + plane) {
                        sumGradient += outputGradient.values[i]
                        sumGradientXHat += outputGradient.values[i] * normalized[i]
                    }
                }
                bias.gradient.values[c] += sumGradient
                weight.gradient.values[c] += sumGradientXHat
                let scale = weight.value.values[c] * inverseDeviations[c] / count
                for n in 0..<batch {
                    let start = (n * channels + c) * plane
                    for i in start..<(start + plane) {
                        inputGradient.values[i] = scale * (count * outputGradient.values[i] - sumGradient - normalized[i] * sumGradientXHat)
                    }
                }
            }
            return inputGradient
        }
    }
}
