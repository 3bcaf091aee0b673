/// max(0, x), element-wise.
public final class ReLU: Layer {
    private var cachedInput: Tensor?

    public func releaseCaches() { cachedInput = nil }

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerProfile.measure("ReLU", "relu", .forward) {
            if training { cachedInput = input }
            return Elementwise.relu(input)
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        LayerProfile.measure("ReLU", "relu", .backward) {
            guard let input = cachedInput else { preconditionFailure("ReLU.backward without a training forward") }
            return Elementwise.reluGradient(input: input, gradient: outputGradient)
        }
    }
}
