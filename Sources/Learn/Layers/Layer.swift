/// A trainable parameter or a buffer of a layer, named as in torchvision's state_dict.
public final class Parameter {
    /// The dotted name, e.g. "layer1.0.conv1.weight".
    public let name: String
    public var value: Tensor
    /// The gradient accumulated by `backward`; zeroed by the optimiser.
    public var gradient: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        gradient = Tensor(shape: value.shape)
    }

    /// Sets the gradient to zero.
    public func zeroGradient() {
        gradient.values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// A layer with an explicit backward pass: `forward` caches what `backward` needs, `backward`
/// accumulates parameter gradients and returns the gradient with respect to its input.
public protocol Layer: AnyObject {
    /// The output for `input`; `training` selects batch statistics and caching.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// The gradient with respect to the last forward's input, given the gradient with respect
    /// to its output; adds to the parameters' gradients.
    func backward(_ outputGradient: Tensor) -> Tensor
    /// The trainable parameters, in state_dict order.
    var parameters: [Parameter] { get }
    /// Parameters and buffers as torchvision's state_dict lists them, for checkpoints.
    var stateDict: [SafetensorsWriter.Tensor] { get }
    /// The batch normalisations inside, whose running statistics are buffers of the state_dict.
    var batchNorms: [BatchNorm2d] { get }
    /// Drops what the last training forward kept for the backward pass (column matrices,
    /// normalised inputs, masks), so that a model between training steps holds only its state.
    func releaseCaches()
}

extension Layer {
    /// Layers without batch normalisation: none.
    public var batchNorms: [BatchNorm2d] { [] }

    /// Layers without buffers: their parameters.
    public var stateDict: [SafetensorsWriter.Tensor] {
        parameters.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.value.shape, values: $0.value.values) }
    }
}
