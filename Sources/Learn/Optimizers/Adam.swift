internal import Foundation

/// Adam (Kingma and Ba 2015) with PyTorch's defaults and L2 weight decay added to the gradient:
/// m = β1 m + (1-β1) g; v = β2 v + (1-β2) g²; p -= η (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε).
public final class Adam {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// First and second moments of each parameter by name.
    private var moments: [String: (first: [Float], second: [Float])] = [:]
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
            let key = parameter.name
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

extension Adam {
    /// The step count and moments, as tensors `step`, `first.PARAMETER` and `second.PARAMETER`.
    public var state: [SafetensorsWriter.Tensor] {
        [SafetensorsWriter.Tensor(name: "step", shape: [], integers: [Int64(steps)])] + moments.keys.sorted().flatMap { name in
            [SafetensorsWriter.Tensor(name: "first." + name, shape: [moments[name]!.first.count], values: moments[name]!.first),
             SafetensorsWriter.Tensor(name: "second." + name, shape: [moments[name]!.second.count], values: moments[name]!.second)]
        }
    }

    /// Takes the step count and moments of `state` (from `state` of an Adam over the same parameters).
    public func restore(_ state: [SafetensorsWriter.Tensor]) throws(OptimizerStateMismatch) {
        var first: [String: [Float]] = [:], second: [String: [Float]] = [:], step: Int?
        for tensor in state {
            switch (tensor.name, tensor.values) {
            case ("step", .int64(let values)) where values.count == 1 && values[0] >= 0: step = Int(values[0])
            case (let name, .float32(let values)) where name.hasPrefix("first."): first[String(name.dropFirst("first.".count))] = values
            case (let name, .float32(let values)) where name.hasPrefix("second."): second[String(name.dropFirst("second.".count))] = values
            default: throw OptimizerStateMismatch(description: "Adam state has an unexpected tensor \(tensor.name)")
            }
        }
        guard let step, Set(first.keys) == Set(second.keys), first.keys.allSatisfy({ first[$0]!.count == second[$0]!.count }) else {
            throw OptimizerStateMismatch(description: "Adam state lacks its step count or has unpaired moments")
        }
        steps = step
        moments = Dictionary(uniqueKeysWithValues: first.keys.map { ($0, (first[$0]!, second[$0]!)) })
    }
}
