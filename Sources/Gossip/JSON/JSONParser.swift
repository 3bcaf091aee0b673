/// A strict JSON parser (RFC 8259) over bytes, with line and column in its errors and a depth
/// limit, so a hostile file cannot exhaust the stack.
///
/// Strict means: the bytes are UTF-8 without a byte order mark (`JSONTextEncoding`); whitespace is
/// space, tab, LF and CR only; strings escape every control character and use only the escapes of
/// RFC 8259 §7, with `\u` surrogates in pairs; numbers follow the grammar of §6 exactly and fit a
/// `Double`; the literals are `true`, `false` and `null`; one value and nothing after it but
/// whitespace. Member names may repeat (§4 says only that they SHOULD be unique): objects keep
/// every member in file order, and the reader of a topology refuses repeats naming the field.
public struct JSONParser {
    /// Why a document did not parse, and where.
    public struct SyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The line of the offending character, from 1; lines end at LF.
        public let line: Int
        /// The column of the offending character, from 1, counted in Unicode scalars.
        public let column: Int
        /// What is wrong, and what to do where that is not obvious.
        public let reason: String
        public var description: String { "line \(line), column \(column): \(reason)" }
    }

    /// Deepest nesting accepted.
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0

    /// Parses one complete document.
    /// - Parameter bytes: the document, which must be UTF-8 without a byte order mark.
    /// - Returns: the document's single top-level value.
    /// - Throws: `SyntaxError` naming the line and column.
    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        if let violation = JSONTextEncoding.firstViolation(in: bytes) {
            throw parser.error(violation.reason, at: violation.offset)
        }
        parser.skipWhitespace()
        guard parser.position < bytes.count else { throw parser.error("the document is empty; JSON holds one value, e.g. {...}") }
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw parser.error("unexpected text after the top-level value; JSON holds exactly one value")
        }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(SyntaxError) -> JSONValue {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = peek() else { throw error("unexpected end of file") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return try parseLiteral()
        case UInt8(ascii: "+"): throw error("a number cannot start with '+': write 1, not +1")
        case UInt8(ascii: "."): throw error("a number cannot start with '.': write 0.5, not .5")
        default:
            let scalar = scalar(at: position)
            let hint = scalar.properties.isWhitespace ? "; whitespace in JSON is only space, tab, LF and CR" : ""
            throw error("unexpected character \(Self.name(of: scalar))\(hint)")
        }
    }

    private mutating func parseObject(depth: Int) throws(SyntaxError) -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { throw error("a comma before '}' is not allowed") }
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a quoted member name") }
            let key = try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "expected ':' after the member name")
            skipWhitespace()
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "}"), "expected ',' or '}' in an object")
            return .object(members)
        }
    }

    private mutating func parseArray(depth: Int) throws(SyntaxError) -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { throw error("a comma before ']' is not allowed") }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { position += 1; continue }
            try expect(UInt8(ascii: "]"), "expected ',' or ']' in an array")
            return .array(items)
        }
    }

    /// `true`, `false` or `null`, spelled exactly: a longer word such as `truex` is refused whole.
    private mutating func parseLiteral() throws(SyntaxError) -> JSONValue {
        let start = position
        while let byte = peek(), isWordByte(byte) { position += 1 }
        let word = text(start..<position)
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        case "Infinity", "NaN": throw error("'\(word)' is not JSON: JSON numbers are finite", at: start)
        default:
            throw error("'\(word)' is not a JSON value: the literals are true, false and null (lowercase), and strings are in double quotes",
                        at: start)
        }
    }

    // MARK: - Strings

    private mutating func parseString() throws(SyntaxError) -> String {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        // The bytes are well-formed UTF-8 (checked in `parse`), so decoding repairs nothing.
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while true {
            guard let byte = peek() else { throw error("unterminated string: the closing '\"' is missing", at: start) }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                let escapeStart = position - 1
                guard let escape = peek() else { throw error("unterminated escape", at: escapeStart) }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape(at: escapeStart))
                default:
                    throw error("invalid escape: backslash then \(Self.name(of: scalar(at: escapeStart + 1))); "
                        + #"the escapes are \" \\ \/ \b \f \n \r \t and \uXXXX"#, at: escapeStart)
                }
            case 0..<0x20:
                let code = Self.codePoint(UInt32(byte))
                throw error("control character \(code) in a string: write it escaped, e.g. \\n, \\t or \\u\(code.dropFirst(2))",
                            at: position - 1)
            default:
                raw.append(byte)
            }
        }
    }

    /// The scalar of a `\u` escape starting at `start`, combining a surrogate pair (RFC 8259 §7).
    private mutating func parseUnicodeEscape(at start: Int) throws(SyntaxError) -> Unicode.Scalar {
        let advice = #"a string cannot hold half a character: write one above U+FFFF as both halves, e.g. \uD83D\uDE00, or as itself"#
        var code = try parseHex4()
        if (0xD800..<0xDC00).contains(code) {
            guard bytes[position...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                throw error(#"\#(text(start..<position)) is the first half of a surrogate pair but no \uDC00-\uDFFF follows; \#(advice)"#,
                            at: start)
            }
            position += 2
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else {
                throw error(#"\#(text(start..<position)): the second half of a surrogate pair must be \uDC00-\uDFFF; \#(advice)"#,
                            at: start)
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        // Only a second half (U+DC00-U+DFFF) on its own is left without a scalar.
        guard let scalar = Unicode.Scalar(code) else {
            throw error(#"\#(text(start..<position)) is the second half of a surrogate pair with no \uD800-\uDBFF before it; \#(advice)"#,
                        at: start)
        }
        return scalar
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = Self.hexDigitValue(byte) else { throw error("expected four hex digits after \\u") }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: - Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, ending at whitespace or punctuation
    /// and finite as a `Double`; returned as written.
    private mutating func parseNumber() throws(SyntaxError) -> String {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), isDigit(first) else { throw error("expected a digit after '-'") }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = peek(), isDigit(next) { throw error("numbers must not have leading zeros: write 1, not 01", at: start) }
        } else {
            skipDigits()
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let next = peek(), isDigit(next) else { throw error("expected a digit after '.'") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let next = peek(), isDigit(next) else { throw error("expected a digit in the exponent") }
            skipDigits()
        }
        func continuesNumber(_ byte: UInt8) -> Bool { isWordByte(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") }
        if let next = peek(), continuesNumber(next) {
            while let byte = peek(), continuesNumber(byte) { position += 1 }
            throw error("'\(text(start..<position))' is not a JSON number: numbers are decimal, e.g. 12, -3.5 or 6.02e23", at: start)
        }
        let written = String(decoding: bytes[start..<position], as: UTF8.self)
        guard Double(written)?.isFinite == true else {
            throw error("the number \(text(start..<position)) is out of range: numbers must be below 1.8e308 in magnitude", at: start)
        }
        return written
    }

    // MARK: - Helpers

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }
    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    private func isWordByte(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: "_")
    }
    private mutating func skipDigits() { while let byte = peek(), isDigit(byte) { position += 1 } }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(SyntaxError) {
        guard peek() == byte else { throw error(message) }
        position += 1
    }

    /// Some of the document as text for a message, cut at 40 bytes.
    private func text(_ range: Range<Int>) -> String {
        let text = String(decoding: bytes[range], as: UTF8.self)
        return range.count > 40 ? String(text.prefix(40)) + "..." : text
    }

    /// The scalar starting at `offset`; the document is well-formed UTF-8 by then.
    private func scalar(at offset: Int) -> Unicode.Scalar {
        let scalars = String(decoding: bytes[offset..<min(offset + 4, bytes.count)], as: UTF8.self).unicodeScalars
        return scalars[scalars.startIndex]
    }

    /// A scalar for a message: printable ASCII quoted, anything else by code point.
    private static func name(of scalar: Unicode.Scalar) -> String {
        (0x21...0x7E).contains(scalar.value) ? "'\(Character(scalar))'" : codePoint(scalar.value)
    }

    /// "U+00A0".
    private static func codePoint(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// An error at `offset`, or at the current position.
    private func error(_ reason: String, at offset: Int? = nil) -> SyntaxError {
        var line = 1, column = 1
        for byte in bytes[0..<min(offset ?? position, bytes.count)] {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return SyntaxError(line: line, column: column, reason: reason)
    }
}
