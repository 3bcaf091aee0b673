import Testing
@testable import Learn

/// Confusion counts, F1, ROC AUC and the validation threshold on hand-checked examples.
@Suite struct MetricsTests {
    @Test func confusionPrecisionRecallAndF1() {
        // Scores against labels: TP at 0.9 and 0.6, FP at 0.7, FN at 0.2, TN at 0.1 and 0.4.
        let metrics = BinaryMetrics(scores: [0.9, 0.6, 0.7, 0.2, 0.1, 0.4], labels: [1, 1, 0, 1, 0, 0])
        #expect(metrics.truePositives == 2 && metrics.falsePositives == 1 && metrics.falseNegatives == 1 && metrics.trueNegatives == 2)
        #expect(abs(metrics.precision - 2.0 / 3) < 1e-12 && abs(metrics.recall - 2.0 / 3) < 1e-12)
        #expect(abs(metrics.f1 - 2.0 / 3) < 1e-12 && abs(metrics.accuracy - 4.0 / 6) < 1e-12)
        // Of the 9 positive-negative pairs, 6 are ordered correctly: 0.9 beats all three negatives,
        // 0.6 beats 0.1 and 0.4, 0.2 beats only 0.1.
        #expect(abs((metrics.areaUnderROC ?? 0) - 6.0 / 9) < 1e-12)
    }

    @Test func aucExtremesAndTies() {
        #expect(BinaryMetrics.areaUnderROC(scores: [0.1, 0.2, 0.8, 0.9], labels: [0, 0, 1, 1]) == 1)
        #expect(BinaryMetrics.areaUnderROC(scores: [0.9, 0.8, 0.2, 0.1], labels: [0, 0, 1, 1]) == 0)
        #expect(BinaryMetrics.areaUnderROC(scores: [0.5, 0.5, 0.5, 0.5], labels: [0, 1, 0, 1]) == 0.5)
        #expect(BinaryMetrics.areaUnderROC(scores: [0.5, 0.7], labels: [1, 1]) == nil)
    }

    @Test func bestThresholdMaximisesF1() {
        let scores: [Float] = [0.95, 0.9, 0.35, 0.3, 0.25, 0.2, 0.1]
        let labels: [Float] = [1, 1, 1, 0, 1, 0, 0]
        // Predicting >= 0.25 gives TP 4, FP 1: F1 = 8 / 9, the best available.
        let threshold = BinaryMetrics.bestThreshold(scores: scores, labels: labels)
        #expect(threshold == 0.25)
        #expect(abs(BinaryMetrics(scores: scores, labels: labels, threshold: threshold).f1 - 8.0 / 9) < 1e-12)
        #expect(BinaryMetrics(scores: scores, labels: labels).f1 < 8.0 / 9)
        #expect(BinaryMetrics.bestThreshold(scores: [0.2, 0.3], labels: [0, 0]) == 0.5)
    }
}
