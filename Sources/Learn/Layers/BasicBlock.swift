/// ResNet's basic residual block: conv3x3-BN-ReLU-conv3x3-BN, plus the input (through a 1x1
/// convolution and BN when the shape changes), then ReLU. Names follow torchvision.
public final class BasicBlock: Layer {
    let conv1: Conv2d, bn1: BatchNorm2d, relu1 = ReLU()
    let conv2: Conv2d, bn2: BatchNorm2d
    let downsample: (conv: Conv2d, bn: BatchNorm2d)?
    let reluOut = ReLU()

    /// - Parameters:
    ///   - name: the block's prefix, e.g. "layer2.0".
    public init(name: String, inputChannels: Int, outputChannels: Int, stride: Int) {
        conv1 = Conv2d(name: name + ".conv1", inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3,
                       stride: stride, padding: 1)
        bn1 = BatchNorm2d(name: name + ".bn1", channels: outputChannels)
        conv2 = Conv2d(name: name + ".conv2", inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1)
        bn2 = BatchNorm2d(name: name + ".bn2", channels: outputChannels)
        if stride != 1 || inputChannels != outputChannels {
            downsample = (Conv2d(name: name + ".downsample.0", inputChannels: inputChannels, outputChannels: outputChannels,
                                 kernelSize: 1, stride: stride),
                          BatchNorm2d(name: name + ".downsample.1", channels: outputChannels))
        } else {
            downsample = nil
        }
    }

    public var parameters: [Parameter] {
        conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters
            + (downsample.map { $0.conv.parameters + $0.bn.parameters } ?? [])
    }

    public var stateDict: [SafetensorsWriter.Tensor] {
        conv1.stateDict + bn1.stateDict + conv2.stateDict + bn2.stateDict
            + (downsample.map { $0.conv.stateDict + $0.bn.stateDict } ?? [])
    }

    /// The batch norm layers, in state_dict order (their buffers follow their parameters there).
    public var batchNorms: [BatchNorm2d] { [bn1, bn2] + (downsample.map { [$0.bn] } ?? []) }

    public func releaseCaches() {
        let layers: [any Layer] = [conv1, bn1, relu1, conv2, bn2, reluOut] + (downsample.map { [$0.conv, $0.bn] } ?? [])
        layers.forEach { $0.releaseCaches() }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var main = relu1.forward(bn1.forward(conv1.forward(input, training: training), training: training), training: training)
        main = bn2.forward(conv2.forward(main, training: training), training: training)
        let shortcut = downsample.map { $0.bn.forward($0.conv.forward(input, training: training), training: training) } ?? input
        Elementwise.add(shortcut, to: &main)
        return reluOut.forward(main, training: training)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let sumGradient = reluOut.backward(outputGradient)
        var inputGradient = conv1.backward(bn1.backward(relu1.backward(conv2.backward(bn2.backward(sumGradient)))))
        let shortcutGradient = downsample.map { $0.conv.backward($0.bn.backward(sumGradient)) } ?? sumGradient
        Elementwise.add(shortcutGradient, to: &inputGradient)
        return inputGradient
    }
}
