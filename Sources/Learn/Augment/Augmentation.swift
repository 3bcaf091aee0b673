/// The augmentation pipeline of the reference pneumothorax pipeline: horizontal flip; shift, scale
/// and rotation; random crop; one of CLAHE, sharpening, brightness/contrast and gamma; one of
/// Gaussian noise and median blur. Each step happens with its probability and draws its strength
/// from the image's own seeded stream, so a seed always gives the same images.
public struct Augmentation: Sendable {
    public var flipProbability: Float = 0.5
    public var shiftScaleRotateProbability: Float = 0.5
    /// Largest shift (fraction of the side), scale change and rotation (degrees).
    public var maximumShift: Float = 0.0625
    public var maximumScaleChange: Float = 0.1
    public var maximumRotation: Float = 10
    public var cropProbability: Float = 0.3
    /// Smallest crop side as a fraction of the image side.
    public var minimumCropFraction: Float = 0.85
    /// Probability of one of CLAHE, sharpen, brightness/contrast, gamma.
    public var intensityProbability: Float = 0.5
    /// Probability of one of Gaussian noise and median blur.
    public var noiseProbability: Float = 0.3

    /// The reference pipeline's settings.
    public init() {}

    /// `image` (`size` x `size`, 0...1) augmented with draws from `generator`.
    public func apply(_ image: [Float], size: Int, using generator: inout DataRandom) -> [Float] {
        var output = image
        if generator.uniform(0, 1) < flipProbability { output = ImageOperations.horizontalFlip(output, size: size) }
        if generator.uniform(0, 1) < shiftScaleRotateProbability {
            output = ImageOperations.shiftScaleRotate(
                output, size: size, shiftX: generator.uniform(-maximumShift, maximumShift), shiftY: generator.uniform(-maximumShift, maximumShift),
                scale: 1 + generator.uniform(-maximumScaleChange, maximumScaleChange), degrees: generator.uniform(-maximumRotation, maximumRotation))
        }
        if generator.uniform(0, 1) < cropProbability {
            let side = max(1, Int((Float(size) * generator.uniform(minimumCropFraction, 1)).rounded()))
            let left = Int.random(in: 0...(size - side), using: &generator), top = Int.random(in: 0...(size - side), using: &generator)
            output = ImageOperations.crop(output, size: size, left: left, top: top, cropSize: side)
        }
        if generator.uniform(0, 1) < intensityProbability {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: output = ImageOperations.clahe(output, size: size, clipLimit: generator.uniform(1, 4))
            case 1: output = ImageOperations.sharpen(output, size: size, alpha: generator.uniform(0.2, 0.5), lightness: generator.uniform(0.5, 1))
            case 2: output = ImageOperations.brightnessContrast(output, brightness: generator.uniform(-0.2, 0.2), contrast: generator.uniform(-0.2, 0.2))
            default: output = ImageOperations.gamma(output, gamma: generator.uniform(0.8, 1.2))
            }
        }
        if generator.uniform(0, 1) < noiseProbability {
            if Bool.random(using: &generator) {
                output = ImageOperations.gaussianNoise(output, sigma: generator.uniform(0.01, 0.03), using: &generator)
            } else {
                output = ImageOperations.medianBlur(output, size: size, kernel: Bool.random(using: &generator) ? 3 : 5)
            }
        }
        return output
    }
}
