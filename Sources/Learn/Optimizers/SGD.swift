/// Stochastic gradient descent with momentum, weight decay and Nesterov momentum, with PyTorch's
/// update rule: g = ∇ + λp; b = μb + g (b = g at the first step); g = g + μb (Nesterov) or b; p -= η g.
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    private var buffers: [ObjectIdentifier: [Float]] = [:]

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
        for parameter in parameters {
            var gradient = parameter.gradient.values
            if weightDecay != 0 {
                for i in gradient.indices { gradient[i] += weightDecay * parameter.value.values[i] }
            }
            if momentum != 0 {
                let key = ObjectIdentifier(parameter)
                var buffer = buffers[key] ?? gradient
                if buffers[key] != nil {
                    for i in buffer.indices { buffer[i] = momentum * buffer[i] + gradient[i] }
                }
                buffers[key] = buffer
                if nesterov {
                    for i in gradient.indices { gradient[i] += momentum * buffer[i] }
                } else {
                    gradient = buffer
                }
            }
            for i in gradient.indices { parameter.value.values[i] -= learningRate * gradient[i] }
            parameter.zeroGradient()
        }
    }
}
