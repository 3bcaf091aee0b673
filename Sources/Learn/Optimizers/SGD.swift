/// Stochastic gradient descent with momentum, weight decay and Nesterov momentum, with PyTorch's
/// update rule: g = ∇ + λp; b = μb + g (b = g at the first step); g = g + μb (Nesterov) or b; p -= η g.
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    /// The momentum buffer of each parameter by name, from its first step on.
    private var buffers: [String: Tensor] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(learningRate > 0 && momentum >= 0 && weightDecay >= 0, "invalid SGD settings")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    /// Updates every parameter from its gradient, then zeroes the gradients.
    public func step(_ parameters: [Parameter]) {
        let (rate, momentum, weightDecay, nesterov) = (learningRate, momentum, weightDecay, nesterov)
        for parameter in parameters {
            let key = parameter.name
            let first = buffers[key] == nil
            var buffer = buffers.removeValue(forKey: key) ?? Tensor(shape: momentum != 0 ? parameter.value.shape : [0])
            parameter.value.values.withUnsafeMutableBufferPointer { values in
                parameter.gradient.values.withUnsafeMutableBufferPointer { gradients in
                    buffer.values.withUnsafeMutableBufferPointer { buffer in
                        let p = SendableMutablePointer(values.baseAddress!), g = SendableMutablePointer(gradients.baseAddress!)
                        let b = momentum != 0 ? buffer.baseAddress.map(SendableMutablePointer.init) : nil
                        Parallel.forEachRange(values.count) { range in
                            for i in range {
                                var step = g.pointer[i] + weightDecay * p.pointer[i]
                                if let b {
                                    b.pointer[i] = first ? step : momentum * b.pointer[i] + step
                                    step = nesterov ? step + momentum * b.pointer[i] : b.pointer[i]
                                }
                                p.pointer[i] -= rate * step
                                g.pointer[i] = 0
                            }
                        }
                    }
                }
            }
            buffers[key] = buffer
        }
    }
}

extension SGD {
    /// The momentum buffers, as tensors named `momentum.PARAMETER`.
    public var state: [SafetensorsWriter.Tensor] {
        guard momentum != 0 else { return [] }
        return buffers.keys.sorted().map { name in
            SafetensorsWriter.Tensor(name: "momentum." + name, shape: buffers[name]!.shape, values: buffers[name]!.values)
        }
    }

    /// Takes the buffers of `state` (from `state` of an SGD over the same parameters).
    public func restore(_ state: [SafetensorsWriter.Tensor]) throws(OptimizerStateMismatch) {
        var restored: [String: Tensor] = [:]
        for tensor in state {
            guard tensor.name.hasPrefix("momentum."), case .float32(let values) = tensor.values else {
                throw OptimizerStateMismatch(description: "SGD state has an unexpected tensor \(tensor.name)")
            }
            restored[String(tensor.name.dropFirst("momentum.".count))] = Tensor(shape: tensor.shape, values: values)
        }
        buffers = restored
    }
}
