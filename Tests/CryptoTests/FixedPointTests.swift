import Testing
@testable import Crypto

@Suite struct FixedPointTests {
    func randomValues(_ count: Int, magnitude: Float, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -magnitude...magnitude, using: &generator) }
    }

    @Test(arguments: [(Float(4), 16), (1, 20), (8, 10), (0.5, 24)])
    func roundTripWithinTheBound32(clip: Float, fractionBits: Int) throws {
        let codec = try FixedPoint<UInt32>(clip: clip, fractionBits: fractionBits)
        let values = randomValues(2000, magnitude: clip, seed: UInt64(fractionBits))
        let (words, report) = try codec.encode(values)
        #expect(report.clippedCount == 0)
        let bound = codec.roundingErrorBound(stochastic: false)
        for (value, word) in zip(values, words) {
            #expect(abs(codec.decode(word) - Double(value)) <= bound)
        }
    }

    @Test(arguments: [(Float(4), 40), (100, 32)])
    func roundTripWithinTheBound64(clip: Float, fractionBits: Int) throws {
        let codec = try FixedPoint<UInt64>(clip: clip, fractionBits: fractionBits)
        let values = randomValues(2000, magnitude: clip, seed: 3)
        let (words, _) = try codec.encode(values)
        for (value, word) in zip(values, words) {
            #expect(abs(codec.decode(word) - Double(value)) <= codec.roundingErrorBound(stochastic: false))
        }
    }

    @Test(arguments: [2, 10, 100, 1000])
    func sumsDecodeToTheFloatSumWithinNTimesTheBound(peerCount: Int) throws {
        let codec = try FixedPoint<UInt32>(clip: 4, fractionBits: 16)
        try codec.checkCapacity(peerCount: peerCount)
        var sum = [UInt32](repeating: 0, count: 500)
        var exact = [Double](repeating: 0, count: 500)
        var generator = SeededGenerator(seed: UInt64(peerCount))
        for peer in 0..<peerCount {
            let values = randomValues(500, magnitude: 4, seed: UInt64(peer) + 1000)
            var words = [UInt32](repeating: 0, count: values.count)
            let stochastic = peer % 2 == 0
            _ = try values.withUnsafeBufferPointer { input in
                try words.withUnsafeMutableBufferPointer { output in
                    stochastic ? try codec.encode(input, into: output, using: &generator) : try codec.encode(input, into: output)
                }
            }
            for i in 0..<values.count {
                sum[i] &+= words[i]
                exact[i] += Double(values[i])
            }
        }
        let bound = Double(peerCount) * codec.roundingErrorBound(stochastic: true)
        for i in 0..<sum.count {
            #expect(abs(codec.decode(sum[i]) - exact[i]) <= bound)
        }
    }

    /// Encoding 16 values at a time (Float arithmetic) gives exactly what rounding each value
    /// in Double gives: ties, clipped values, signed zeros and tiny values included, at every
    /// length and for both word sizes; a scale factor is applied in Float first.
    @Test(arguments: [(Float(4), 16, 0), (4, 16, 37), (0.5, 23, 1000), (4, 24, 100), (1, 29, 64)])
    func encodingMatchesRoundingEachValue(clip: Float, fractionBits: Int, count: Int) throws {
        var generator = SeededGenerator(seed: UInt64(count + fractionBits))
        let step = Float(sign: .plus, exponent: -fractionBits - 1, significand: 1)
        let special: [Float] = [0, -0.0, step, -step, 3 * step, -5 * step, clip, -clip, clip * 1.5, -clip * 3, .leastNonzeroMagnitude,
                                clip - step, 1e-30, -2.5 * step * 2]
        let values = (0..<count).map { index in
            index % 3 == 0 ? special[index / 3 % special.count] : Float.random(in: -2 * clip...2 * clip, using: &generator)
        }
        for factor: Float in [1, 0.7] {
            func expected<Word: RingWord>(_ word: Word.Type) -> [Word] {
                let scale = Double(sign: .plus, exponent: fractionBits, significand: 1)
                return values.map { value in
                    let scaled = value * factor
                    let rounded = (Double(min(abs(scaled), clip)) * scale).rounded(.toNearestOrAwayFromZero)
                    return Word(wrappingSigned: Int64(scaled < 0 ? -rounded : rounded))
                }
            }
            func encoded<Word: RingWord>(_ word: Word.Type) throws -> ([Word], EncodingReport) {
                let codec = try FixedPoint<Word>(clip: clip, fractionBits: fractionBits)
                var words = [Word](repeating: 0, count: values.count)
                let report = try values.withUnsafeBufferPointer { input in
                    try words.withUnsafeMutableBufferPointer { try codec.encode(input, scaledBy: factor, into: $0) }
                }
                return (words, report)
            }
            let (words32, report) = try encoded(UInt32.self)
            #expect(words32 == expected(UInt32.self))
            #expect(try encoded(UInt64.self).0 == expected(UInt64.self))
            #expect(report.clippedCount == values.filter { abs($0 * factor) > clip }.count)
            #expect(report.largestMagnitude == values.map { abs($0 * factor) }.max() ?? 0)
        }
    }

    @Test func aNonFiniteValueInsideAVectorisedGroupIsFoundAtItsIndex() throws {
        let codec = try FixedPoint<UInt32>(clip: 4, fractionBits: 16)
        var values = [Float](repeating: 1, count: 40)
        values[21] = .nan
        #expect(throws: CryptoError.nonFiniteValue(index: 21)) { try codec.encode(values) }
        values[21] = 1
        values[3] = -.infinity
        #expect(throws: CryptoError.nonFiniteValue(index: 3)) { try codec.encode(values) }
    }

    @Test func negativeSumsWrapThroughTheRing() throws {
        let codec = try FixedPoint<UInt32>(clip: 4, fractionBits: 16)
        let (words, _) = try codec.encode([-3.5, -2.25, 1.0])
        let sum = words.reduce(UInt32(0), &+)
        #expect(codec.decode(sum) == -4.75)
        #expect(codec.decode(words, dividingBy: 2) == [-1.75, -1.125, 0.5])
    }

    @Test func stochasticRoundingIsUnbiased() throws {
        let codec = try FixedPoint<UInt32>(clip: 1, fractionBits: 2) // steps of 0.25
        var generator = SeededGenerator(seed: 11)
        let values = [Float](repeating: 0.1, count: 20_000)
        var words = [UInt32](repeating: 0, count: values.count)
        _ = try values.withUnsafeBufferPointer { input in
            try words.withUnsafeMutableBufferPointer { try codec.encode(input, into: $0, using: &generator) }
        }
        let mean = words.map { codec.decode($0) }.reduce(0, +) / Double(words.count)
        #expect(abs(mean - 0.1) < 0.01)
        #expect(Set(words.map { codec.decode($0) }) == [0, 0.25])
    }

    @Test func clippingIsCountedAndReported() throws {
        let codec = try FixedPoint<UInt32>(clip: 2, fractionBits: 16)
        let (words, report) = try codec.encode([1, -7.5, 3, 0.5])
        #expect(report.clippedCount == 2)
        #expect(report.largestMagnitude == 7.5)
        #expect(words.map { codec.decode($0) } == [1, -2, 2, 0.5])
    }

    @Test func nonFiniteValuesAreRefused() throws {
        let codec = try FixedPoint<UInt64>(clip: 2, fractionBits: 16)
        #expect(throws: CryptoError.nonFiniteValue(index: 1)) { try codec.encode([0, .nan]) }
        #expect(throws: CryptoError.nonFiniteValue(index: 0)) { try codec.encode([-.infinity]) }
    }

    @Test func invalidParametersNameTheParameter() {
        for clip: Float in [0, -1, .infinity, .nan] {
            #expect { try FixedPoint<UInt32>(clip: clip, fractionBits: 16) } throws: { error in
                guard case .invalidFixedPointParameter(let name, _, _) = error as? CryptoError else { return false }
                return name == "clip"
            }
        }
        for bits in [-1, 31, 64] {
            #expect { try FixedPoint<UInt32>(clip: 1, fractionBits: bits) } throws: { error in
                guard case .invalidFixedPointParameter(let name, _, _) = error as? CryptoError else { return false }
                return name == "fractionBits"
            }
        }
        #expect(throws: CryptoError.self) { try FixedPoint<UInt32>(clip: 70_000, fractionBits: 16) }
    }

    @Test func overflowingFederationsAreRefusedWithTheBound() throws {
        let codec = try FixedPoint<UInt32>(clip: 4, fractionBits: 16) // 2^18 per value, limit 2^31 - 1
        #expect(codec.maximumPeerCount == 8191)
        try codec.checkCapacity(peerCount: 8191)
        #expect(throws: CryptoError.ringOverflow(peerCount: 8192, worstCase: 8192 * 262_144, limit: 2_147_483_647, maximumPeers: 8191)) {
            try codec.checkCapacity(peerCount: 8192)
        }
        let description = CryptoError.ringOverflow(peerCount: 8192, worstCase: 8192 * 262_144, limit: 2_147_483_647, maximumPeers: 8191).description
        #expect(description.contains("8191"))
        #expect(try FixedPoint<UInt64>(clip: 4, fractionBits: 16).maximumPeerCount > 1 << 40)
    }
}
