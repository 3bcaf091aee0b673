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
        // One sgemm for the whole batch: Y' (Cout x N*P) = W (Cout x K) * columns (K x N*P).
        let columns = im2col(input)
        var product = [Float](repeating: 0, count: outputChannels * batch * pixels)
        weight.value.values.withUnsafeBufferPointer { w in
            columns.withUnsafeBufferPointer { c in
                product.withUnsafeMutableBufferPointer { y in
                    BLAS.gemm(m: outputChannels, n: batch * pixels, k: patch, a: w.baseAddress!, b: c.baseAddress!, c: y.baseAddress!)
                }
            }
        }
        var output = Tensor(shape: [batch, outputChannels, outHeight, outWidth])
        Self.transposeBlocks(product, into: &output.values, outer: outputChannels, inner: batch, block: pixels)
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
        let batch = input.shape[0]
        let pixels = outputGradient.shape[2] * outputGradient.shape[3]
        let patch = inputChannels * kernelSize * kernelSize
        let columns = im2col(input)
        // dY' (Cout x N*P) from dY (N x Cout x P).
        var gradient = [Float](repeating: 0, count: outputGradient.count)
        Self.transposeBlocks(outputGradient.values, into: &gradient, outer: batch, inner: outputChannels, block: pixels)
        var columnGradient = [Float](repeating: 0, count: patch * batch * pixels)
        gradient.withUnsafeBufferPointer { g in
            // dW += dY' (Cout x N*P) * columns^T (N*P x K)
            columns.withUnsafeBufferPointer { c in
                weight.gradient.values.withUnsafeMutableBufferPointer { dw in
                    BLAS.gemm(m: outputChannels, n: patch, k: batch * pixels, a: g.baseAddress!, b: c.baseAddress!, transposeB: true,
                              beta: 1, c: dw.baseAddress!)
                }
            }
            // dColumns (K x N*P) = W^T (K x Cout) * dY' (Cout x N*P)
            weight.value.values.withUnsafeBufferPointer { w in
                columnGradient.withUnsafeMutableBufferPointer { dc in
                    BLAS.gemm(m: patch, n: batch * pixels, k: outputChannels, a: w.baseAddress!, transposeA: true, b: g.baseAddress!,
                              c: dc.baseAddress!)
                }
            }
        }
        var inputGradient = Tensor(shape: input.shape)
        col2im(columnGradient, into: &inputGradient)
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

    /// Rearranges `outer x inner` blocks of `block` values into `inner x outer` order:
    /// destination[(j * outer + i) * block ...] = source[(i * inner + j) * block ...].
    static func transposeBlocks(_ source: [Float], into destination: inout [Float], outer: Int, inner: Int, block: Int) {
        source.withUnsafeBufferPointer { s in
            destination.withUnsafeMutableBufferPointer { d in
                for i in 0..<outer {
                    for j in 0..<inner {
                        (d.baseAddress! + (j * outer + i) * block).update(from: s.baseAddress! + (i * inner + j) * block, count: block)
                    }
                }
            }
        }
    }

    // MARK: - im2col

    /// Visits every entry of the column matrix of one image: `visit(column, source)` with the
    /// entry's index in the column matrix (row stride `rowStride`, first column `firstColumn`)
    /// and the index of the input value it copies within the image, or nil where the window lies
    /// in the padding. im2col gathers along it, col2im scatters back along the same path.
    @inline(__always)
    private func forEachColumnEntry(height: Int, width: Int, rowStride: Int, firstColumn: Int, _ visit: (Int, Int?) -> Void) {
        let (outHeight, outWidth) = (outputSize(height), outputSize(width))
        for c in 0..<inputChannels {
            for i in 0..<kernelSize {
                for j in 0..<kernelSize {
                    let row = ((c * kernelSize + i) * kernelSize + j) * rowStride + firstColumn
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

    /// The column matrix of the batch (K x N*P): entry [(c*k + i)*k + j][n*P + y*outW + x] is
    /// input[n, c, y*stride + i - padding, x*stride + j - padding], 0 in the padding.
    private func im2col(_ input: Tensor) -> [Float] {
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let pixels = outputSize(height) * outputSize(width)
        var columns = [Float](repeating: 0, count: inputChannels * kernelSize * kernelSize * batch * pixels)
        input.values.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { columns in
                for n in 0..<batch {
                    let image = x.baseAddress! + n * inputChannels * height * width
                    forEachColumnEntry(height: height, width: width, rowStride: batch * pixels, firstColumn: n * pixels) { column, source in
                        columns[column] = source.map { image[$0] } ?? 0
                    }
                }
            }
        }
        return columns
    }

    /// Adds column gradients back onto the images they came from (the transpose of im2col).
    private func col2im(_ columns: [Float], into gradient: inout Tensor) {
        let (batch, height, width) = (gradient.shape[0], gradient.shape[2], gradient.shape[3])
        let pixels = outputSize(height) * outputSize(width)
        columns.withUnsafeBufferPointer { columns in
            gradient.values.withUnsafeMutableBufferPointer { dx in
                for n in 0..<batch {
                    let image = dx.baseAddress! + n * inputChannels * height * width
                    forEachColumnEntry(height: height, width: width, rowStride: batch * pixels, firstColumn: n * pixels) { column, source in
                        if let source { image[source] += columns[column] }
                    }
                }
            }
        }
    }
}
