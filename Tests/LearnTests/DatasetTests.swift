import Crypto
import Foundation
import Testing
@testable import Learn

/// The SIIM layout end to end: scanning, splitting, decoding, batches, and a small CNN that learns.
@Suite(.serialized) struct DatasetTests {
    /// One synthetic hospital shared by the tests of this suite.
    static let directory: String = {
        let path = NSTemporaryDirectory() + "dataset-\(UUID().uuidString)"
        var hospital = SyntheticHospital(imageCount: 320)
        hospital.size = 64
        hospital.positiveRate = 0.5
        hospital.seed = 11
        _ = try? hospital.write(to: path)
        return path
    }()

    @Test func scanFindsEveryImageAndSplitsByClass() throws {
        // A stray DICOM without a label is counted and ignored.
        let stray = Self.directory + "/stray"
        try FileManager.default.createDirectory(atPath: stray, withIntermediateDirectories: true)
        let bytes = DICOMWriter(transferSyntax: .explicitLittleEndian).encode(pixels: [1, 2, 3, 4], attributes: DICOMImageAttributes(rows: 2, columns: 2))
        try Data(bytes).write(to: URL(fileURLWithPath: stray + "/unlabelled.dcm"))
        let dataset = try SIIMDataset(directory: Self.directory)
        #expect(dataset.items.count == 320 && dataset.unlabelledCount == 1 && dataset.missingCount == 0)
        #expect(dataset.items.count { $0.isPositive } == 160)
        let split = dataset.split(seed: 5)
        #expect(split.validation.count == 48 && split.test.count == 48 && split.train.count == 224)
        #expect(split.validation.count { $0.isPositive } == 24 && split.test.count { $0.isPositive } == 24)
        let all = Set((split.train + split.validation + split.test).map(\.imageID))
        #expect(all.count == 320)
        #expect(dataset.split(seed: 5).test == split.test && dataset.split(seed: 6).test != split.test)
    }

    @Test func missingLabelsFileIsAClearError() {
        #expect { try SIIMDataset(directory: NSTemporaryDirectory() + "no-such-\(UUID().uuidString)") } throws: { error in
            (error as? SIIMDataset.Unusable)?.description.contains("train-rle.csv") == true
        }
    }

    @Test func balancedBatchesDrawBothClassesEqually() throws {
        let library = ImageLibrary(size: 2, images: (0..<100).map { _ in [0, 0.5, 1, 0.25] }, labels: (0..<100).map { $0 < 10 ? 1 : 0 })
        let balanced = TrainingBatches(library: library, batchSize: 16, seed: 3, balanced: true)
        let order = balanced.order(epoch: 0)
        #expect(order.count == 100 && order.count { library.labels[$0] == 1 } == 50)
        let plain = TrainingBatches(library: library, batchSize: 16, seed: 3)
        #expect(plain.order(epoch: 0).sorted() == Array(0..<100) && plain.order(epoch: 0) != plain.order(epoch: 1))
        let batches = plain.batches(epoch: 0)
        #expect(batches.count == 7 && batches.last?.labels.count == 4)
        // Normalised as (x - 0.5) / 0.25.
        #expect(Array(batches[0].images.values.prefix(4)) == [-2, 0, 2, -1])
    }

    @Test func smallCNNLearnsTheSyntheticTask() throws {
        let split = try SIIMDataset(directory: Self.directory).split(seed: 1)
        let training = try ImageLibrary(items: split.train, size: 40)
        let validation = try ImageLibrary(items: split.validation + split.test, size: 40)
        #expect(training.images.allSatisfy { $0.count == 40 * 40 && $0.allSatisfy { (0...1).contains($0) } })
        var generator = SeededGenerator(seed: 1)
        let model = ModelKind.smallCNN.make(using: &generator)
        let before = BinaryMetrics.areaUnderROC(scores: Scoring.probabilities(of: model, on: validation), labels: validation.labels) ?? 0
        let trainer = Trainer(model: model, optimizer: Adam(learningRate: 0.01), loss: FocalLoss(gamma: 2, alpha: 0.5))
        _ = trainer.train(epochs: 12, source: TrainingBatches(library: training, batchSize: 16, seed: 1))
        let scores = Scoring.probabilities(of: model, on: validation)
        let after = BinaryMetrics.areaUnderROC(scores: scores, labels: validation.labels) ?? 0
        #expect(after > 0.65, "validation AUC \(after), before training \(before)")
    }
}
