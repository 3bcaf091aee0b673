import Testing
@testable import Learn

/// Area averaging when shrinking, interpolation when enlarging.
@Suite struct ImageResizeTests {
    @Test func integerShrinkAveragesBlocks() {
        let image: [Float] = (0..<16).map(Float.init)
        #expect(ImageResize.resize(image, width: 4, height: 4, to: 2, 2) == [2.5, 4.5, 10.5, 12.5])
    }

    @Test func fractionalShrinkWeighsPartialPixels() {
        // Three pixels into two: [a, b/2] and [b/2, c], each over 1.5 pixels.
        let row = ImageResize.resize([3, 6, 9], width: 3, height: 1, to: 2, 1)
        #expect(abs(row[0] - (3 + 3) / 1.5) < 1e-5 && abs(row[1] - (3 + 9) / 1.5) < 1e-5)
        for taps in ImageResize.weights(from: 1024, to: 96) { #expect(abs(taps.map(\.1).reduce(0, +) - 1) < 1e-5) }
    }

    @Test func meanIsPreservedAndConstantsStayConstant() {
        var generator = DataRandom(seed: 3)
        let image = (0..<(60 * 45)).map { _ in generator.uniform(0, 1) }
        let small = ImageResize.resize(image, width: 60, height: 45, to: 20, 15)
        let smallMean: Float = small.reduce(0, +) / 300, imageMean: Float = image.reduce(0, +) / 2700
        #expect(abs(smallMean - imageMean) < 1e-4)
        let enlarged = ImageResize.resize([Float](repeating: 0.7, count: 9), width: 3, height: 3, to: 8, 8)
        #expect(enlarged.allSatisfy { abs($0 - 0.7) < 1e-6 })
    }
}
