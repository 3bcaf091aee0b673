/// Writes entropy-coded data: bits most significant first, a zero stuffed after every 0xFF byte,
/// one-bits padding before restart markers and at the end.
struct JPEGBitWriter {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var bitCount = 0

    /// Appends the low `count` (0...16) bits of `value`.
    mutating func write(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        buffer = buffer << UInt64(count) | UInt64(value & ((1 << UInt32(count)) - 1))
        bitCount += count
        while bitCount >= 8 {
            let byte = UInt8(truncatingIfNeeded: buffer >> UInt64(bitCount - 8))
            bytes.append(byte)
            if byte == 0xFF { bytes.append(0) }
            bitCount -= 8
        }
    }

    /// Pads the last byte with one-bits.
    mutating func flush() {
        if bitCount > 0 { write((1 << UInt32(8 - bitCount)) - 1, count: 8 - bitCount) }
    }

    /// Pads and writes the restart marker FF `marker`.
    mutating func restart(marker: Int) {
        flush()
        bytes += [0xFF, UInt8(marker)]
    }
}
