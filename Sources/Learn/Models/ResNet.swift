internal import Foundation

/// ResNet with basic blocks (He et al. 2016) as torchvision builds it, for `inputChannels`
/// channels and `classCount` outputs; the pneumothorax model is
/// `ResNet(classCount: 1, depth: .resNet18, inputChannels: 1)` with 11,170,753 parameters.
/// Parameter and buffer names are torchvision's state_dict names.
public final class ResNet: Layer {
    public enum Depth: Sendable {
        case resNet18

        /// Basic blocks per stage.
        var blocksPerStage: [Int] {
            switch self {
            case .resNet18: return [2, 2, 2, 2]
            }
        }
    }

    let conv1: Conv2d
    let bn1: BatchNorm2d
    let relu = ReLU()
    let maxPool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    let blocks: [BasicBlock]
    let pool = GlobalAveragePool()
    let fc: Linear

    /// A freshly initialised network, as PyTorch initialises torchvision's resnet18: convolutions
    /// Kaiming-normal (fan out, ReLU gain), batch norms γ = 1 and β = 0, the final layer
    /// uniform in ±1/sqrt(fan in).
    public init(classCount: Int, depth: Depth, inputChannels: Int, using generator: inout some RandomNumberGenerator) {
        conv1 = Conv2d(name: "conv1", inputChannels: inputChannels, outputChannels: 64, kernelSize: 7, stride: 2, padding: 3,
                       propagatesInputGradient: false)
        bn1 = BatchNorm2d(name: "bn1", channels: 64)
        var blocks: [BasicBlock] = []
        var channels = 64
        for (stage, count) in depth.blocksPerStage.enumerated() {
            let width = 64 << stage
            for index in 0..<count {
                blocks.append(BasicBlock(name: "layer\(stage + 1).\(index)", inputChannels: channels, outputChannels: width,
                                         stride: index == 0 && stage > 0 ? 2 : 1))
                channels = width
            }
        }
        self.blocks = blocks
        fc = Linear(name: "fc", inputFeatures: channels, outputFeatures: classCount)
        for parameter in parameters where parameter.value.shape.count == 4 {
            let fanOut = Double(parameter.value.shape[0] * parameter.value.shape[2] * parameter.value.shape[3])
            let deviation = (2 / fanOut).squareRoot()
            parameter.value.values = (0..<parameter.value.count).map { _ in Float(Self.gaussian(using: &generator) * deviation) }
        }
        let bound = Float(1 / Double(channels).squareRoot())
        fc.weight.value.values = fc.weight.value.values.map { _ in Float.random(in: -bound...bound, using: &generator) }
        fc.bias.value.values = fc.bias.value.values.map { _ in Float.random(in: -bound...bound, using: &generator) }
    }

    /// Trainable parameters in state_dict order.
    public var parameters: [Parameter] {
        conv1.parameters + bn1.parameters + blocks.flatMap(\.parameters) + fc.parameters
    }

    public var stateDict: [SafetensorsWriter.Tensor] {
        conv1.stateDict + bn1.stateDict + blocks.flatMap(\.stateDict) + fc.stateDict
    }

    /// The batch norm layers in state_dict order.
    public var batchNorms: [BatchNorm2d] { [bn1] + blocks.flatMap(\.batchNorms) }

    public func releaseCaches() {
        ([conv1, bn1, relu, maxPool, pool, fc] as [any Layer]).forEach { $0.releaseCaches() }
        blocks.forEach { $0.releaseCaches() }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = maxPool.forward(relu.forward(bn1.forward(conv1.forward(input, training: training), training: training), training: training),
                                training: training)
        for block in blocks { x = block.forward(x, training: training) }
        return fc.forward(pool.forward(x, training: training), training: training)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        var gradient = pool.backward(fc.backward(outputGradient))
        for block in blocks.reversed() { gradient = block.backward(gradient) }
        return conv1.backward(bn1.backward(relu.backward(maxPool.backward(gradient))))
    }

    /// A standard normal sample (Box-Muller).
    static func gaussian(using generator: inout some RandomNumberGenerator) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &generator), v = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
