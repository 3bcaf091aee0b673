/// A small convolutional network of the same building blocks as ResNet, for fast tests and
/// small demos: conv3x3(8)-BN-ReLU-maxpool, conv3x3(16)-BN-ReLU, global average pool, linear.
public final class SmallCNN: Layer {
    let layers: [any Layer]

    public init(inputChannels: Int, classCount: Int, using generator: inout some RandomNumberGenerator) {
        let conv1 = Conv2d(name: "features.0", inputChannels: inputChannels, outputChannels: 8, kernelSize: 3, padding: 1,
                           propagatesInputGradient: false)
        let conv2 = Conv2d(name: "features.4", inputChannels: 8, outputChannels: 16, kernelSize: 3, padding: 1)
        let fc = Linear(name: "classifier", inputFeatures: 16, outputFeatures: classCount)
        for conv in [conv1, conv2] {
            let deviation = (2 / Double(conv.outputChannels * 9)).squareRoot()
            conv.weight.value.values = conv.weight.value.values.map { _ in Float(ResNet.gaussian(using: &generator) * deviation) }
        }
        let bound = Float(1 / Double(16).squareRoot())
        fc.weight.value.values = fc.weight.value.values.map { _ in Float.random(in: -bound...bound, using: &generator) }
        layers = [conv1, BatchNorm2d(name: "features.1", channels: 8), ReLU(), MaxPool2d(kernelSize: 2, stride: 2),
                  conv2, BatchNorm2d(name: "features.5", channels: 16), ReLU(), GlobalAveragePool(), fc]
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public var stateDict: [SafetensorsWriter.Tensor] { layers.flatMap(\.stateDict) }

    public var batchNorms: [BatchNorm2d] { layers.flatMap(\.batchNorms) }

    public func releaseCaches() { layers.forEach { $0.releaseCaches() } }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        layers.reduce(input) { $1.forward($0, training: training) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        layers.reversed().reduce(outputGradient) { $1.backward($0) }
    }
}
