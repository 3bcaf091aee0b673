/// The models a federation can train, by the names topology files and commands use.
public enum ModelKind: String, CaseIterable, Sendable {
    /// ResNet-18 with one input channel and one logit (11,170,753 parameters).
    case resnet18
    /// The small CNN for fast tests and demos.
    case smallCNN = "small-cnn"

    /// A freshly initialised model (PyTorch's initialisation scheme) drawn from `generator`.
    public func make(using generator: inout some RandomNumberGenerator) -> any Layer {
        switch self {
        case .resnet18: ResNet(classCount: 1, depth: .resNet18, inputChannels: 1, using: &generator)
        case .smallCNN: SmallCNN(inputChannels: 1, classCount: 1, using: &generator)
        }
    }

    /// "resnet18 or small-cnn", for messages.
    public static var choices: String { allCases.map(\.rawValue).joined(separator: " or ") }
}
