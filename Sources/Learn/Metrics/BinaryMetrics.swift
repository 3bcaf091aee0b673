/// Scores of a binary classifier against labels: the confusion matrix, precision, recall and F1 at
/// a threshold, ROC AUC, and the threshold that maximises F1 (chosen on validation data).
public struct BinaryMetrics: Equatable, Sendable {
    /// The threshold the counts are taken at (a score at or above it is positive).
    public let threshold: Float
    public let truePositives: Int
    public let falsePositives: Int
    public let trueNegatives: Int
    public let falseNegatives: Int
    /// Area under the ROC curve (ties count one half); nil when one class is absent.
    public let areaUnderROC: Double?

    /// The metrics of `scores` (probabilities) against `labels` (1 positive, 0 negative) at `threshold`.
    public init(scores: [Float], labels: [Float], threshold: Float = 0.5) {
        precondition(scores.count == labels.count)
        var tp = 0, fp = 0, tn = 0, fn = 0
        for (score, label) in zip(scores, labels) {
            switch (score >= threshold, label > 0.5) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
        }
        self.threshold = threshold
        truePositives = tp
        falsePositives = fp
        trueNegatives = tn
        falseNegatives = fn
        areaUnderROC = Self.areaUnderROC(scores: scores, labels: labels)
    }

    /// TP / (TP + FP); 0 when nothing is predicted positive.
    public var precision: Double { truePositives + falsePositives == 0 ? 0 : Double(truePositives) / Double(truePositives + falsePositives) }
    /// TP / (TP + FN); 0 when there are no positives.
    public var recall: Double { truePositives + falseNegatives == 0 ? 0 : Double(truePositives) / Double(truePositives + falseNegatives) }
    /// The harmonic mean of precision and recall: 2 TP / (2 TP + FP + FN).
    public var f1: Double {
        let denominator = 2 * truePositives + falsePositives + falseNegatives
        return denominator == 0 ? 0 : Double(2 * truePositives) / Double(denominator)
    }
    /// (TP + TN) / all.
    public var accuracy: Double {
        let total = truePositives + falsePositives + trueNegatives + falseNegatives
        return total == 0 ? 0 : Double(truePositives + trueNegatives) / Double(total)
    }

    /// The Mann-Whitney statistic: the chance that a random positive scores above a random negative.
    public static func areaUnderROC(scores: [Float], labels: [Float]) -> Double? {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        let positives = labels.count { $0 > 0.5 }, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        // Average ranks over ties.
        var rankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2 + 1
            for position in start...end where labels[order[position]] > 0.5 { rankSum += averageRank }
            start = end + 1
        }
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    /// The threshold among the scores that gives the highest F1 (the lowest such threshold on ties);
    /// 0.5 when there is no positive.
    public static func bestThreshold(scores: [Float], labels: [Float]) -> Float {
        let positives = labels.count { $0 > 0.5 }
        guard positives > 0 else { return 0.5 }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var best = (f1: -1.0, threshold: Float(0.5))
        var truePositives = 0, predicted = 0
        var index = 0
        while index < order.count {
            // Everything scoring at least this value is predicted positive.
            let value = scores[order[index]]
            while index < order.count, scores[order[index]] == value {
                predicted += 1
                if labels[order[index]] > 0.5 { truePositives += 1 }
                index += 1
            }
            let f1 = Double(2 * truePositives) / Double(predicted + positives)
            if f1 > best.f1 { best = (f1, value) }
        }
        return best.threshold
    }
}
