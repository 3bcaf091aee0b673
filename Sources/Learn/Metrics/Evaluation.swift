/// A model's figures on labelled images: mean focal loss, AUC, and the confusion at a threshold
/// (chosen to maximise F1 unless given) and at 0.5.
public struct Evaluation: Equatable, Sendable {
    public let images: Int
    public let positives: Int
    /// Mean focal loss over the set.
    public let loss: Double
    /// Nil when the set has only one class.
    public let auc: Double?
    public let atThreshold: BinaryMetrics
    public let atHalf: BinaryMetrics

    public var threshold: Float { atThreshold.threshold }
    public var f1: Double { atThreshold.f1 }

    public init(logits: [Float], labels: [Float], loss: FocalLoss, threshold: Float? = nil) {
        let scores = logits.map(Scoring.sigmoid)
        images = labels.count
        positives = labels.count { $0 > 0.5 }
        self.loss = labels.isEmpty ? 0 : loss.lossAndGradient(logits: logits, labels: labels).loss
        atHalf = BinaryMetrics(scores: scores, labels: labels)
        auc = atHalf.areaUnderROC
        atThreshold = BinaryMetrics(scores: scores, labels: labels,
                                    threshold: threshold ?? BinaryMetrics.bestThreshold(scores: scores, labels: labels))
    }
}
