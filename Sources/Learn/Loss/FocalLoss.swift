internal import Foundation

/// Binary focal loss on logits (Lin et al. 2017), averaged over the batch:
/// FL = -α_t (1 - p_t)^γ log(p_t), with p = sigmoid(z), p_t = p for y = 1 and 1 - p for y = 0,
/// α_t = α for y = 1 and 1 - α for y = 0. γ = 0 and α = 0.5 give half the binary cross-entropy.
public struct FocalLoss: Sendable {
    public let gamma: Double
    public let alpha: Double

    public init(gamma: Double = 2, alpha: Double = 0.25) {
        self.gamma = gamma
        self.alpha = alpha
    }

    /// The mean loss over `logits` with labels in {0, 1}, and its gradient with respect to each logit.
    public func lossAndGradient(logits: [Float], labels: [Float]) -> (loss: Double, gradient: [Float]) {
        precondition(logits.count == labels.count && !logits.isEmpty, "one label per logit")
        var total = 0.0
        var gradient = [Float](repeating: 0, count: logits.count)
        let count = Double(logits.count)
        for (index, (logit, label)) in zip(logits, labels).enumerated() {
            let z = Double(logit), positive = label > 0.5
            // log p_t computed stably: log sigmoid(±z).
            let signed = positive ? z : -z
            let logPt = -log1p(exp(-abs(signed))) + min(signed, 0)
            let pt = exp(logPt)
            let weight = positive ? alpha : 1 - alpha
            let modulator = pow(1 - pt, gamma)
            total += -weight * modulator * logPt
            // d/dz: dFL/dp_t * dp_t/dz, with dp_t/dz = ±p_t(1 - p_t).
            let focusing = gamma == 0 || pt >= 1 ? 0 : gamma * pow(1 - pt, gamma - 1) * logPt
            let dLossDpt = weight * (focusing - modulator / pt)
            let dPtDz = (positive ? 1.0 : -1.0) * pt * (1 - pt)
            gradient[index] = Float(dLossDpt * dPtDz / count)
        }
        return (total / count, gradient)
    }
}
