import Testing
@testable import Gossip

@Suite struct JSONParserTests {
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

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }
}
