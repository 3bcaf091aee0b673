internal import Foundation

/// What encoding a vector found: how many values were clipped, and the largest magnitude
/// seen before clipping, so that a caller can report it (clipping must never be silent).
public struct EncodingReport: Equatable, Sendable {
    /// Values whose magnitude exceeded the clip range and were clamped to it.
    public var clippedCount: Int
    /// The largest magnitude among the inputs, before clipping.
    public var largestMagnitude: Float

    @inlinable public init(clippedCount: Int, largestMagnitude: Float) {
        self.clippedCount = clippedCount
        self.largestMagnitude = largestMagnitude
    }
}

/// Fixed-point encoding of Float vectors into the ring Z/2^bits (`Word` = `UInt32` or `UInt64`).
///
/// A value x is clipped to [-clip, clip], scaled by 2^fractionBits, rounded to an integer and
/// stored as a two's-complement word. Ring sums of encoded vectors decode to the sum of the
/// values as long as the true sum fits in the signed range, which `checkCapacity(peerCount:)`
/// guarantees for `peerCount` vectors.
///
/// Error bound (values inside the clip range): rounding to nearest is off by at most
/// 2^-(fractionBits+1) per value, stochastic rounding by less than 2^-fractionBits (and is
/// unbiased). A sum of n encoded vectors decodes to the sum of the values within n times the
/// per-value bound; the ring arithmetic itself adds no error.
public struct FixedPoint<Word: RingWord>: Sendable {
    /// Values are clamped to [-clip, clip].
    public let clip: Float
    /// Bits after the binary point.
    public let fractionBits: Int
    /// 2^fractionBits.
    public let scale: Double
    /// The largest magnitude one encoded value can have, in ring units.
    public let maximumEncodedMagnitude: Int64

    /// Validates and stores the parameters.
    /// - Parameters:
    ///   - clip: positive and finite.
    ///   - fractionBits: 0 ... bitWidth - 2.
    /// - Throws: `CryptoError.invalidFixedPointParameter` naming the parameter, or
    ///   `.ringOverflow` when a single value cannot fit.
    public init(clip: Float, fractionBits: Int) throws(CryptoError) {
        guard clip.isFinite, clip > 0 else {
            throw .invalidFixedPointParameter(name: "clip", value: "\(clip)", reason: "it must be positive and finite")
        }
        guard fractionBits >= 0, fractionBits <= Word.bitWidth - 2 else {
            throw .invalidFixedPointParameter(name: "fractionBits", value: "\(fractionBits)",
                                              reason: "it must be in 0...\(Word.bitWidth - 2) for \(Word.bitWidth)-bit words")
        }
        self.clip = clip
        self.fractionBits = fractionBits
        scale = Double(sign: .plus, exponent: fractionBits, significand: 1)
        let magnitude = (Double(clip) * scale).rounded(.up)
        guard magnitude <= Self.signedLimit else {
            throw .ringOverflow(peerCount: 1, worstCase: magnitude, limit: Self.signedLimit, maximumPeers: 0)
        }
        maximumEncodedMagnitude = Int64(magnitude)
    }

    /// The largest positive value of the ring's two's-complement reading, 2^(bits-1) - 1.
    static var signedLimit: Double { Double(sign: .plus, exponent: Word.bitWidth - 1, significand: 1) - 1 }

    /// The most peers whose worst-case sum still fits the ring.
    public var maximumPeerCount: Int {
        Int(min((Self.signedLimit / Double(maximumEncodedMagnitude)).rounded(.down), Double(Int.max / 2)))
    }

    /// Refuses a federation of `peerCount` peers whose worst-case sum could overflow.
    /// - Throws: `CryptoError.ringOverflow` with the worst case, the limit and the most peers allowed.
    public func checkCapacity(peerCount: Int) throws(CryptoError) {
        guard peerCount <= maximumPeerCount else {
            throw .ringOverflow(peerCount: peerCount, worstCase: Double(peerCount) * Double(maximumEncodedMagnitude),
                                limit: Self.signedLimit, maximumPeers: maximumPeerCount)
        }
    }

    /// The largest error of one encoded value inside the clip range.
    public func roundingErrorBound(stochastic: Bool) -> Double { (stochastic ? 1 : 0.5) / scale }

    // MARK: - Encoding

    /// Encodes `values`, each multiplied by `factor` in Float arithmetic first, into `output`
    /// (same count), rounding to nearest with ties away from zero. Inlinable, so that it is
    /// specialised for the word type where it is called (it runs over every model value).
    ///
    /// Sixteen values at a time when an encoded magnitude stays within 2^22 (the default clip
    /// and fraction bits give 2^18): the clipped magnitude times 2^fractionBits is exact in
    /// Float, adding 1.5 * 2^23 rounds it to the nearest integer (ties to even) in the low bits
    /// of the sum, and a tie that went down is moved up. The rest, and larger encodings, go
    /// one by one in Double. Both give exactly `(|x| * 2^f).rounded(.toNearestOrAwayFromZero)`
    /// with x's sign.
    /// - Throws: `CryptoError.nonFiniteValue` for NaN or infinity.
    @inlinable public func encode(_ values: UnsafeBufferPointer<Float>, scaledBy factor: Float = 1,
                                  into output: UnsafeMutableBufferPointer<Word>) throws(CryptoError) -> EncodingReport {
        precondition(values.count == output.count, "encode needs an output as long as its input")
        var report = EncodingReport(clippedCount: 0, largestMagnitude: 0)
        var start = 0
        if maximumEncodedMagnitude <= 1 << 22, let input = values.baseAddress, let target = output.baseAddress {
            start = try encodeLanes(input, scaledBy: factor, into: target, count: values.count, report: &report)
        }
        let clip = self.clip, scale = self.scale, limit = maximumEncodedMagnitude
        for index in start..<values.count {
            let value = values[index] * factor
            guard value.isFinite else { throw .nonFiniteValue(index: index) }
            let magnitude = abs(value)
            report.largestMagnitude = max(report.largestMagnitude, magnitude)
            report.clippedCount += magnitude > clip ? 1 : 0
            let rounded = min(Int64(Double(min(magnitude, clip)) * scale + 0.5), limit)
            output[index] = Word(wrappingSigned: value < 0 ? -rounded : rounded)
        }
        return report
    }

