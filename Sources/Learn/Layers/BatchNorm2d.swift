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

    public func releaseCaches() { cache = nil }

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
            let channels = channels
            // Channels are independent: statistics and normalisation of one channel run on one thread.
            // Each plane is summed in Float, the planes of a channel in Double.
            var means: [Float], variances: [Float]
            if training {
                var sums = [Double](repeating: 0, count: channels), squares = [Double](repeating: 0, count: channels)
                input.values.withUnsafeBufferPointer { x in
                    sums.withUnsafeMutableBufferPointer { sums in
                        squares.withUnsafeMutableBufferPointer { squares in
                            let x = SendablePointer(x.baseAddress!)
                            let sums = SendableMutablePointer(sums.baseAddress!), squares = SendableMutablePointer(squares.baseAddress!)
                            Parallel.forEach(channels) { c in
                                var sum = 0.0, squared = 0.0
                                for n in 0..<batch { sum += Double(Reduction.sum(x.pointer + (n * channels + c) * plane, count: plane)) }
                                let mean = Float(sum / Double(count))
                                for n in 0..<batch {
                                    squared += Double(Reduction.squaredDeviations(x.pointer + (n * channels + c) * plane, count: plane, mean: mean))
                                }
                                sums.pointer[c] = sum
                                squares.pointer[c] = squared
                            }
                        }
                    }
                }
                means = sums.map { Float($0 / Double(count)) }
                variances = squares.map { Float($0 / Double(count)) }
                for c in 0..<channels {
                    let unbiased = count > 1 ? Float(squares[c] / Double(count - 1)) : variances[c]
                    runningMean.values[c] = (1 - momentum) * runningMean.values[c] + momentum * means[c]
                    runningVariance.values[c] = (1 - momentum) * runningVariance.values[c] + momentum * unbiased
                }
            } else {
                means = runningMean.values
                variances = runningVariance.values
            }
            let inverseDeviations = variances.map { 1 / ($0 + epsilon).squareRoot() }
            let gammas = weight.value.values, betas = bias.value.values, channelMeans = means
            var normalized = training ? [Float](repeating: 0, count: input.count) : []
            let output = Tensor(shape: input.shape) { output in
                input.values.withUnsafeBufferPointer { x in
                    normalized.withUnsafeMutableBufferPointer { normalized in
                        let x = SendablePointer(x.baseAddress!), y = SendableMutablePointer(output.baseAddress!)
                        let xHat = training ? normalized.baseAddress.map(SendableMutablePointer.init) : nil
                        Parallel.forEach(channels) { c in
                            let (mean, inverse, gamma, beta) = (channelMeans[c], inverseDeviations[c], gammas[c], betas[c])
                            for n in 0..<batch {
                                let start = (n * channels + c) * plane
                                if let xHat {
                                    for i in start..<(start + plane) {
                                        let normal = (x.pointer[i] - mean) * inverse
                                        xHat.pointer[i] = normal
                                        y.pointer[i] = gamma * normal + beta
                                    }
                                } else {
                                    for i in start..<(start + plane) { y.pointer[i] = gamma * ((x.pointer[i] - mean) * inverse) + beta }
                                }
                            }
                        }
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
            let channels = channels
            let gammas = weight.value.values
            // Per channel, on one thread: the two sums, then the input gradient.
            var sums = [Float](repeating: 0, count: channels), products = [Float](repeating: 0, count: channels)
            let inputGradient = Tensor(shape: shape) { inputGradient in
                outputGradient.values.withUnsafeBufferPointer { gradients in
                    normalized.withUnsafeBufferPointer { normalized in
                        sums.withUnsafeMutableBufferPointer { sums in
                            products.withUnsafeMutableBufferPointer { products in
                                let dy = SendablePointer(gradients.baseAddress!), xHat = SendablePointer(normalized.baseAddress!)
                                let dx = SendableMutablePointer(inputGradient.baseAddress!)
                                let sums = SendableMutablePointer(sums.baseAddress!), products = SendableMutablePointer(products.baseAddress!)
                                Parallel.forEach(channels) { c in
                                    var sumGradient: Float = 0, sumGradientXHat: Float = 0
                                    for n in 0..<batch {
                                        let start = (n * channels + c) * plane
                                        sumGradient += Reduction.sum(dy.pointer + start, count: plane)
                                        sumGradientXHat += Reduction.dot(dy.pointer + start, xHat.pointer + start, count: plane)
                                    }
                                    sums.pointer[c] = sumGradient
                                    products.pointer[c] = sumGradientXHat
                                    let scale = gammas[c] * inverseDeviations[c] / count
                                    for n in 0..<batch {
                                        let start = (n * channels + c) * plane
                                        for i in start..<(start + plane) {
                                            dx.pointer[i] = scale * (count * dy.pointer[i] - sumGradient - xHat.pointer[i] * sumGradientXHat)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            for c in 0..<channels {
                bias.gradient.values[c] += sums[c]
                weight.gradient.values[c] += products[c]
            }
            return inputGradient
        }
    }
}
