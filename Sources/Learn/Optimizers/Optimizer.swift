/// What the training loop needs from an optimiser.
public protocol Optimizer: AnyObject {
    /// The rate of the next steps (the schedule sets it per epoch).
    var learningRate: Float { get set }
    /// Updates the parameters from their gradients and zeroes the gradients.
    func step(_ parameters: [Parameter])
}

extension SGD: Optimizer {}
extension Adam: Optimizer {}
