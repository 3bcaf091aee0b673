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
    /// Whether backward computes the input gradient; a network's first layer, whose input is
    /// the data, skips it and returns zeros.
    public let propagatesInputGradient: Bool

    /// The column matrix of the last forward and the input shape it was built for: backward uses
    /// it, and the next forward of that shape reuses its memory (whose padding entries stay zero).
    private var columns: (inputShape: [Int], values: [Float])?

    public func releaseCaches() {
        columns = nil
        backwardReady = false
    }
    /// Whether `columns` comes from a training forward.
    private var backwardReady = false

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = false, propagatesInputGradient: Bool = true, weights: [Float]? = nil) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0, "invalid convolution")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.propagatesInputGradient = propagatesInputGradient
        let shape = [outputChannels, inputChannels, kernelSize, kernelSize]
        weight = Parameter(name: name + ".weight",
                           value: Tensor(shape: shape, values: weights ?? [Float](repeating: 0, count: shape.reduce(1, *))))
        self.bias = bias ? Parameter(name: name + ".bias", value: Tensor(shape: [outputChannels])) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// Output height (or width) for an input of `size`.
    public func outputSize(_ size: Int) -> Int { (size + 2 * padding - kernelSize) / stride + 1 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        LayerProfile.measure("Conv2d", String(weight.name.dropLast(".weight".count)), .forward) {
            precondition(input.shape.count == 4 && input.shape[1] == inputChannels, "Conv2d expects [N, \(inputChannels), H, W], got \(input.shape)")
            let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
            let (outHeight, outWidth) = (outputSize(height), outputSize(width))
            let patch = inputChannels * kernelSize * kernelSize, pixels = outHeight * outWidth
            let columns = im2col(input)
            defer {
                self.columns = (input.shape, columns)
                backwardReady = training
            }
            // One sgemm for the whole batch: Y' (Cout x N*P) = W (Cout x K) * columns (K x N*P).
            return ScratchPool.shared.withBuffer(count: outputChannels * batch * pixels) { product in
                weight.value.values.withUnsafeBufferPointer { w in
                    columns.withUnsafeBufferPointer { c in
                        BLAS.gemm(m: outputChannels, n: batch * pixels, k: patch, a: w.baseAddress!, b: c.baseAddress!, c: product.baseAddress!)
                    }
                }
                return Tensor(shape: [batch, outputChannels, outHeight, outWidth]) { output in
                    Self.transposeBlocks(UnsafePointer(product.baseAddress!), into: output.baseAddress!, outer: outputChannels, inner: batch,
                                         block: pixels, adding: bias?.value.values)
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        LayerProfile.measure("Conv2d", String(weight.name.dropLast(".weight".count)), .backward) {
            guard backwardReady, let (inputShape, columns) = columns else { preconditionFailure("Conv2d.backward without a training forward") }
            let batch = inputShape[0]
            let pixels = outputGradient.shape[2] * outputGradient.shape[3]
            let patch = inputChannels * kernelSize * kernelSize
            if let bias {
                outputGradient.values.withUnsafeBufferPointer { dy in
                    for n in 0..<batch {
                        for channel in 0..<outputChannels {
                            bias.gradient.values[channel] += Reduction.sum(dy.baseAddress! + (n * outputChannels + channel) * pixels, count: pixels)
                        }
                    }
                }
            }
            return ScratchPool.shared.withBuffer(count: outputGradient.count) { gradient in
                // dY' (Cout x N*P) from dY (N x Cout x P).
                outputGradient.values.withUnsafeBufferPointer { dy in
                    Self.transposeBlocks(dy.baseAddress!, into: gradient.baseAddress!, outer: batch, inner: outputChannels, block: pixels)
                }
                // dW += dY' (Cout x N*P) * columns^T (N*P x K)
                columns.withUnsafeBufferPointer { c in
                    weight.gradient.values.withUnsafeMutableBufferPointer { dw in
                        BLAS.gemm(m: outputChannels, n: patch, k: batch * pixels, a: gradient.baseAddress!, b: c.baseAddress!, transposeB: true,
                                  beta: 1, c: dw.baseAddress!)
                    }
                }
                guard propagatesInputGradient else { return Tensor(shape: inputShape) }
                return ScratchPool.shared.withBuffer(count: patch * batch * pixels) { columnGradient in
                    // dColumns (K x N*P) = W^T (K x Cout) * dY' (Cout x N*P)
                    weight.value.values.withUnsafeBufferPointer { w in
                        BLAS.gemm(m: patch, n: batch * pixels, k: outputChannels, a: w.baseAddress!, transposeA: true, b: gradient.baseAddress!,
                                  c: columnGradient.baseAddress!)
                    }
                    return Tensor(shape: inputShape) { inputGradient in
                        col2im(UnsafePointer(columnGradient.baseAddress!), into: inputGradient.baseAddress!, shape: inputShape)
                    }
                }
            }
        }
    }

    /// Rearranges `outer x inner` blocks of `block` values into `inner x outer` order, adding
    /// `bias[i]` to every value of the blocks of outer index i when given:
    /// destination[(j * outer + i) * block ...] = source[(i * inner + j) * block ...].
    static func transposeBlocks(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, outer: Int, inner: Int, block: Int,
                                adding bias: [Float]? = nil) {
        let from = SendablePointer(source), to = SendableMutablePointer(destination)
        Parallel.forEach(outer) { i in
            for j in 0..<inner {
                let target = to.pointer + (j * outer + i) * block
                target.update(from: from.pointer + (i * inner + j) * block, count: block)
                if let bias {
                    for x in 0..<block { target[x] += bias[i] }
                }
            }
        }
    }

    // MARK: - im2col

    /// The valid output columns of kernel column `j`: those whose input column lies inside the image.
    @inline(__always)
    private func validColumns(kernelColumn j: Int, width: Int, outWidth: Int) -> Range<Int> {
        // x * stride + j - padding in 0..<width.
        let first = max(0, (padding - j + stride - 1) / stride)
        let last = min(outWidth, (width - 1 + padding - j) / stride + 1)
        return first..<max(first, last)
    }

    /// The column matrix of the batch (K x N*P): entry [(c*k + i)*k + j][n*P + y*outW + x] is
    /// input[n, c, y*stride + i - padding, x*stride + j - padding], 0 in the padding.
    /// Reuses the previous forward's matrix when the input shape is the same.
    private func im2col(_ input: Tensor) -> [Float] {
        let (batch, height, width) = (input.shape[0], input.shape[2], input.shape[3])
        let geometry = ColumnGeometry(layer: self, height: height, width: width, batch: batch)
        // Taken out of `self` so that the array is uniquely referenced and written in place.
        var columns = columns.flatMap { $0.inputShape == input.shape ? $0.values : nil }
            ?? [Float](repeating: 0, count: inputChannels * kernelSize * kernelSize * batch * geometry.pixels)
        self.columns = nil
        input.values.withUnsafeBufferPointer { x in
            columns.withUnsafeMutableBufferPointer { columns in
                let source = SendablePointer(x.baseAddress!), destination = SendableMutablePointer(columns.baseAddress!)
                Parallel.forEach(batch) { n in
                    geometry.forEachSegment(image: n) { column, sourceOffset, count in
                        // Padding entries are zero from the matrix's allocation on, and never written.
                        guard !count.isPadding else { return }
                        let target = destination.pointer + column
                        if geometry.stride == 1 {
                            target.update(from: source.pointer + sourceOffset, count: count.value)
                        } else {
                            for x in 0..<count.value { target[x] = source.pointer[sourceOffset + x * geometry.stride] }
                        }
                    }
                }
            }
        }
        return columns
    }

    /// Sums column gradients back onto the images they came from (the transpose of im2col),
    /// writing every value of `gradient` (of `shape`).
    private func col2im(_ columns: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>, shape: [Int]) {
        let (batch, height, width) = (shape[0], shape[2], shape[3])
        let geometry = ColumnGeometry(layer: self, height: height, width: width, batch: batch)
        let source = SendablePointer(columns), destination = SendableMutablePointer(gradient)
        let imageSize = inputChannels * height * width
        Parallel.forEach(batch) { n in
            // Image n's segments all land in image n.
            (destination.pointer + n * imageSize).update(repeating: 0, count: imageSize)
            geometry.forEachSegment(image: n) { column, imageOffset, count in
                guard !count.isPadding else { return }
                let from = source.pointer + column
                if geometry.stride == 1 {
                    for x in 0..<count.value { destination.pointer[imageOffset + x] += from[x] }
                } else {
                    for x in 0..<count.value { destination.pointer[imageOffset + x * geometry.stride] += from[x] }
                }
            }
        }
    }

    /// Where each row segment of one image's columns comes from: the layer's shape at one input size.
    private struct ColumnGeometry: Sendable {
        /// A run length, and whether the run lies in the padding.
        struct Count {
            let value: Int
            let isPadding: Bool
        }

        let inputChannels: Int, kernelSize: Int, stride: Int, padding: Int
        let height: Int, width: Int, outHeight: Int, outWidth: Int, pixels: Int, rowStride: Int
        /// For each kernel column j, the output columns whose input column is inside the image.
        let valid: [Range<Int>]

        init(layer: Conv2d, height: Int, width: Int, batch: Int) {
            inputChannels = layer.inputChannels
            kernelSize = layer.kernelSize
            stride = layer.stride
            padding = layer.padding
            self.height = height
            self.width = width
            outHeight = layer.outputSize(height)
            outWidth = layer.outputSize(width)
            pixels = outHeight * outWidth
            rowStride = batch * pixels
            valid = (0..<layer.kernelSize).map { layer.validColumns(kernelColumn: $0, width: width, outWidth: layer.outputSize(width)) }
        }

        /// Calls `visit(column, sourceOffset, count)` for every run of one output row of image `n`'s
        /// columns: `count` entries from column-matrix index `column`, copied from the image at
        /// `sourceOffset` (within the whole batch) every `stride` values, or padding.
        @inline(__always)
        func forEachSegment(image n: Int, _ visit: (Int, Int, Count) -> Void) {
            let imageBase = n * inputChannels * height * width
            for c in 0..<inputChannels {
                for i in 0..<kernelSize {
                    for j in 0..<kernelSize {
                        let row = ((c * kernelSize + i) * kernelSize + j) * rowStride + n * pixels
                        let columns = valid[j]
                        for y in 0..<outHeight {
                            let start = row + y * outWidth
                            let sourceY = y * stride + i - padding
                            guard sourceY >= 0, sourceY < height, !columns.isEmpty else {
                                visit(start, 0, Count(value: outWidth, isPadding: true))
                                continue
                            }
                            if columns.lowerBound > 0 { visit(start, 0, Count(value: columns.lowerBound, isPadding: true)) }
                            let sourceX = columns.lowerBound * stride + j - padding
                            visit(start + columns.lowerBound, imageBase + (c * height + sourceY) * width + sourceX,
                                  Count(value: columns.count, isPadding: false))
                            if columns.upperBound < outWidth {
                                visit(start + columns.upperBound, 0, Count(value: outWidth - columns.upperBound, isPadding: true))
                            }
                        }
                    }
                }
            }
        }
    }
}
