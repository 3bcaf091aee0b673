/// Average over H and W: [N, C, H, W] to [N, C] (PyTorch's AdaptiveAvgPool2d(1) then flatten).
public final class GlobalAveragePool: Layer {
    private var inputShape: [Int]?

    public func releaseCaches() { inputShape = nil }

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerProfile.measure("GlobalAveragePool", "avgpool", .forward) {
            precondition(input.shape.count == 4, "GlobalAveragePool expects [N, C, H, W], got \(input.shape)")
            let plane = input.shape[2] * input.shape[3]
            var output = Tensor(shape: [input.shape[0], input.shape[1]])
            for i in 0..<output.count {
                output.values[i] = input.values[(i * plane)..<((i + 1) * plane)].reduce(0, +) / Float(plane)
            }
            if training { inputShape = input.shape }
            return output
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        LayerProfile.measure("GlobalAveragePool", "avgpool", .backward) {
            guard let shape = inputShape else { preconditionFailure("GlobalAveragePool.backward without a training forward") }
            let plane = shape[2] * shape[3]
            var inputGradient = Tensor(shape: shape)
            for i in 0..<outputGradient.count {
                let share = outputGradient.values[i] / Float(plane)
                for j in (i * plane)..<((i + 1) * plane) { inputGradient.values[j] = share }
            }
            return inputGradient
        }
    }
}
