internal import Foundation
internal import Learn

/// The sgemm time alone of one ResNet-18 training step's convolutions: what an im2col + sgemm
/// implementation cannot go below, whatever it does around the products.
enum ConvolutionFloor {
    /// One convolution of torchvision's ResNet-18 (1 input channel) at image size `size`.
    struct Convolution {
        let inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, inputSize: Int, count: Int
        var outputSize: Int { (inputSize + 2 * (kernelSize / 2) - kernelSize) / stride + 1 }
    }

    /// The network's convolutions: the stem, then per stage the first block's (strided) convolutions
    /// and 1x1 downsample, and the stage's other 3x3 convolutions.
    static func resNet18(size: Int) -> [Convolution] {
        var layers = [Convolution(inputChannels: 1, outputChannels: 64, kernelSize: 7, stride: 2, inputSize: size, count: 1),
                      Convolution(inputChannels: 64, outputChannels: 64, kernelSize: 3, stride: 1, inputSize: size / 4, count: 4)]
        for (stage, channels) in [128, 256, 512].enumerated() {
            let input = size / (8 << stage)
            layers += [Convolution(inputChannels: channels / 2, outputChannels: channels, kernelSize: 3, stride: 2, inputSize: input * 2, count: 1),
                       Convolution(inputChannels: channels / 2, outputChannels: channels, kernelSize: 1, stride: 2, inputSize: input * 2, count: 1),
                       Convolution(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 1, inputSize: input, count: 3)]
        }
        return layers
    }

    /// Seconds of sgemm per training step of batch `batch`: forward, weight gradient and (except for
    /// the stem, whose input is the data) column gradient of every convolution.
    static func seconds(size: Int, batch: Int) -> Double {
        let layers = resNet18(size: size)
        let largest = layers.map { max($0.outputChannels, $0.inputChannels * $0.kernelSize * $0.kernelSize) * batch * $0.outputSize * $0.outputSize }.max() ?? 0
        var a = [Float](repeating: 0.5, count: largest), b = [Float](repeating: 0.25, count: largest), c = [Float](repeating: 0, count: largest)
        let clock = ContinuousClock()
        var total = Duration.zero
        a.withUnsafeMutableBufferPointer { a in
            b.withUnsafeMutableBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    let (a, b, c) = (UnsafePointer(a.baseAddress!), UnsafePointer(b.baseAddress!), c.baseAddress!)
                    for (index, layer) in layers.enumerated() {
                        let patch = layer.inputChannels * layer.kernelSize * layer.kernelSize
                        let columns = batch * layer.outputSize * layer.outputSize
                        for _ in 0..<layer.count {
                            total += clock.measure {
                                BLAS.gemm(m: layer.outputChannels, n: columns, k: patch, a: a, b: b, c: c)
                                BLAS.gemm(m: layer.outputChannels, n: patch, k: columns, a: a, b: b, transposeB: true, c: c)
                                if index > 0 { BLAS.gemm(m: patch, n: columns, k: layer.outputChannels, a: a, transposeA: true, b: b, c: c) }
                            }
                        }
                    }
                }
            }
        }
        return total / .seconds(1)
    }

    /// Multiply-adds counted twice, forward only, for one image.
    static func forwardFlops(size: Int) -> Double {
        resNet18(size: size).reduce(0) { total, layer in
            total + 2 * Double(layer.count * layer.outputChannels * layer.inputChannels * layer.kernelSize * layer.kernelSize
                               * layer.outputSize * layer.outputSize)
        }
    }
}
