/// Max pooling over square windows (PyTorch's MaxPool2d; padding counts as -infinity).
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    /// For each output value, the index of its maximum within its own input plane.
    private var cache: (argmax: [Int32], inputShape: [Int])?

    public func releaseCaches() { cache = nil }

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
            precondition(height * width <= Int(Int32.max), "MaxPool2d plane too large")
            let (outHeight, outWidth) = (outputSize(height), outputSize(width))
            let (kernelSize, stride, padding) = (kernelSize, stride, padding)
            var argmax = [Int32](repeating: 0, count: planes * outHeight * outWidth)
            let output = Tensor(shape: [input.shape[0], input.shape[1], outHeight, outWidth]) { destination in
                input.values.withUnsafeBufferPointer { source in
                    argmax.withUnsafeMutableBufferPointer { indices in
                        let x = SendablePointer(source.baseAddress!), y = SendableMutablePointer(destination.baseAddress!)
                        let chosen = SendableMutablePointer(indices.baseAddress!)
                        // Planes are independent: spread them over the threads.
                        Parallel.forEach(planes) { plane in
                            let image = x.pointer + plane * height * width
                            var out = plane * outHeight * outWidth
                            for row in 0..<outHeight {
                                let rows = max(0, row * stride - padding)..<min(height, row * stride - padding + kernelSize)
                                for column in 0..<outWidth {
                                    let columns = max(0, column * stride - padding)..<min(width, column * stride - padding + kernelSize)
                                    var bestIndex = rows.lowerBound * width + columns.lowerBound
                                    var best = image[bestIndex]
                                    for sy in rows {
                                        for sx in columns where image[sy * width + sx] > best {
                                            best = image[sy * width + sx]
                                            bestIndex = sy * width + sx
                                        }
                                    }
                                    y.pointer[out] = best
                                    chosen.pointer[out] = Int32(bestIndex)
                                    out += 1
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
            let (planes, planeSize) = (shape[0] * shape[1], shape[2] * shape[3])
            let outPlaneSize = outputGradient.count / planes
            return Tensor(shape: shape) { inputGradient in
                outputGradient.values.withUnsafeBufferPointer { gradient in
                    argmax.withUnsafeBufferPointer { indices in
                        let dy = SendablePointer(gradient.baseAddress!), chosen = SendablePointer(indices.baseAddress!)
                        let dx = SendableMutablePointer(inputGradient.baseAddress!)
                        // Each plane's maxima lie in its own input plane.
                        Parallel.forEach(planes) { plane in
                            let target = dx.pointer + plane * planeSize
                            target.update(repeating: 0, count: planeSize)
                            for out in (plane * outPlaneSize)..<((plane + 1) * outPlaneSize) {
                                target[Int(chosen.pointer[out])] += dy.pointer[out]
                            }
                        }
                    }
                }
            }
        }
    }
}
