/// What the training loop needs from an optimiser.
public protocol Optimizer: AnyObject {
    /// The rate of the next steps (the schedule sets it per epoch).
    var learningRate: Float { get set }
    /// Updates the parameters from their gradients and zeroes the gradients.
    func step(_ parameters: [Parameter])
    /// What the optimiser carries from step to step, keyed by parameter name: what a peer
    /// checkpoints so that training goes on after a restart as if it had not stopped.
    var state: [SafetensorsWriter.Tensor] { get }
    /// Takes `state`, from an optimiser of the same kind and settings over the same parameters.
    func restore(_ state: [SafetensorsWriter.Tensor]) throws(OptimizerStateMismatch)
}

/// An optimiser state that does not fit the optimiser given it.
public struct OptimizerStateMismatch: Error, Equatable, CustomStringConvertible {
    public let description: String
}

extension SGD: Optimizer {}
extension Adam: Optimizer {}
