/// A canonical Huffman table as a DHT segment carries it (ISO/IEC 10918-1 annex C): how many codes
/// of each length 1...16, and the symbols in code order.
struct JPEGHuffmanTable: Sendable {
    /// `counts[l - 1]` codes of length `l`.
    let counts: [Int]
    /// The symbols, shortest codes first.
    let symbols: [UInt8]
    /// The code and its length for each symbol (encoding); length 0 for symbols without a code.
    let codes: [(code: UInt32, length: Int)]

    /// Lookahead width of the fast decoding table.
    static let lookaheadBits = 9
    /// The decoding tables, in memory the bit reader reads without reference counting.
    let lookup: JPEGHuffmanLookup

    /// A table of `counts` (16 entries) and `symbols`.
    /// - Throws: `JPEGError.malformed` when the counts do not describe a prefix code of `symbols.count` codes.
    init(counts: [Int], symbols: [UInt8]) throws(JPEGError) {
        guard counts.count == 16, counts.reduce(0, +) == symbols.count, symbols.count <= 256 else {
            throw .malformed("Huffman table has \(counts.reduce(0, +)) codes for \(symbols.count) symbols")
        }
        self.counts = counts
        self.symbols = symbols
        var codes = [(code: UInt32, length: Int)](repeating: (0, 0), count: 256)
        var maximumCode = [Int32](repeating: -1, count: 18)
        var symbolOffset = [Int32](repeating: 0, count: 18)
        var fastLookup = [UInt16](repeating: 0, count: 1 << Self.lookaheadBits)
        var code: UInt32 = 0
        var index = 0
        for length in 1...16 {
            symbolOffset[length] = Int32(index) - Int32(code)
            for _ in 0..<counts[length - 1] {
                guard code < (1 << length) else {
                    throw .malformed("Huffman table overflows: too many codes of length \(length) or shorter")
                }
                let symbol = symbols[index]
                codes[Int(symbol)] = (code, length)
                if length <= Self.lookaheadBits {
                    let shift = Self.lookaheadBits - length
                    let first = Int(code) << shift
                    for prefix in first..<(first + (1 << shift)) {
                        fastLookup[prefix] = UInt16(length) << 8 | UInt16(symbol)
                    }
                }
                code += 1
                index += 1
            }
            if counts[length - 1] > 0 { maximumCode[length] = Int32(code) - 1 }
            code <<= 1
        }
        maximumCode[17] = Int32.max
        self.codes = codes
        self.lookup = JPEGHuffmanLookup(fast: fastLookup, maximumCode: maximumCode, symbolOffset: symbolOffset, symbols: symbols)
    }
}

/// A Huffman table's decoding arrays in one allocation, owned by this object; `pointers` gives the
/// bit reader access without reference counting in the per-symbol loop.
final class JPEGHuffmanLookup: @unchecked Sendable {
    /// Borrowed views of the arrays; valid while the owning lookup lives.
    struct Pointers {
        /// For each `lookaheadBits`-bit prefix: `length << 8 | symbol`, or 0 when the code is longer.
        let fast: UnsafePointer<UInt16>
        /// The largest code of each length (index 1...16), -1 when there is none; index 17 is a sentinel.
        let maximumCode: UnsafePointer<Int32>
        /// `symbols` index of the first code of each length, minus that code.
        let symbolOffset: UnsafePointer<Int32>
        /// The symbols in code order (256 entries, unused ones 0).
        let symbols: UnsafePointer<UInt8>
    }

    private let fast: UnsafeMutablePointer<UInt16>
    private let maximumCode: UnsafeMutablePointer<Int32>
    private let symbolOffset: UnsafeMutablePointer<Int32>
    private let symbols: UnsafeMutablePointer<UInt8>

    init(fast: [UInt16], maximumCode: [Int32], symbolOffset: [Int32], symbols: [UInt8]) {
        self.fast = .allocate(capacity: fast.count)
        self.fast.initialize(from: fast, count: fast.count)
        self.maximumCode = .allocate(capacity: maximumCode.count)
        self.maximumCode.initialize(from: maximumCode, count: maximumCode.count)
        self.symbolOffset = .allocate(capacity: symbolOffset.count)
        self.symbolOffset.initialize(from: symbolOffset, count: symbolOffset.count)
        self.symbols = .allocate(capacity: 256)
        self.symbols.initialize(repeating: 0, count: 256)
        self.symbols.update(from: symbols, count: symbols.count)
    }

    deinit {
        fast.deallocate()
        maximumCode.deallocate()
        symbolOffset.deallocate()
        symbols.deallocate()
    }

    var pointers: Pointers {
        Pointers(fast: fast, maximumCode: maximumCode, symbolOffset: symbolOffset, symbols: symbols)
    }
}
