internal import Foundation

/// One labelled batch: images [N, C, H, W] and one label in {0, 1} per image.
public struct Batch: Sendable {
    public let images: Tensor
    public let labels: [Float]

    public init(images: Tensor, labels: [Float]) {
        precondition(images.shape.first == labels.count, "one label per image")
        self.images = images
        self.labels = labels
    }
}

/// Where training batches come from: the batches of one epoch, in order.
public protocol BatchSource {
    /// A collection of one epoch's batches; a lazy one builds each batch when the loop reaches it,
    /// so an epoch of full-size images is never in memory at once.
    associatedtype Batches: RandomAccessCollection<Batch>
    func batches(epoch: Int) -> Batches
}

/// What the training loop reports after every batch.
public struct TrainingProgress: Sendable {
    public let epoch: Int
    public let batch: Int
    public let batchesPerEpoch: Int
    /// Loss of this batch.
    public let loss: Double
    /// Images per second over the epoch so far.
    public let imagesPerSecond: Double
    public let learningRate: Float
}

/// The training loop a peer drives each round: local epochs of forward, focal loss, backward and
/// an optimiser step, with a learning-rate schedule, progress after every batch, and cancellation.
public final class Trainer {
    public let model: any Layer
    public let optimizer: any Optimizer
    public let loss: FocalLoss
    public let schedule: LearningRateSchedule
    public let baseLearningRate: Float

    public init(model: any Layer, optimizer: any Optimizer, loss: FocalLoss, schedule: LearningRateSchedule = .constant) {
        self.model = model
        self.optimizer = optimizer
        self.loss = loss
        self.schedule = schedule
        baseLearningRate = optimizer.learningRate
    }

    /// What a call to `train` did.
    public struct Summary: Sendable {
        public let batches: Int
        public let images: Int
        public let meanLoss: Double
        public let cancelled: Bool
    }

    /// Trains `epochs` epochs from `firstEpoch` on (the schedule's position).
    /// - Parameters:
    ///   - progress: called after every batch.
    ///   - isCancelled: checked before every batch; training stops at once when it returns true.
    public func train(epochs: Int, firstEpoch: Int = 0, source: some BatchSource, progress: (TrainingProgress) -> Void = { _ in },
                      isCancelled: () -> Bool = { false }) -> Summary {
        var batchCount = 0, imageCount = 0, totalLoss = 0.0
        for epoch in firstEpoch..<(firstEpoch + epochs) {
            optimizer.learningRate = schedule.rate(base: baseLearningRate, epoch: epoch)
            let batches = source.batches(epoch: epoch)
            let start = ContinuousClock.now
            var epochImages = 0
            for (index, batch) in batches.enumerated() {
                if isCancelled() {
                    return Summary(batches: batchCount, images: imageCount, meanLoss: totalLoss / Double(max(batchCount, 1)), cancelled: true)
                }
                let logits = model.forward(batch.images, training: true)
                let (value, gradient) = loss.lossAndGradient(logits: logits.values, labels: batch.labels)
                _ = model.backward(Tensor(shape: logits.shape, values: gradient))
                optimizer.step(model.parameters)
                batchCount += 1
                imageCount += batch.labels.count
                epochImages += batch.labels.count
                totalLoss += value
                let elapsed = ContinuousClock.now - start
                let seconds = elapsed / .seconds(1)
                progress(TrainingProgress(epoch: epoch, batch: index, batchesPerEpoch: batches.count, loss: value,
                                          imagesPerSecond: Double(epochImages) / max(seconds, 1e-9), learningRate: optimizer.learningRate))
            }
        }
        return Summary(batches: batchCount, images: imageCount, meanLoss: totalLoss / Double(max(batchCount, 1)), cancelled: false)
    }
}
