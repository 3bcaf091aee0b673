/// A word of the ring Z/2^bits that secure aggregation computes in: `UInt32` or `UInt64`.
/// All arithmetic on ring words wraps (`&+`, `&-`).
public protocol RingWord: FixedWidthInteger, UnsignedInteger, Sendable {
    /// The word read as a two's-complement signed integer.
    var signedValue: Int64 { get }
    /// The word whose two's-complement reading is `value` modulo 2^bitWidth.
    init(wrappingSigned value: Int64)
    /// Adds (or subtracts) `count` little-endian mask words to `target`: the innermost loop of
    /// masking, implemented per concrete type so that it is specialised and vectorised.
    static func accumulate(_ sign: MaskSign, mask: UnsafePointer<Self>, into target: UnsafeMutablePointer<Self>, count: Int)
    /// Stores 16 signed integers as words (modulo 2^bitWidth) at `target`, which need not be
    /// aligned: the last step of vectorised encoding.
    static func store(_ lanes: SIMD16<Int32>, to target: UnsafeMutablePointer<Self>)
}

extension RingWord {
    /// The loop behind `accumulate`; conformances call it with a concrete `Self`.
    @inline(__always)
    static func accumulateLoop(_ sign: MaskSign, mask: UnsafePointer<Self>, into target: UnsafeMutablePointer<Self>, count: Int) {
        switch sign {
        case .add:
            for i in 0..<count { target[i] = target[i] &+ Self(littleEndian: mask[i]) }
        case .subtract:
            for i in 0..<count { target[i] = target[i] &- Self(littleEndian: mask[i]) }
        }
    }
}

extension UInt32: RingWord {
    @inlinable public var signedValue: Int64 { Int64(Int32(bitPattern: self)) }
    @inlinable public init(wrappingSigned value: Int64) { self.init(truncatingIfNeeded: value) }
    public static func accumulate(_ sign: MaskSign, mask: UnsafePointer<UInt32>, into target: UnsafeMutablePointer<UInt32>, count: Int) {
        accumulateLoop(sign, mask: mask, into: target, count: count)
    }
    @inlinable public static func store(_ lanes: SIMD16<Int32>, to target: UnsafeMutablePointer<UInt32>) {
        UnsafeMutableRawPointer(target).storeBytes(of: SIMD16<UInt32>(truncatingIfNeeded: lanes), as: SIMD16<UInt32>.self)
    }
}

extension UInt64: RingWord {
    @inlinable public var signedValue: Int64 { Int64(bitPattern: self) }
    @inlinable public init(wrappingSigned value: Int64) { self.init(bitPattern: value) }
    public static func accumulate(_ sign: MaskSign, mask: UnsafePointer<UInt64>, into target: UnsafeMutablePointer<UInt64>, count: Int) {
        accumulateLoop(sign, mask: mask, into: target, count: count)
    }
    @inlinable public static func store(_ lanes: SIMD16<Int32>, to target: UnsafeMutablePointer<UInt64>) {
        UnsafeMutableRawPointer(target).storeBytes(of: SIMD16<UInt64>(truncatingIfNeeded: lanes), as: SIMD16<UInt64>.self)
    }
}
