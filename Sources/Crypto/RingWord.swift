/// A word of the ring Z/2^bits that secure aggregation computes in: `UInt32` or `UInt64`.
/// All arithmetic on ring words wraps (`&+`, `&-`).
public protocol RingWord: FixedWidthInteger, UnsignedInteger, Sendable {
    /// The word read as a two's-complement signed integer.
    var signedValue: Int64 { get }
    /// The word whose two's-complement reading is `value` modulo 2^bitWidth.
    init(wrappingSigned value: Int64)
}

extension UInt32: RingWord {
    @inlinable public var signedValue: Int64 { Int64(Int32(bitPattern: self)) }
    @inlinable public init(wrappingSigned value: Int64) { self.init(truncatingIfNeeded: value) }
}

extension UInt64: RingWord {
    @inlinable public var signedValue: Int64 { Int64(bitPattern: self) }
    @inlinable public init(wrappingSigned value: Int64) { self.init(bitPattern: value) }
}
