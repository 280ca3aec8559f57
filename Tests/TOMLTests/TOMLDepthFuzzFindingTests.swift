import TOML
import Testing

/// Dotted keys and table headers nest tables as deeply as they have parts, and the finished tree is walked
/// recursively: `a.a.a.…a = 1` with 24,000 parts (48 KB) exhausted the 8 MB stack when run through the `toml` fuzz
/// harness (AddressSanitizer: stack-overflow). They are bounded by `TOMLParser.maximumDepth` like arrays and inline
/// tables now (docs/fuzzing.md, finding 3; the input is Fuzz/Regressions/toml/finding-3-deep-dotted-key).
struct TOMLDepthFuzzFindingTests {
    static func dotted(_ parts: Int) -> String {
        Array(repeating: "a", count: parts).joined(separator: ".")
    }

    @Test func dottedKeyOfMaximumDepthParses() throws {
        let value = try TOMLParser.parse(Self.dotted(TOMLParser.maximumDepth) + " = 1")
        var table = value
        for _ in 1..<TOMLParser.maximumDepth { table = try #require(table["a"]) }
        #expect(table["a"]?.integer == 1)
    }

    @Test func deeperDottedKeyIsRefused() {
        #expect(throws: TOMLError(line: 1, column: 129, reason: .nestingTooDeep)) {
            try TOMLParser.parse(Self.dotted(TOMLParser.maximumDepth + 1) + " = 1")
        }
    }

    @Test func deeperTableHeaderIsRefused() throws {
        _ = try TOMLParser.parse("[" + Self.dotted(TOMLParser.maximumDepth) + "]\nx = 1")
        #expect(throws: TOMLError(line: 2, column: 130, reason: .nestingTooDeep)) {
            try TOMLParser.parse("x = 1\n[" + Self.dotted(TOMLParser.maximumDepth + 1) + "]")
        }
        #expect(throws: TOMLError(line: 1, column: 131, reason: .nestingTooDeep)) {
            try TOMLParser.parse("[[" + Self.dotted(TOMLParser.maximumDepth + 1) + "]]")
        }
    }

    @Test func theFuzzInputIsRefusedWithoutExhaustingTheStack() {
        #expect(throws: TOMLError(line: 1, column: 129, reason: .nestingTooDeep)) {
            try TOMLParser.parse(Self.dotted(24_000) + " = 1\n")
        }
    }
}
