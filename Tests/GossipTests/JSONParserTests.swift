import Testing
@testable import Gossip

@Suite struct JSONParserTests {
    /// The error parsing `bytes` throws, or `nil` when they parse.
    func failure(_ bytes: [UInt8]) -> JSONParser.SyntaxError? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    func failure(_ text: String) -> JSONParser.SyntaxError? { failure(Array(text.utf8)) }

    @Test func parsesValuesKeepingOrderAndNumberText() throws {
        let value = try JSONParser.parse(Array(#"{"b": [1, -2.50e3, true, null], "a": "x\"\u00e9\ud83d\ude00"}"#.utf8))
        #expect(value == .object([
            ("b", .array([.number("1"), .number("-2.50e3"), .bool(true), .null])),
            ("a", .string("x\"é😀")),
        ]))
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1), ("[1 2]", 1), ("{\"a\" 1}", 1), ("\"abc", 1), ("01", 1), ("{}\n{}", 2), ("[\"\\x\"]", 1), ("\n\n  tru", 3),
    ])
    func syntaxErrorsSayWhere(text: String, line: Int) {
        #expect {
            try JSONParser.parse(Array(text.utf8))
        } throws: { error in
            (error as? JSONParser.SyntaxError)?.line == line
        }
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let error = try #require(failure("{\n\"é€😀\": tru}"))
        #expect((error.line, error.column) == (2, 8))
        #expect(error.description.hasPrefix("line 2, column 8: "))
    }

    // MARK: - Text encoding (RFC 8259 §8.1)

    @Test func wellFormedUTF8IsKept() throws {
        let text = "\u{7F}é€\u{D7FF}\u{E000}\u{FFFF}😀\u{10FFFF}"
        #expect(try JSONParser.parse(Array("\"\(text)\"".utf8)) == .string(text))
    }

    static let illFormedUTF8: [(bytes: [UInt8], line: Int, column: Int, problem: String)] = [
        (Array(#"["ab"#.utf8) + [0xC0, 0xAF] + Array(#""]"#.utf8), 1, 5, "overlong"),
        (Array(#"["ab"#.utf8) + [0xC1, 0xBF] + Array(#""]"#.utf8), 1, 5, "overlong"),
        (Array(#"["ab"#.utf8) + [0xE0, 0x80, 0xAF] + Array(#""]"#.utf8), 1, 5, "overlong"),
        (Array(#"["ab"#.utf8) + [0xF0, 0x80, 0x80, 0xAF] + Array(#""]"#.utf8), 1, 5, "overlong"),
        (Array(#"["ab"#.utf8) + [0xED, 0xA0, 0x80] + Array(#""]"#.utf8), 1, 5, "surrogate"),
        (Array(#"["ab"#.utf8) + [0xED, 0xBF, 0xBF] + Array(#""]"#.utf8), 1, 5, "surrogate"),
        (Array(#"["ab"#.utf8) + [0xF4, 0x90, 0x80, 0x80] + Array(#""]"#.utf8), 1, 5, "above U+10FFFF"),
        (Array(#"["ab"#.utf8) + [0xF5, 0x80, 0x80, 0x80] + Array(#""]"#.utf8), 1, 5, "above U+10FFFF"),
        (Array(#"["ab"#.utf8) + [0xC3] + Array(#""]"#.utf8), 1, 5, "truncated"),
        (Array(#"["ab"#.utf8) + [0xE2, 0x82, 0x41] + Array(#""]"#.utf8), 1, 5, "truncated"),
        (Array(#"["ab"#.utf8) + [0xE2, 0x82], 1, 5, "truncated"),
        (Array(#"["ab"#.utf8) + [0x80] + Array(#""]"#.utf8), 1, 5, "stray continuation"),
        (Array(#"["é"#.utf8) + [0xA9] + Array(#""]"#.utf8), 1, 4, "stray continuation"),
        (Array(#"["ab"#.utf8) + [0xFF] + Array(#""]"#.utf8), 1, 5, "never occurs"),
        (Array("{\n\"é\": 1, ".utf8) + [0x80] + Array("}".utf8), 2, 9, "stray continuation"),
    ]

    @Test(arguments: 0..<illFormedUTF8.count)
    func illFormedUTF8IsRefusedAnywhere(index: Int) throws {
        let (bytes, line, column, problem) = Self.illFormedUTF8[index]
        let error = try #require(failure(bytes))
        #expect((error.line, error.column) == (line, column))
        #expect(error.reason.contains("not UTF-8") && error.reason.contains(problem), "\(error)")
    }

    @Test func byteOrderMarkIsRefused() throws {
        let error = try #require(failure([0xEF, 0xBB, 0xBF] + Array("{}".utf8)))
        #expect((error.line, error.column) == (1, 1))
        #expect(error.reason.contains("byte order mark") && error.reason.contains("without a BOM"))
    }

    static let document = #"{"a": [1]}"#
    static let utf16 = Array(document.utf16)
    static let utf32 = document.unicodeScalars.map(\.value)
    static let foreignEncodings: [(bytes: [UInt8], encoding: String)] = [
        (utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "UTF-16 (little-endian)"),
        (utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, "UTF-16 (big-endian)"),
        ([0xFF, 0xFE] + utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "UTF-16 (little-endian, with a byte order mark)"),
        ([0xFE, 0xFF] + utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, "UTF-16 (big-endian, with a byte order mark)"),
        (utf32.flatMap { [UInt8($0 & 0xFF), 0, 0, 0] }, "UTF-32 (little-endian)"),
        (utf32.flatMap { [0, 0, 0, UInt8($0 & 0xFF)] }, "UTF-32 (big-endian)"),
        ([0xFF, 0xFE, 0, 0] + utf32.flatMap { [UInt8($0 & 0xFF), 0, 0, 0] }, "UTF-32 (little-endian, with a byte order mark)"),
        ([0, 0, 0xFE, 0xFF] + utf32.flatMap { [0, 0, 0, UInt8($0 & 0xFF)] }, "UTF-32 (big-endian, with a byte order mark)"),
    ]

    @Test(arguments: 0..<foreignEncodings.count)
    func utf16AndUTF32AreRefusedByName(index: Int) throws {
        let (bytes, encoding) = Self.foreignEncodings[index]
        let error = try #require(failure(bytes))
        #expect((error.line, error.column) == (1, 1))
        #expect(error.reason.contains("is \(encoding), not UTF-8"), "\(error)")
    }

    // MARK: - Whitespace

    @Test func whitespaceIsSpaceTabLineFeedAndCarriageReturn() throws {
        #expect(try JSONParser.parse(Array(" \t\r\n[ 1 ,\t2\r\n]\r\n".utf8)) == .array([.number("1"), .number("2")]))
    }

    @Test(arguments: ["\u{0B}1", "\u{0C}1", "\u{A0}1", "[1,\u{2028}2]", "[\u{3000}1]", "[\u{FEFF}1]", "[\u{85}1]"])
    func otherWhitespaceIsRefused(text: String) throws {
        let error = try #require(failure(text))
        #expect(error.reason.contains("unexpected character U+"), "\(error)")
    }

    @Test func otherWhitespaceIsNamed() throws {
        let error = try #require(failure("[1,\u{A0}2]"))
        #expect((error.line, error.column) == (1, 4))
        #expect(error.reason == "unexpected character U+00A0; whitespace in JSON is only space, tab, LF and CR")
    }

    // MARK: - Strings

    @Test func everyEscapeDecodes() throws {
        let value = try JSONParser.parse(Array(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\u0000\uD83D\uDE00\ud800\udc00\uDBFF\uDFFF""#.utf8))
        #expect(value == .string("\"\\/\u{08}\u{0C}\n\r\tAé€\u{0}😀\u{10000}\u{10FFFF}"))
    }

    @Test(arguments: 0..<0x20)
    func rawControlCharactersAreRefusedWhereTheyStand(code: Int) throws {
        let error = try #require(failure([UInt8(ascii: "\""), UInt8(ascii: "a"), UInt8(code), UInt8(ascii: "\"")]))
        #expect((error.line, error.column) == (1, 3))
        #expect(error.reason.hasPrefix("control character U+00") && error.reason.contains("escaped"), "\(error)")
    }

    @Test(arguments: [#""\'""#, #""\a""#, #""\U0041""#, #""\x41""#, #""\0""#, #""\ ""#, "\"\\é\""])
    func onlyTheEightEscapesAndUnicodeAreAccepted(text: String) throws {
        let error = try #require(failure(text))
        #expect((error.line, error.column) == (1, 2))
        #expect(error.reason.hasPrefix("invalid escape"), "\(error)")
    }

    @Test(arguments: [#""\u12""#, #""\u+041""#, #""\u-041""#, #""\u 041""#, #""\u00G1""#, #""\u"#])
    func unicodeEscapesHaveFourHexDigits(text: String) throws {
        let error = try #require(failure(text))
        #expect(error.reason == #"expected four hex digits after \u"#, "\(error)")
    }

    static let loneSurrogates: [(text: String, problem: String)] = [
        (#"["ab\uD800"]"#, "first half"),
        (#"["ab\uD800x"]"#, "first half"),
        (#"["ab\uD800\n"]"#, "first half"),
        (#"["ab\uD800\u0041"]"#, "second half of a surrogate pair must be"),
        (#"["ab\uDBFF\uD800"]"#, "second half of a surrogate pair must be"),
        (#"["ab\uDC00"]"#, #"no \uD800-\uDBFF before it"#),
        (#"["ab\uDFFF\uD800"]"#, #"no \uD800-\uDBFF before it"#),
    ]

    @Test(arguments: 0..<loneSurrogates.count)
    func loneOrMisorderedSurrogatesAreRefused(index: Int) throws {
        let (text, problem) = Self.loneSurrogates[index]
        let error = try #require(failure(text))
        #expect((error.line, error.column) == (1, 5))
        #expect(error.reason.contains(problem) && error.reason.contains("cannot hold half a character"), "\(error)")
    }

    @Test func unterminatedStringPointsAtItsStart() throws {
        let error = try #require(failure("[1,\n \"abc"))
        #expect((error.line, error.column) == (2, 2))
        #expect(error.reason.contains("closing '\"' is missing"))
    }

    // MARK: - Numbers

    @Test(arguments: ["0", "-0", "7", "-1", "10", "1.5", "-0.0", "0.000", "1e5", "1E+5", "1e-5", "0e0", "-123.456e-07",
                      "1.7976931348623157e308", "1e-400", "12345678901234567890"])
    func numbersFollowingTheGrammarAreKeptAsWritten(text: String) throws {
        #expect(try JSONParser.parse(Array(text.utf8)) == .number(text))
    }

    static let malformedNumbers: [(text: String, problem: String)] = [
        ("01", "leading zeros"), ("-01", "leading zeros"), ("00", "leading zeros"), ("[007]", "leading zeros"),
        ("+1", "cannot start with '+'"), (".5", "cannot start with '.'"), ("[-.5]", "digit after '-'"),
        ("5.", "digit after '.'"), ("5.e3", "digit after '.'"), ("1e", "exponent"), ("1e+", "exponent"), ("1E-", "exponent"),
        ("-", "digit after '-'"), ("- 1", "digit after '-'"), ("-Infinity", "digit after '-'"),
        ("Infinity", "numbers are finite"), ("NaN", "numbers are finite"),
        ("0x1F", "'0x1F' is not a JSON number"), ("0b101", "not a JSON number"), ("1.5.2", "not a JSON number"),
        ("1ee5", "exponent"), ("1e5e3", "not a JSON number"), ("[1-2]", "not a JSON number"), ("12px", "not a JSON number"),
        ("1e400", "out of range"), ("-1e400", "out of range"), ("1" + String(repeating: "0", count: 400), "out of range"),
    ]

    @Test(arguments: 0..<malformedNumbers.count)
    func malformedNumbersAreRefused(index: Int) throws {
        let (text, problem) = Self.malformedNumbers[index]
        let error = try #require(failure(text))
        #expect(error.reason.contains(problem), "\(text): \(error)")
    }

    // MARK: - Literals

    @Test func literals() throws {
        #expect(try JSONParser.parse(Array("[true,false,null]".utf8)) == .array([.bool(true), .bool(false), .null]))
    }

    @Test(arguments: ["truex", "nul", "tru", "nulll", "falsey", "true1", "True", "NULL", "undefined", "[truex]", #"{"a": nullx}"#, "[n]"])
    func onlyExactLiteralsAreAccepted(text: String) throws {
        let error = try #require(failure(text))
        #expect(error.reason.contains("is not a JSON value") && error.reason.contains("true, false and null"), "\(error)")
    }

    // MARK: - Structure

    @Test func repeatedMemberNamesAreKeptInOrderForTheReader() throws {
        let value = try JSONParser.parse(Array(#"{"a": 1, "a": 2}"#.utf8))
        #expect(value == .object([("a", .number("1")), ("a", .number("2"))]))
    }

    @Test(arguments: [("[1,]", "comma before ']'"), (#"{"a": 1,}"#, "comma before '}'"), ("[,1]", "unexpected character ','")])
    func strayCommasAreRefused(text: String, problem: String) throws {
        let error = try #require(failure(text))
        #expect(error.reason.contains(problem), "\(error)")
    }

    @Test(arguments: ["", " ", " \n\t\r\n"])
    func emptyDocumentIsRefused(text: String) throws {
        let error = try #require(failure(text))
        #expect(error.reason.contains("empty"), "\(error)")
    }

    @Test(arguments: ["{} x", "1 2", "{}{}", "[1]]", "\"a\" \"b\"", "null,"])
    func nothingButWhitespaceFollowsTheValue(text: String) throws {
        let error = try #require(failure(text))
        #expect(error.reason.contains("after the top-level value"), "\(error)")
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }

    @Test func nestingStopsAtTheMaximumDepth() throws {
        func nested(_ depth: Int) -> [UInt8] { Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }
        #expect(failure(nested(JSONParser.maximumDepth)) == nil)
        let error = try #require(failure(nested(JSONParser.maximumDepth + 1)))
        #expect(error.reason.contains("nesting deeper than \(JSONParser.maximumDepth)"))
    }
}
