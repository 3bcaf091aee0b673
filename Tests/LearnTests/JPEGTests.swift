import Foundation
import Testing
@testable import Learn

/// The JPEG baseline decoder against libjpeg's own output, and the encoder through the decoder.
@Suite struct JPEGTests {
    static func vector(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Vectors/jpeg"))
        return Array(try Data(contentsOf: url))
    }

    /// A smooth test image with some noise, `planes` components.
    static func pattern(width: Int, height: Int, planes: Int = 1, seed: UInt64 = 1) -> JPEGImage {
        var state = seed
        let noise = { () -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 16 - 8
        }
        let data = (0..<planes).map { plane in
            (0..<(width * height)).map { index -> UInt8 in
                let x = Float(index % width), y = Float(index / width)
                let value = 128 + 80 * sin(x / Float(6 + plane)) * cos(y / 9) + noise()
                return UInt8(min(255, max(0, value.rounded())))
            }
        }
        return JPEGImage(width: width, height: height, planes: data)
    }

    @Test(arguments: [("grey-37x29-restart", 37, 29, 1), ("grey-64x48-q95", 64, 48, 1), ("colour-444-24x16-restart", 24, 16, 3)])
    func decodesLibjpegStreamsBitExactly(name: String, width: Int, height: Int, components: Int) throws {
        let image = try JPEGDecoder.decode(try Self.vector(name + ".jpg"))
        let expected = try Self.vector(name + ".planes")
        #expect(image.width == width && image.height == height && image.planes.count == components)
        #expect(image.planes.flatMap { $0 } == expected)
    }

    @Test(arguments: [("progressive.jpg", "progressive JPEG"), ("colour-420.jpg", "chroma subsampling")])
    func refusesUnsupportedProcessesByName(file: String, phrase: String) throws {
        #expect {
            try JPEGDecoder.decode(try Self.vector(file))
        } throws: { error in
            guard case .unsupported(let reason) = error as? JPEGError else { return false }
            return reason.contains(phrase)
        }
    }

    @Test(arguments: [(1, 0), (1, 4), (3, 0), (3, 7)])
    func encoderRoundTripsThroughTheDecoder(planes: Int, restartInterval: Int) throws {
        let image = Self.pattern(width: 45, height: 27, planes: planes)
        let stream = JPEGEncoder.encode(image, quality: 100, restartInterval: restartInterval)
        let decoded = try JPEGDecoder.decode(stream)
        #expect(decoded.width == 45 && decoded.height == 27 && decoded.planes.count == planes)
        // Quality 100 quantizes by 1: only rounding of the DCT remains.
        let worst = zip(decoded.planes.flatMap { $0 }, image.planes.flatMap { $0 }).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 2)
        let restarts = zip(stream, stream.dropFirst()).filter { $0 == 0xFF && (0xD0...0xD7).contains($1) }.count
        let mcus = ((45 + 7) / 8) * ((27 + 7) / 8)
        #expect(restarts == (restartInterval == 0 ? 0 : (mcus - 1) / restartInterval))
    }

    @Test func lowerQualityIsSmallerAndStillClose() throws {
        let image = Self.pattern(width: 128, height: 96)
        let high = JPEGEncoder.encode(image, quality: 95), low = JPEGEncoder.encode(image, quality: 30)
        #expect(low.count < high.count / 2 + high.count / 4)
        let decoded = try JPEGDecoder.decode(low)
        let meanError = zip(decoded.planes[0], image.planes[0]).map { Double(abs(Int($0) - Int($1))) }.reduce(0, +) / Double(128 * 96)
        #expect(meanError < 8)
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let stream = try Self.vector("grey-37x29-restart.jpg")
        for length in 0..<(stream.count - 2) {
            #expect(throws: JPEGError.self) { try JPEGDecoder.decode(Array(stream[0..<length])) }
        }
    }

    @Test func corruptedBytesNeverCrash() throws {
        let stream = try Self.vector("grey-64x48-q95.jpg")
        var state: UInt64 = 99
        var failures = 0
        for _ in 0..<400 {
            var copy = stream
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                copy[Int(state >> 33) % copy.count] = UInt8(truncatingIfNeeded: state >> 20)
            }
            do { _ = try JPEGDecoder.decode(copy) } catch { failures += 1 }
        }
        // Some corruptions land in entropy data and still decode; many must be caught.
        #expect(failures > 0)
    }

    @Test func hugeDeclaredFramesAreRefusedBeforeAllocation() throws {
        var stream = try Self.vector("grey-37x29-restart.jpg")
        let sof = try #require(zip(stream.indices, stream.dropFirst()).first { stream[$0.0] == 0xFF && $0.1 == 0xC0 }?.0)
        // 8000 x 8000 fits the pixel limit but not a 660-byte stream.
        stream[sof + 5] = 0x1F; stream[sof + 6] = 0x40; stream[sof + 7] = 0x1F; stream[sof + 8] = 0x40
        #expect { try JPEGDecoder.decode(stream) } throws: { error in
            guard case .malformed(let reason) = error as? JPEGError else { return false }
            return reason.contains("cannot fit")
        }
        stream[sof + 5] = 0xFF; stream[sof + 6] = 0xFF; stream[sof + 7] = 0xFF; stream[sof + 8] = 0xFF
        #expect { try JPEGDecoder.decode(stream) } throws: { error in
            guard case .unsupported(let reason) = error as? JPEGError else { return false }
            return reason.contains("exceeds")
        }
    }

    @Test func overfullHuffmanTablesAreMalformed() {
        // Three codes of length 1 cannot exist.
        #expect(throws: JPEGError.self) { try JPEGHuffmanTable(counts: [3] + [Int](repeating: 0, count: 15), symbols: [0, 1, 2]) }
        #expect(throws: Never.self) { try JPEGHuffmanTable(counts: [2] + [Int](repeating: 0, count: 15), symbols: [0, 1]) }
    }

    @Test func optimisedHuffmanTablesAreValidPrefixCodesWithinSixteenBits() throws {
        // Fibonacci-like frequencies force codes longer than 16 bits before annex K.2's adjustment.
        var frequencies = [Int](repeating: 0, count: 256)
        var a = 1, b = 1
        for symbol in 0..<40 {
            frequencies[symbol] = a
            (a, b) = (b, min(a + b, 1 << 40))
        }
        let table = JPEGHuffmanCodeLengths.table(for: frequencies)
        #expect(table.symbols.count == 40)
        #expect(table.counts.count == 16)
        let used = (0..<256).filter { frequencies[$0] > 0 }
        #expect(used.allSatisfy { table.codes[$0].length >= 1 && table.codes[$0].length <= 16 })
        // Kraft sum strictly below 1: the all-ones code stays unused.
        let kraft = table.counts.enumerated().reduce(0.0) { $0 + Double($1.element) / Double(1 << ($1.offset + 1)) }
        #expect(kraft < 1)
        // More frequent symbols never get longer codes.
        #expect(table.codes[39].length <= table.codes[0].length)
    }
}
