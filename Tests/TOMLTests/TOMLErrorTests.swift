import TOML
import Testing

/// Invalid documents (most from the "INVALID" examples of the TOML v1.0.0 specification) and where they fail.
@Suite struct TOMLErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let column: Int
        let reason: TOMLError.Reason
        var testDescription: String { "\(reason) at \(line):\(column)" }
    }

    static let cases: [Case] = [
        // Keys and values
        Case(text: "key = # INVALID", line: 1, column: 7, reason: .expected("value")),
        Case(
            text: "first = \"Tom\" last = \"Preston-Werner\" # INVALID", line: 1, column: 15,
            reason: .expected("end of line")),
        Case(text: "= \"no key name\"  # INVALID", line: 1, column: 1, reason: .expected("key")),
        Case(text: "key value", line: 1, column: 5, reason: .expected("'='")),
        Case(text: "name = \"Tom\"\nname = \"Pradyun\"", line: 2, column: 1, reason: .duplicateKey("name")),
        Case(
            text: "spelling = \"favorite\"\n\"spelling\" = \"favourite\"", line: 2, column: 1,
            reason: .duplicateKey("spelling")),
        Case(
            text: "fruit.apple = 1\nfruit.apple.smooth = true", line: 2, column: 1,
            reason: .notATable("fruit.apple.smooth")),
        Case(text: "a.b = 1\na = 2", line: 2, column: 1, reason: .duplicateKey("a")),
        // Tables
        Case(
            text: "[fruit]\napple = \"red\"\n\n[fruit]\norange = \"orange\"", line: 4, column: 1,
            reason: .tableRedefinition("fruit")),
        Case(
            text: "[fruit]\napple = \"red\"\n\n[fruit.apple]\ntexture = \"smooth\"", line: 4, column: 1,
            reason: .duplicateKey("fruit.apple")),
        Case(
            text: "[fruit]\napple.color = \"red\"\n[fruit.apple]", line: 3, column: 1,
            reason: .tableRedefinition("fruit.apple")),
        Case(text: "[a.b]\nx = 1\n[a]\nb.y = 2", line: 4, column: 1, reason: .notATable("b.y")),
        Case(
            text: "[product]\ntype = { name = \"Nail\" }\ntype.edible = false", line: 3, column: 1,
            reason: .notATable("type.edible")),
        Case(
            text: "[product]\ntype.name = \"Nail\"\ntype = { edible = false }", line: 3, column: 1,
            reason: .duplicateKey("type")),
        Case(text: "[a]\n[a.b]\n[a.b]", line: 3, column: 1, reason: .tableRedefinition("a.b")),
        Case(text: "[a", line: 1, column: 3, reason: .expected("']'")),
        Case(text: "[]", line: 1, column: 2, reason: .expected("key")),
        // Arrays of tables
        Case(
            text: "[fruit.physical]\ncolor = \"red\"\n\n[[fruit]]\nname = \"apple\"", line: 4, column: 1,
            reason: .notATable("fruit")),
        Case(text: "fruits = []\n\n[[fruits]] # Not allowed", line: 3, column: 1, reason: .notATable("fruits")),
        Case(
            text: "[[fruits]]\n[[fruits.varieties]]\n[fruits.varieties]", line: 3, column: 1,
            reason: .tableRedefinition("fruits.varieties")),
        Case(
            text: "[[fruits]]\n[fruits.physical]\n[[fruits.physical]]", line: 3, column: 1,
            reason: .notATable("fruits.physical")),
        // Strings
        Case(text: "x = \"abc", line: 1, column: 9, reason: .unterminatedString),
        Case(text: "x = \"a\nb\"", line: 1, column: 7, reason: .unterminatedString),
        Case(text: "x = 'abc", line: 1, column: 9, reason: .unterminatedString),
        Case(text: "x = \"\"\"abc\"\"", line: 1, column: 13, reason: .unterminatedString),
        Case(text: "x = \"\\q\"", line: 1, column: 7, reason: .invalidEscape),
        Case(text: "x = \"\\uD800\"", line: 1, column: 7, reason: .invalidEscape),
        Case(text: "x = \"\\u12\"", line: 1, column: 7, reason: .invalidEscape),
        Case(text: "x = \"a\u{01}b\"", line: 1, column: 7, reason: .controlCharacter),
        Case(text: "x = 1 # bell \u{07}", line: 1, column: 14, reason: .controlCharacter),
        // Numbers
        Case(text: "x = 012", line: 1, column: 5, reason: .invalidNumber),
        Case(text: "x = 1__2", line: 1, column: 5, reason: .invalidNumber),
        Case(text: "x = 1_", line: 1, column: 5, reason: .invalidNumber),
        Case(text: "x = _1", line: 1, column: 5, reason: .expected("value")),
        Case(text: "x = 0xG", line: 1, column: 5, reason: .invalidNumber),
        Case(text: "x = -0x1", line: 1, column: 5, reason: .invalidNumber),
        Case(text: "x = 9223372036854775808", line: 1, column: 5, reason: .integerOverflow),
        Case(text: "x = -9223372036854775809", line: 1, column: 5, reason: .integerOverflow),
        Case(text: "x = 0x8000000000000000", line: 1, column: 5, reason: .integerOverflow),
        Case(text: "invalid_float_1 = .7", line: 1, column: 19, reason: .expected("value")),
        Case(text: "invalid_float_2 = 7.", line: 1, column: 19, reason: .invalidNumber),
        Case(text: "invalid_float_3 = 3.e+20", line: 1, column: 19, reason: .invalidNumber),
        Case(text: "x = 1e", line: 1, column: 5, reason: .invalidNumber),
        Case(text: "x = tru", line: 1, column: 5, reason: .expected("'true'")),
        // Date-times are out of scope.
        Case(text: "[owner]\ndob = 1979-05-27T07:32:00-08:00", line: 2, column: 7, reason: .unsupportedDateTime),
        Case(text: "t = 07:32:00", line: 1, column: 5, reason: .unsupportedDateTime),
        // Arrays and inline tables
        Case(text: "a = [1, 2", line: 1, column: 10, reason: .expected("',' or ']'")),
        Case(text: "a = [1 2]", line: 1, column: 8, reason: .expected("',' or ']'")),
        Case(text: "a = { x = 1, }", line: 1, column: 14, reason: .expected("key")),
        Case(text: "a = { x = 1\n}", line: 1, column: 12, reason: .expected("',' or '}'")),
        Case(text: "a = { x = 1, x = 2 }", line: 1, column: 14, reason: .duplicateKey("x")),
        Case(text: "a = [" + String(repeating: "[", count: 100), line: 1, column: 70, reason: .nestingTooDeep),
    ]

    @Test(arguments: cases)
    func rejects(_ testCase: Case) {
        #expect(throws: TOMLError(line: testCase.line, column: testCase.column, reason: testCase.reason)) {
            try TOMLParser.parse(testCase.text)
        }
    }

    @Test func descriptionHasPositionAndNoValues() {
        let error = TOMLError(line: 3, column: 7, reason: .duplicateKey("password"))
        #expect(error.description == "line 3, column 7: duplicate key 'password'")
        #expect(throws: TOMLError.self) { try TOMLParser.parse("password = \"hunter2") }
        do {
            _ = try TOMLParser.parse("password = \"hunter2")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
