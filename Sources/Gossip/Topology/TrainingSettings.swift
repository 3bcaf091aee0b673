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

    /// The reference pipeline's settings.
    public static let defaults = TrainingSettings(model: "resnet18", imageSize: 128, rounds: 20, localEpochs: 1, batchSize: 16,
                                                  optimizer: "sgd", learningRate: 0.01, seed: 1)
}
