/// Max pooling over square windows (PyTorch's MaxPool2d; padding counts as -infinity).
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    private var cache: (argmax: [Int], inputShape: [Int])?

    public init(kernelSize: Int, stride: Int, padding: Int = 0) {
        precondition(kernelSize > 0 && stride > 0 && padding >= 0 && padding * 2 <= kernelSize, "invalid pooling")
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [Parameter] { [] }

    public func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernelSize) / stride + 1 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerProfile.measure("MaxPool2d", "maxpool", .forward) {
            precondition(input.shape.count == 4, "MaxPool2d expects [N, C, H, W], got \(input.shape)")
            let (planes, height, width) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3])
            let (outHeight, outWidth) = (outputSize(height), outputSize(width))
            var output = Tensor(shape: [input.shape[0], input.shape[1], outHeight, outWidth])
            var argmax = [Int](repeating: 0, count: output.count)
            let (kernelSize, stride, padding) = (kernelSize, stride, padding)
            input.values.withUnsafeBufferPointer { source in
                output.values.withUnsafeMutableBufferPointer { destination in
                    argmax.withUnsafeMutableBufferPointer { indices in
                        let x = SendablePointer(source.baseAddress!), y = SendableMutablePointer(destination.baseAddress!)
                        let chosen = SendableMutablePointer(indices.baseAddress!)
                        // Planes are independent: spread them over the threads.
                        Parallel.forEach(planes) { plane in
                            for row in 0..<outHeight {
                                for column in 0..<outWidth {
                                    var best = -Float.infinity, bestIndex = -1
                                    for i in 0..<kernelSize {
                                        let sy = row * stride + i - padding
                                        guard sy >= 0 && sy < height else { continue }
                                        for j in 0..<kernelSize {
                                            let sx = column * stride + j - padding
                                            guard sx >= 0 && sx < width else { continue }
                                            let index = (plane * height + sy) * width + sx
                                            if x.pointer[index] > best || bestIndex < 0 { best = x.pointer[index]; bestIndex = index }
                                        }
                                    }
                                    let out = (plane * outHeight + row) * outWidth + column
                                    y.pointer[out] = best
                                    chosen.pointer[out] = bestIndex
                                }
                            }
                        }
                    }
                }
            }
            if training { cache = (argmax, input.shape) }
            return output
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        LayerProfile.measure("MaxPool2d", "maxpool", .backward) {
            guard let (argmax, shape) = cache else { preconditionFailure("MaxPool2d.backward without a training forward") }
            var inputGradient = Tensor(shape: shape)
            for (out, source) in argmax.enumerated() { inputGradient.values[source] += outputGradient.values[out] }
            return inputGradient
        }
    }
}
