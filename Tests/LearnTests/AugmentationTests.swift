import Testing
@testable import Learn

/// Every augmentation keeps the size and the 0...1 range, does what it says, and is seeded.
@Suite struct AugmentationTests {
    static let size = 24
    /// A gradient with a bright square: asymmetric, so flips and shifts show.
    static let image: [Float] = (0..<(size * size)).map { index in
        let row = index / size, column = index % size
        return (row >= 4 && row < 9 && column >= 3 && column < 8) ? 0.95 : Float(column) / Float(size) * 0.6 + 0.1
    }

    static func inRange(_ values: [Float]) -> Bool { values.count == size * size && values.allSatisfy { (0...1).contains($0) } }

    @Test func flipMirrorsAndTwiceIsIdentity() {
        let flipped = ImageOperations.horizontalFlip(Self.image, size: Self.size)
        #expect(Self.inRange(flipped) && flipped[5 * Self.size + Self.size - 1 - 4] == 0.95)
        #expect(ImageOperations.horizontalFlip(flipped, size: Self.size) == Self.image)
    }

    @Test func shiftScaleRotateIsIdentityAtZeroAndMovesTheSquare() {
        let same = ImageOperations.shiftScaleRotate(Self.image, size: Self.size, shiftX: 0, shiftY: 0, scale: 1, degrees: 0)
        #expect(zip(same, Self.image).allSatisfy { abs($0 - $1) < 1e-5 })
        let shifted = ImageOperations.shiftScaleRotate(Self.image, size: Self.size, shiftX: 5 / Float(Self.size), shiftY: 0, scale: 1, degrees: 0)
        #expect(Self.inRange(shifted) && abs(shifted[5 * Self.size + 3 + 5] - 0.95) < 1e-5)
        let rotated = ImageOperations.shiftScaleRotate(Self.image, size: Self.size, shiftX: 0, shiftY: 0, scale: 1.1, degrees: 12)
        #expect(Self.inRange(rotated) && rotated != Self.image)
    }

    @Test func cropOfTheWholeImageIsIdentityAndACropZooms() {
        #expect(ImageOperations.crop(Self.image, size: Self.size, left: 0, top: 0, cropSize: Self.size) == Self.image)
        let zoomed = ImageOperations.crop(Self.image, size: Self.size, left: 3, top: 4, cropSize: 12)
        // The bright 5x5 square now covers about 10x10 pixels.
        #expect(Self.inRange(zoomed) && zoomed.count { $0 > 0.9 } >= 64)
    }

    @Test func noiseAddsTheRequestedDeviation() {
        var generator = DataRandom(seed: 4)
        let flat = [Float](repeating: 0.5, count: Self.size * Self.size)
        let noisy = ImageOperations.gaussianNoise(flat, sigma: 0.05, using: &generator)
        let deviation = (noisy.map { ($0 - 0.5) * ($0 - 0.5) }.reduce(0, +) / Float(noisy.count)).squareRoot()
        #expect(Self.inRange(noisy) && abs(deviation - 0.05) < 0.01)
    }

    @Test func claheSpreadsALowContrastImageAndKeepsAFlatOneFlat() {
        let dull = Self.image.map { 0.45 + 0.1 * $0 }
        let equalised = ImageOperations.clahe(dull, size: Self.size, clipLimit: 4, tiles: 4)
        let spread = { (values: [Float]) in values.max()! - values.min()! }
        #expect(Self.inRange(equalised) && spread(equalised) > 2 * spread(dull))
        let flat = ImageOperations.clahe([Float](repeating: 0.3, count: Self.size * Self.size), size: Self.size, clipLimit: 2)
        #expect(spread(flat) < 1e-6)
    }

    @Test func sharpenRaisesEdgesAndLeavesFlatAreas() {
        let sharpened = ImageOperations.sharpen(Self.image, size: Self.size, alpha: 0.5, lightness: 1)
        #expect(Self.inRange(sharpened))
        // Just outside the bright square the background gets darker; flat interior stays.
        #expect(sharpened[6 * Self.size + 2] < Self.image[6 * Self.size + 2])
        #expect(abs(sharpened[6 * Self.size + 5] - 0.95) < 1e-5)
    }

    @Test func brightnessContrastAndGammaAtNeutralAreIdentity() {
        #expect(zip(ImageOperations.brightnessContrast(Self.image, brightness: 0, contrast: 0), Self.image).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(ImageOperations.gamma(Self.image, gamma: 1), Self.image).allSatisfy { abs($0 - $1) < 1e-6 })
        let brighter = ImageOperations.brightnessContrast(Self.image, brightness: 0.1, contrast: 0.2)
        #expect(Self.inRange(brighter) && brighter.reduce(0, +) > Self.image.reduce(0, +))
        #expect(ImageOperations.gamma(Self.image, gamma: 1.2).reduce(0, +) < Self.image.reduce(0, +))
    }

    @Test func medianBlurRemovesAnIsolatedSpeck() {
        var speckled = [Float](repeating: 0.2, count: Self.size * Self.size)
        speckled[10 * Self.size + 10] = 1
        #expect(ImageOperations.medianBlur(speckled, size: Self.size, kernel: 3).allSatisfy { $0 == 0.2 })
        #expect(Self.inRange(ImageOperations.medianBlur(Self.image, size: Self.size, kernel: 5)))
    }

    @Test func pipelineIsSeededAndStaysInRange() {
        let augmentation = Augmentation()
        var outputs: [[Float]] = []
        for seed: UInt64 in [1, 1, 2, 3, 4, 5] {
            var generator = DataRandom(seed: seed)
            outputs.append(augmentation.apply(Self.image, size: Self.size, using: &generator))
        }
        #expect(outputs.allSatisfy(Self.inRange))
        #expect(outputs[0] == outputs[1])
        #expect(Set(outputs.dropFirst().map { $0.map(\.bitPattern) }).count >= 4)
    }
}
