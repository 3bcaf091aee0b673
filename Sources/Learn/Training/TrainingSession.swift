/// One model under training with its optimiser: epochs on a library, each at its place in the
/// recipe's schedule, and evaluation. The loop `peer train`, a peer node and the experiment share.
public final class TrainingSession {
    public let recipe: TrainingRecipe
    public let model: any Layer
    public let optimizer: any Optimizer
    private let trainer: Trainer

    /// A session training `model` (of `recipe.model`'s kind; `SeededGenerator(seed: recipe.seed)`
    /// initialises the same model on every peer).
    public init(recipe: TrainingRecipe, model: any Layer) {
        self.recipe = recipe
        self.model = model
        optimizer = recipe.makeOptimizer()
        trainer = Trainer(model: model, optimizer: optimizer, loss: recipe.loss,
                          schedule: .cosine(totalEpochs: recipe.totalEpochs, minimum: 0))
    }

    /// Trains `epochs` epochs of `library`, the first being epoch `firstEpoch` of the schedule
    /// (and of the batch order).
    /// - Parameters:
    ///   - progress: called after every batch.
    ///   - isCancelled: checked before every batch.
    public func train(epochs: Int, firstEpoch: Int, on library: ImageLibrary, progress: (TrainingProgress) -> Void = { _ in },
                      isCancelled: () -> Bool = { false }) -> Trainer.Summary {
        trainer.train(epochs: epochs, firstEpoch: firstEpoch, source: recipe.batches(of: library), progress: progress, isCancelled: isCancelled)
    }

    /// Frees what training keeps between steps (the layers' caches, idle scratch buffers):
    /// memory the rest of a round can use, when no step follows soon.
    public func releaseTrainingMemory() {
        model.releaseCaches()
        ScratchPool.shared.drain()
    }

    /// Batches per epoch of `library`.
    public func batchesPerEpoch(of library: ImageLibrary) -> Int { (library.images.count + recipe.batchSize - 1) / recipe.batchSize }

    /// The model's figures on `library` now, at `threshold` or, when nil, at the threshold that
    /// maximises F1 on `library` itself (validation chooses it).
    public func evaluate(on library: ImageLibrary, threshold: Float? = nil) -> Evaluation {
        Evaluation(logits: Scoring.logits(of: model, on: library), labels: library.labels, loss: recipe.loss, threshold: threshold)
    }
}
