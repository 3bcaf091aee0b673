/// How a model is trained, whoever trains it: `peer train`, a peer's local epochs each round,
/// and the experiment's arms all build their model, optimiser, loss, schedule and batches here.
public struct TrainingRecipe: Sendable {
    /// The optimisers a recipe can name.
    public enum OptimizerKind: String, CaseIterable, Sendable {
        /// Momentum 0.9, Nesterov, weight decay 1e-4.
        case sgd
        /// PyTorch's defaults, weight decay 1e-4.
        case adam

        /// "sgd or adam", for messages.
        public static var choices: String { allCases.map(\.rawValue).joined(separator: " or ") }
    }

    public var model: ModelKind
    public var imageSize: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    public var learningRate: Double
    /// Epochs the cosine schedule anneals over (for a federation: rounds x local epochs).
    public var totalEpochs: Int
    /// Focal loss weight of positives; gamma is 2.
    public var alpha: Double = 0.25
    /// Draw positives and negatives equally often.
    public var balanced = false
    /// Train with the reference augmentation pipeline.
    public var augment = true
    /// Seed of initialisation, batch order and augmentation.
    public var seed: UInt64

    public init(model: ModelKind, imageSize: Int, batchSize: Int, optimizer: OptimizerKind, learningRate: Double, totalEpochs: Int,
                seed: UInt64) {
        self.model = model
        self.imageSize = imageSize
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.totalEpochs = totalEpochs
        self.seed = seed
    }

    public func makeOptimizer() -> any Optimizer {
        switch optimizer {
        case .adam: Adam(learningRate: Float(learningRate), weightDecay: 1e-4)
        case .sgd: SGD(learningRate: Float(learningRate), momentum: 0.9, weightDecay: 1e-4, nesterov: true)
        }
    }

    public var loss: FocalLoss { FocalLoss(gamma: 2, alpha: alpha) }

    /// The batches of `library` (decoded at `imageSize`), shuffled by the seed per epoch.
    public func batches(of library: ImageLibrary) -> TrainingBatches {
        TrainingBatches(library: library, batchSize: batchSize, seed: seed, balanced: balanced, augmentation: augment ? Augmentation() : nil)
    }
}
