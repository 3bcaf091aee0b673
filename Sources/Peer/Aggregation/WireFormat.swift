import Crypto
/// Appends protocol fields in the documented binary layout (docs/PROTOCOL.md): integers little
/// endian, byte strings and strings with a 4-byte length prefix.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func raw(_ data: some Collection<UInt8>) { bytes += data }

    mutating func data(_ data: some Collection<UInt8>) {
        u32(UInt32(data.count))
        bytes += data
    }

    mutating func string(_ text: String) { data(Array(text.utf8)) }

    mutating func strings(_ texts: [String]) {
        u32(UInt32(texts.count))
        for text in texts { string(text) }
    }

    /// Ring words, little endian, preceded by their count (copied as they are: the hosts this
    /// builds for, x86_64 and arm64, are little endian).
    mutating func words<Word: RingWord>(_ words: [Word]) {
        u32(UInt32(words.count))
        words.withUnsafeBytes { bytes += $0 }
    }
}

/// Reads protocol fields, checking every length against the bytes present and a limit before
/// allocating anything.
struct WireReader {
    /// A message that does not decode.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }

    private mutating func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.count - position >= count else { throw Malformed(description: "truncated at byte \(position)") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func u8() throws(Malformed) -> UInt8 { try take(1).first! }

    mutating func u32() throws(Malformed) -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() throws(Malformed) -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func raw(_ count: Int) throws(Malformed) -> [UInt8] { Array(try take(count)) }

    mutating func data(limit: Int) throws(Malformed) -> [UInt8] {
        let count = Int(try u32())
        guard count <= limit else { throw Malformed(description: "a field of \(count) bytes exceeds its limit of \(limit)") }
        return Array(try take(count))
    }

    mutating func string(limit: Int = 256) throws(Malformed) -> String {
        guard let text = String(validating: try data(limit: limit), as: UTF8.self) else { throw Malformed(description: "a string is not UTF-8") }
        return text
    }

    mutating func strings(limit: Int) throws(Malformed) -> [String] {
        let count = Int(try u32())
        guard count <= limit else { throw Malformed(description: "a list of \(count) names exceeds its limit of \(limit)") }
        return try (0..<count).map { _ throws(Malformed) in try string() }
    }

    mutating func words<Word: RingWord>(limit: Int) throws(Malformed) -> [Word] {
        let count = Int(try u32())
        guard count <= limit else { throw Malformed(description: "a vector of \(count) words exceeds its limit of \(limit)") }
        let slice = try take(count * MemoryLayout<Word>.size)
        return [Word](unsafeUninitializedCapacity: count) { buffer, initialized in
            slice.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = count
        }
    }

    func finish() throws(Malformed) {
        guard isAtEnd else { throw Malformed(description: "\(bytes.count - position) unexpected trailing bytes") }
    }
}