    /// The vectorised part of `encode(_:scaledBy:into:)`: whole groups of 16 values.
    /// - Returns: how many values it encoded (a multiple of 16).
    @inlinable func encodeLanes(_ values: UnsafePointer<Float>, scaledBy factor: Float, into output: UnsafeMutablePointer<Word>,
                                count: Int, report: inout EncodingReport) throws(CryptoError) -> Int {
        typealias Lanes = SIMD16<Float>
        let clip = Lanes(repeating: self.clip), scale = Float(self.scale)
        let magic = Lanes(repeating: 12_582_912) // 1.5 * 2^23
        let magicBits = unsafeBitCast(magic, to: SIMD16<Int32>.self)
        var largest = Lanes(repeating: 0)
        var clipped = SIMD16<Int32>(repeating: 0)
        let zero = SIMD16<Int32>(repeating: 0), one = SIMD16<Int32>(repeating: 1)
        var index = 0
        while index + 16 <= count {
            let value = UnsafeRawPointer(values + index).loadUnaligned(as: Lanes.self) * factor
            let magnitude = unsafeBitCast(unsafeBitCast(value, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: Lanes.self)
            // NaN fails every comparison: the one-by-one loop finds it and throws.
            guard all(magnitude .< .infinity) else { break }
            largest.replace(with: magnitude, where: magnitude .> largest)
            clipped &+= zero.replacing(with: one, where: magnitude .> clip)
            let scaled = magnitude.replacing(with: clip, where: magnitude .> clip) * scale
            let shifted = scaled + magic
            var integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- magicBits
            integer &+= zero.replacing(with: one, where: scaled - (shifted - magic) .== 0.5)
            Word.store(integer.replacing(with: zero &- integer, where: value .< 0), to: output + index)
            index += 16
        }
        report.largestMagnitude = max(report.largestMagnitude, largest.max())
        report.clippedCount += Int(clipped.wrappedSum())
        return index
    }

    /// Encodes `values` into `output` (same count) with stochastic rounding: x*scale rounds up
    /// with probability equal to its fractional part, drawn from `generator`.
    /// - Throws: `CryptoError.nonFiniteValue` for NaN or infinity.
    @inlinable public func encode(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Word>,
                                  using generator: inout some RandomNumberGenerator) throws(CryptoError) -> EncodingReport {
        try encode(values, into: output) { ($0 * scale + Double.random(in: 0..<1, using: &generator)).rounded(.down) }
    }

    /// Encodes an array, rounding to nearest.
    public func encode(_ values: [Float]) throws(CryptoError) -> (words: [Word], report: EncodingReport) {
        var words = [Word](repeating: 0, count: values.count)
        let report = try values.withUnsafeBufferPointer { (input) throws(CryptoError) in
            try words.withUnsafeMutableBufferPointer { (output) throws(CryptoError) in try encode(input, into: output) }
        }
        return (words, report)
    }

    @inlinable func encode(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Word>,
                           rounding: (Double) -> Double) throws(CryptoError) -> EncodingReport {
        precondition(values.count == output.count, "encode needs an output as long as its input")
        var report = EncodingReport(clippedCount: 0, largestMagnitude: 0)
        let limit = Double(maximumEncodedMagnitude)
        for (index, value) in values.enumerated() {
            guard value.isFinite else { throw .nonFiniteValue(index: index) }
            let magnitude = abs(value)
            report.largestMagnitude = max(report.largestMagnitude, magnitude)
            var clipped = Double(value)
            if magnitude > clip {
                report.clippedCount += 1
                clipped = Double(value < 0 ? -clip : clip)
            }
            let integer = min(max(rounding(clipped), -limit), limit)
            output[index] = Word(wrappingSigned: Int64(integer))
        }
        return report
    }

    // MARK: - Decoding

    /// The value of a (summed) word.
    @inlinable public func decode(_ word: Word) -> Double {
        Double(word.signedValue) / scale
    }

    /// Decodes every word, dividing by `divisor` (the summed weight, for an average).
    public func decode(_ words: [Word], dividingBy divisor: Double = 1) -> [Float] {
        words.withUnsafeBufferPointer { decode($0, dividingBy: divisor) }
    }

    /// Decodes every word, dividing by `divisor` (the summed weight, for an average): each value
    /// is `Float(signed word * (1 / (2^fractionBits * divisor)))`. Inlinable, so that the loop is
    /// specialised for the word type where it is called.
    @inlinable public func decode(_ words: UnsafeBufferPointer<Word>, dividingBy divisor: Double = 1) -> [Float] {
        let factor = 1 / (scale * divisor)
        return [Float](unsafeUninitializedCapacity: words.count) { output, initialized in
            for index in 0..<words.count { output[index] = Float(Double(words[index].signedValue) * factor) }
            initialized = words.count
        }
    }
}
