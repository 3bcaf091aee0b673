import Synchronization
internal import Foundation
import Learn
import Crypto
import Gossip

/// A peer's local data and the model it trains: the training and validation parts of its
/// directory (split by the topology's seed), decoded once at the federation's image size.
/// Used by the node's round loop only, one step at a time, on a compute thread.
final class NodeTraining: @unchecked Sendable {
    let session: TrainingSession
    let training: ImageLibrary
    let validation: ImageLibrary
    let settings: TrainingSettings

    /// Loads `directory` for `settings`.
    /// - Throws: `NodeError.input` when the directory has no SIIM-layout images and labels, or
    ///   too few of them to train and validate on.
    init(directory: String, settings: TrainingSettings, progress: @escaping @Sendable (String, Int, Int) -> Void) throws(NodeError) {
        self.settings = settings
        let dataset: SIIMDataset
        do {
            dataset = try SIIMDataset(directory: directory)
        } catch {
            throw .input(what: "--data \(directory)", problem: "\(error)",
                         fix: "give a directory with DICOM images and train-rle.csv (see 'peer data synth --help')")
        }
        let split = dataset.split(seed: UInt64(settings.seed))
        guard !split.train.isEmpty, !split.validation.isEmpty else {
            throw .input(what: "--data \(directory)", problem: "\(dataset.items.count) labelled images are too few to train and validate on",
                         fix: "give at least 10 labelled images")
        }
        do {
            training = try ImageLibrary(items: split.train, size: settings.imageSize) { progress("training", $0, split.train.count) }
            validation = try ImageLibrary(items: split.validation, size: settings.imageSize) { progress("validation", $0, split.validation.count) }
        } catch {
            throw .input(what: "--data \(directory)", problem: "\(error)", fix: "remove or replace the unreadable image")
        }
        session = TrainingSession(recipe: Self.recipe(settings), model: Self.initialModel(settings))
    }

    /// The recipe a topology's training settings make (the cosine schedule over all rounds).
    static func recipe(_ settings: TrainingSettings) -> TrainingRecipe {
        TrainingRecipe(model: ModelKind(rawValue: settings.model) ?? .resnet18, imageSize: settings.imageSize, batchSize: settings.batchSize,
                       optimizer: TrainingRecipe.OptimizerKind(rawValue: settings.optimizer) ?? .sgd, learningRate: settings.learningRate,
                       totalEpochs: settings.rounds * settings.localEpochs, seed: UInt64(settings.seed))
    }

    /// M(0) as the topology's seed makes it: the same on every peer.
    static func initialModel(_ settings: TrainingSettings) -> any Layer {
        var generator = SeededGenerator(seed: UInt64(settings.seed))
        return (ModelKind(rawValue: settings.model) ?? .resnet18).make(using: &generator)
    }

    /// Trains round `round`'s local epochs from `base`.
    /// - Returns: the update (trained minus `base`, parameters and running statistics) and the
    ///   mean training loss; nil when cancelled.
    func train(round: Int, from base: ModelState, progress: (TrainingProgress) -> Void, isCancelled: () -> Bool) throws -> (update: [Float], loss: Double)? {
        try base.load(into: session.model)
        let summary = session.train(epochs: settings.localEpochs, firstEpoch: (round - 1) * settings.localEpochs, on: training,
                                    progress: progress, isCancelled: isCancelled)
        session.releaseTrainingMemory()
        guard !summary.cancelled else { return nil }
        var update = ModelState(session.model).vector
        base.forEachSegment { offset, values in
            for i in values.indices { update[offset + i] -= values[i] }
        }
        return (update, summary.meanLoss)
    }

    /// The figures of `model` on the validation part, at the F1-maximising threshold.
    func evaluate(_ model: ModelState) throws -> Evaluation {
        try model.load(into: session.model)
        return session.evaluate(on: validation)
    }
}
