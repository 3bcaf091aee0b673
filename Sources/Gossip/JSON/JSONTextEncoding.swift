/// The text encoding RFC 8259 §8.1 requires of a JSON text: UTF-8, well-formed (Unicode table 3-7:
/// no overlong forms, no encoded surrogates, nothing above U+10FFFF), and here without a byte order
/// mark. A topology file's bytes name its federation, so a BOM is refused rather than ignored: two
/// copies of one topology that differ only by a BOM would otherwise name two federations.
enum JSONTextEncoding {
    /// The first place where bytes are not a JSON text's encoding.
    struct Violation: Equatable {
        /// Offset of the first byte of the offending sequence.
        let offset: Int
        /// What is wrong and what to do, ready for a `JSONParser.SyntaxError`.
        let reason: String
    }

    /// The first violation in `bytes`, or `nil` when they are UTF-8 without a byte order mark.
    static func firstViolation(in bytes: [UInt8]) -> Violation? {
        if let foreign = foreignEncoding(of: bytes) {
            return Violation(offset: 0, reason: "the file is \(foreign), not UTF-8; JSON must be UTF-8 (RFC 8259 §8.1): save it as UTF-8")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return Violation(offset: 0, reason: "the file starts with a UTF-8 byte order mark (EF BB BF), which JSON must not have "
                + "(RFC 8259 §8.1): save it as UTF-8 without a BOM")
        }
        return firstIllFormedSequence(in: bytes).map { offset, problem in
            Violation(offset: offset, reason: "the file is not UTF-8 (RFC 8259 §8.1): \(problem); save it as UTF-8")
        }
    }

    // MARK: - UTF-16 and UTF-32

    /// Recognises UTF-16 and UTF-32 by their byte order marks, or else by the zero bytes around the
    /// first character, which in any JSON text is ASCII (the method of RFC 4627 §3).
    private static func foreignEncoding(of bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) { return "UTF-32 (big-endian, with a byte order mark)" }
        if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) { return "UTF-32 (little-endian, with a byte order mark)" }
        if bytes.starts(with: [0xFE, 0xFF]) { return "UTF-16 (big-endian, with a byte order mark)" }
        if bytes.starts(with: [0xFF, 0xFE]) { return "UTF-16 (little-endian, with a byte order mark)" }
        guard bytes.count >= 2, bytes[0] == 0 || bytes[1] == 0 else { return nil }
        let zeros = bytes.prefix(4).map { $0 == 0 }
        if zeros == [true, true, true, false] { return "UTF-32 (big-endian)" }
        if zeros == [false, true, true, true] { return "UTF-32 (little-endian)" }
        return bytes[0] == 0 ? "UTF-16 (big-endian)" : "UTF-16 (little-endian)"
    }

    // MARK: - UTF-8

    /// The offset and description of the first ill-formed UTF-8 sequence, or `nil`.
    private static func firstIllFormedSequence(in bytes: [UInt8]) -> (offset: Int, problem: String)? {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            let second: ClosedRange<UInt8>
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0x80...0xBF: return (index, "stray continuation byte \(hex([lead])) with no lead byte before it")
            case 0xC0, 0xC1: return (index, "overlong encoding (lead byte \(hex([lead])))")
            case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
            case 0xE0: (length, second) = (3, 0xA0...0xBF)
            case 0xED: (length, second) = (3, 0x80...0x9F)
            case 0xE1...0xEF: (length, second) = (3, 0x80...0xBF)
            case 0xF0: (length, second) = (4, 0x90...0xBF)
            case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
            case 0xF4: (length, second) = (4, 0x80...0x8F)
            case 0xF5...0xF7: return (index, "code point above U+10FFFF (lead byte \(hex([lead])))")
            default: return (index, "byte \(hex([lead])), which never occurs in UTF-8")
            }
            let sequence = Array(bytes[index..<min(index + length, bytes.count)])
            for (offset, byte) in sequence.enumerated().dropFirst() where !(offset == 1 ? second : 0x80...0xBF).contains(byte) {
                guard (0x80...0xBF).contains(byte) else {
                    return (index, "truncated sequence \(hex(Array(sequence[..<offset]))) (expected \(length) bytes)")
                }
                switch lead {
                case 0xE0, 0xF0: return (index, "overlong encoding \(hex(sequence))")
                case 0xED: return (index, "UTF-16 surrogate encoded in UTF-8 \(hex(sequence))")
                default: return (index, "code point above U+10FFFF \(hex(sequence))")
                }
            }
            guard sequence.count == length else {
                return (index, "truncated sequence \(hex(sequence)) at the end of the file (expected \(length) bytes)")
            }
            index += length
        }
        return nil
    }

    /// Bytes as "C0 AF".
    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
    }
}
