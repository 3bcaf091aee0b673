/// Reads the entropy-coded segment of a scan bit by bit: removes the stuffed zero after each 0xFF
/// and stops in front of a marker, supplying zero bits from there on (as libjpeg does), while
/// counting them so that data cut short is detected.
struct JPEGBitReader: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to load.
    private(set) var position: Int
    /// Loaded bits, most significant first.
    private var buffer: UInt64 = 0
    private var bitCount = 0
    /// Zero bits supplied past a marker or the end, and not yet consumed.
    private var paddingBits = 0
    /// Padding bits that a decoded code consumed: nonzero means the data ended early.
    private(set) var consumedPadding = 0
    private var atMarker = false

    /// A reader of `bytes` from `position`.
    init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// Loads bytes until at least 57 bits are buffered.
    @inline(__always)
    private mutating func fill() {
        while bitCount <= 56 {
            var byte: UInt8 = 0
            if atMarker || position >= bytes.count {
                atMarker = true
                paddingBits += 8
            } else {
                byte = bytes[position]
                if byte == 0xFF {
                    let next = position + 1 < bytes.count ? bytes[position + 1] : 0xD9
                    if next == 0 {
                        position += 2
                    } else {
                        atMarker = true
                        paddingBits += 8
                        byte = 0
                    }
                } else {
                    position += 1
                }
            }
            buffer |= UInt64(byte) << (56 - bitCount)
            bitCount += 8
        }
    }

    @inline(__always)
    private mutating func consume(_ count: Int) {
        buffer <<= UInt64(count)
        bitCount -= count
        if paddingBits > bitCount {
            consumedPadding += paddingBits - bitCount
            paddingBits = bitCount
        }
    }

    /// The next `count` (0...16) bits as an unsigned number.
    @inline(__always)
    mutating func bits(_ count: Int) -> Int {
        guard count > 0 else { return 0 }
        if bitCount < count { fill() }
        let value = Int(buffer >> UInt64(64 - count))
        consume(count)
        return value
    }

    /// The next `count` bits read as a JPEG magnitude category value (F.2.2.1's EXTEND).
    @inline(__always)
    mutating func extended(_ count: Int) -> Int {
        let value = bits(count)
        return count > 0 && value < 1 << (count - 1) ? value - (1 << count) + 1 : value
    }

    /// The next Huffman-coded symbol of `table`.
    /// - Throws: `JPEGError.malformed` for a bit pattern that is no code of the table.
    @inline(__always)
    mutating func symbol(_ table: JPEGHuffmanLookup.Pointers) throws(JPEGError) -> Int {
        if bitCount < 16 { fill() }
        let entry = table.fast[Int(buffer >> UInt64(64 - JPEGHuffmanTable.lookaheadBits))]
        if entry != 0 {
            consume(Int(entry >> 8))
            return Int(entry & 0xFF)
        }
        let window = Int32(truncatingIfNeeded: buffer >> 48)
        var length = JPEGHuffmanTable.lookaheadBits + 1
        while length <= 16 {
            let code = window >> Int32(16 - length)
            if code <= table.maximumCode[length] {
                consume(length)
                return Int(table.symbols[Int(code + table.symbolOffset[length])])
            }
            length += 1
        }
        throw .malformed("invalid Huffman code in the entropy-coded data")
    }

    /// Skips the restart marker expected after a restart interval and starts afresh after it.
    /// - Throws: `JPEGError.malformed` when the next marker is not RST`expected`.
    mutating func restart(expected: Int) throws(JPEGError) {
        buffer = 0
        bitCount = 0
        paddingBits = 0
        atMarker = false
        // Fill bytes (0xFF) may precede the marker.
        while position + 1 < bytes.count, bytes[position] == 0xFF, bytes[position + 1] == 0xFF { position += 1 }
        guard position + 1 < bytes.count, bytes[position] == 0xFF, Int(bytes[position + 1]) == 0xD0 + expected % 8 else {
            throw .malformed("expected restart marker RST\(expected % 8) at byte \(position)")
        }
        position += 2
    }

    /// The position of the marker that ends the scan.
    mutating func endOfScan() -> Int {
        var index = position
        while index + 1 < bytes.count, !(bytes[index] == 0xFF && bytes[index + 1] != 0 && bytes[index + 1] != 0xFF) { index += 1 }
        return index
    }
}
