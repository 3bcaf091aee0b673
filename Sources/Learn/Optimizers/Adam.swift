internal import Foundation

/// Adam (Kingma and Ba 2015) with PyTorch's defaults and L2 weight decay added to the gradient:
/// m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; p -= η (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    private var moments: [ObjectIdentifier: (first: [Float], second: [Float])] = [:]
    private var steps = 0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        precondition(learningRate > 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0 && weightDecay >= 0,
                     "invalid Adam settings")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// Updates every parameter from its gradient, then zeroes the gradients.
    public func step(_ parameters: [Parameter]) {
        steps += 1
        let correction1 = 1 - pow(beta1, Float(steps)), correction2 = 1 - pow(beta2, Float(steps))
        for parameter in parameters {
            let key = ObjectIdentifier(parameter)
            var (first, second) = moments[key] ?? ([Float](repeating: 0, count: parameter.value.count),
                                                   [Float](repeating: 0, count: parameter.value.count))
            for i in first.indices {
                let gradient = parameter.gradient.values[i] + weightDecay * parameter.value.values[i]
                first[i] = beta1 * first[i] + (1 - beta1) * gradient
                second[i] = beta2 * second[i] + (1 - beta2) * gradient * gradient
                parameter.value.values[i] -= learningRate * (first[i] / correction1) / ((second[i] / correction2).squareRoot() + epsilon)
            }
            moments[key] = (first, second)
            parameter.zeroGradient()
        }
    }
}
