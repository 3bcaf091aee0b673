internal import Foundation
import Learn

/// A SIIM-ACR style directory split and decoded for training or evaluation, with progress.
struct DatasetLoading {
    let dataset: SIIMDataset
    let split: SIIMDataset.Split

    /// Scans `directory` and splits it by `seed`; bad directories and label files are usage errors.
    init(directory: String, seed: UInt64, command: String) throws {
        do {
            dataset = try SIIMDataset(directory: directory)
        } catch let error as SIIMLabels.Malformed {
            throw UsageError(message: error.description, command: command)
        } catch let error as SIIMDataset.Unusable {
            throw UsageError(message: error.description, command: command)
        }
        split = dataset.split(seed: seed)
    }

    /// Decodes `items` at `size` pixels, showing progress as `name`.
    static func load(_ items: [SIIMDataset.Item], size: Int, name: String, console: Console) throws -> ImageLibrary {
        let meter = ProgressMeter(total: items.count, unit: "\(name) images decoded", console: console)
        defer { meter.finish() }
        do {
            return try ImageLibrary(items: items, size: size) { meter.report($0) }
        } catch let error as ImageLibrary.LoadFailure {
            throw CommandFailure(error.description)
        }
    }

    /// The figures of `evaluation` as JSON: at 0.5 and at its threshold.
    static func report(_ evaluation: Evaluation) -> [String: Any] {
        let atThreshold = evaluation.atThreshold
        return [
            "images": evaluation.images, "positives": evaluation.positives, "loss": evaluation.loss,
            "auc": evaluation.auc ?? NSNull(), "f1At05": evaluation.atHalf.f1, "threshold": Double(evaluation.threshold),
            "f1": atThreshold.f1, "precision": atThreshold.precision, "recall": atThreshold.recall, "accuracy": atThreshold.accuracy,
            "confusion": ["truePositives": atThreshold.truePositives, "falsePositives": atThreshold.falsePositives,
                          "trueNegatives": atThreshold.trueNegatives, "falseNegatives": atThreshold.falseNegatives],
        ]
    }

    /// One line of figures for people.
    static func summary(_ report: [String: Any]) -> String {
        let number = { (key: String) in (report[key] as? Double).map { String(format: "%.4f", $0) } ?? "-" }
        return "AUC \(number("auc"))  F1@0.5 \(number("f1At05"))  F1@\(number("threshold")) \(number("f1"))  precision \(number("precision"))  recall \(number("recall"))"
    }
}
