/// 2-D convolution (PyTorch's Conv2d without groups or dilation), as im2col + sgemm.
public final class Conv2d: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    /// [outputChannels, inputChannels, kernelSize, kernelSize].
    public let weight: Parameter
    /// [outputChannels], when the layer has a bias.
    public let bias: Parameter?

    private var cachedInput: Tensor?

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = false, weights: [Float]? = nil) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0, "invalid convolution")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let shape = [outputChannels, inputChannels, kernelSize, kernelSize]
        weight = Parameter(name: name + ".weight",
                           value: Tensor(shape: shape, values: weights ?? [Float](repeating: 0, count: shape.reduce(1, *))))
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor(shape: [outputChannels])) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// Output height (or width) for an input of `size`.
    public func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernelSize) / stride + 1 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == inputChannels, "Conv2d expects [N, \(inputChannels), H, W], got \(input.shape)")
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let (outHeight, outWidth) = (outputSize(height), outputSize(width))
        let patch = inputChannels * kernelSize * kernelSize, pixels = outHeight * outWidth
        var output = Tensor(shape: [batch, outputChannels, outHeight, outWidth])
        var columns = [Float](repeating: 0, count: patch * pixels)
        for n in 0..<batch {
            im2col(input, image: n, into: &columns)
            weight.value.values.withUnsafeBufferPointer { w in
                columns.withUnsafeBufferPointer { c in
                    output.values.withUnsafeMutableBufferPointer { o in
                        BLAS.gemm(m: outputChannels, n: pixels, k: patch, a: w.baseAddress!, b: c.baseAddress!,
                                  c: o.baseAddress! + n * outputChannels * pixels)
                    }
                }
            }
        }
        if let bias {
            for n in 0..<batch {
                for channel in 0..<outputChannels {
                    let start = (n * outputChannels + channel) * pixels
                    for i in start..<(start + pixels) { output.values[i] += bias.value.values[channel] }
                }
            }
        }
        if training { cachedInput = input }
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("Conv2d.backward without a training forward") }
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let pixels = outputGradient.shape[2] * outputGradient.shape[3]
        let patch = inputChannels * kernelSize * kernelSize
        var inputGradient = Tensor(shape: input.shape)
        var columns = [Float](repeating: 0, count: patch * pixels)
        var columnGradient = [Float](repeating: 0, count: patch * pixels)
        for n in 0..<batch {
            im2col(input, image: n, into: &columns)
            outputGradient.values.withUnsafeBufferPointer { g in
                let gradientStart = g.baseAddress! + n * outputChannels * pixels
                // dW += dY[n] (Cout x P) * columns^T (P x K)
                columns.withUnsafeBufferPointer { c in
                    weight.gradient.values.withUnsafeMutableBufferPointer { dw in
                        BLAS.gemm(m: outputChannels, n: patch, k: pixels, a: gradientStart, b: c.baseAddress!, transposeB: true,
                                  beta: 1, c: dw.baseAddress!)
                    }
                }
                // dColumns = W^T (K x Cout) * dY[n] (Cout x P)
                weight.value.values.withUnsafeBufferPointer { w in
                    columnGradient.withUnsafeMutableBufferPointer { dc in
                        BLAS.gemm(m: patch, n: pixels, k: outputChannels, a: w.baseAddress!, transposeA: true, b: gradientStart,
                                  c: dc.baseAddress!)
                    }
                }
            }
            col2im(columnGradient, image: n, height: height, width: width, into: &inputGradient)
        }
        if let bias {
            for n in 0..<batch {
                for channel in 0..<outputChannels {
                    let start = (n * outputChannels + channel) * pixels
                    bias.gradient.values[channel] += outputGradient.values[start..<(start + pixels)].reduce(0, +)
                }
            }
        }
        return inputGradient
    }

    // MARK: - im2col

    /// Visits every entry of the column matrix of one image: `visit(column, source)` with the
    /// entry's index in the column matrix and the index of the input value it copies within the
    /// image, or nil where the window lies in the padding. im2col gathers along it, col2im
    /// scatters back along the same path.
    @inline(__always)
    private func forEachColumnEntry(height: Int, width: Int, _ visit: (Int, Int?) -> Void) {
        let (outHeight, outWidth) = (outputSize(height), outputSize(width))
        let pixels = outHeight * outWidth
        for c in 0..<inputChannels {
            for i in 0..<kernelSize {
                for j in 0..<kernelSize {
                    let row = ((c * kernelSize + i) * kernelSize + j) * pixels
                    for y in 0..<outHeight {
                        let sourceY = y * stride + i - padding
                        for x in 0..<outWidth {
                            let sourceX = x * stride + j - padding
                            let inside = sourceY >= 0 && sourceY < height && sourceX >= 0 && sourceX < width
                            visit(row + y * outWidth + x, inside ? (c * height + sourceY) * width + sourceX : nil)
                        }
                    }
                }
            }
        }
    }

    /// The column matrix of image `n`: entry [(c*k + i)*k + j][y*outW + x] is
    /// input[n, c, y*stride + i - padding, x*stride + j - padding], 0 in the padding.
    private func im2col(_ input: Tensor, image n: Int, into columns: inout [Float]) {
        let (height, width) = (input.shape[2], input.shape[3])
        input.values.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { columns in
                let image = x.baseAddress! + n * inputChannels * height * width
                forEachColumnEntry(height: height, width: width) { column, source in
                    columns[column] = source.map { image[$0] } ?? 0
                }
            }
        }
    }

    /// Adds column gradients back onto the image they came from (the transpose of im2col).
    private func col2im(_ columns: [Float], image n: Int, height: Int, width: Int, into gradient: inout Tensor) {
        columns.withUnsafeBufferPointer { columns in
            gradient.values.withUnsafeMutableBufferPointer { dx in
                let image = dx.baseAddress! + n * inputChannels * height * width
                forEachColumnEntry(height: height, width: width) { column, source in
                    if let source { image[source] += columns[column] }
                }
            }
        }
    }
}
