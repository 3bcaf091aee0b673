internal import Foundation

/// Learning rate as a function of the epoch (or round), as PyTorch's schedulers compute it.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// CosineAnnealingLR: η_min + (η - η_min)(1 + cos(π t / T)) / 2 for t in 0...T.
    case cosine(totalEpochs: Int, minimum: Float)
    /// StepLR: η γ^⌊t / step⌋.
    case step(every: Int, factor: Float)

    /// The rate at `epoch` (from 0) for a base rate.
    public func rate(base: Float, epoch: Int) -> Float {
        switch self {
        case .constant:
            return base
        case let .cosine(total, minimum):
            let t = Double(min(max(epoch, 0), total))
            return minimum + (base - minimum) * Float((1 + cos(Double.pi * t / Double(max(total, 1)))) / 2)
        case let .step(every, factor):
            return base * pow(factor, Float(max(epoch, 0) / max(every, 1)))
        }
    }
}
