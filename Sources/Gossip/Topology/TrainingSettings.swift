/// How a federation trains: the `training` section of a topology file.
public struct TrainingSettings: Equatable, Sendable {
    /// Models this build can train.
    public static let models = ["resnet18", "small-cnn"]
    /// Optimizers this build has.
    public static let optimizers = ["sgd", "adam"]

    public let model: String
    /// Images are resized to imageSize x imageSize.
    public let imageSize: Int
    public let rounds: Int
    public let localEpochs: Int
    public let batchSize: Int
    public let optimizer: String
    public let learningRate: Double
    public let seed: Int

    public init(model: String, imageSize: Int, rounds: Int, localEpochs: Int, batchSize: Int, optimizer: String, learningRate: Double, seed: Int) {
        self.model = model
        self.imageSize = imageSize
        self.rounds = rounds
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.seed = seed
    }

    /// The reference pipeline's settings.
    public static let defaults = TrainingSettings(model: "resnet18", imageSize: 128, rounds: 20, localEpochs: 1, batchSize: 16,
                                                  optimizer: "sgd", learningRate: 0.01, seed: 1)
}
