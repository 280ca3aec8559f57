// Harness for the TOML core. Tests/TOMLTests/TOMLHarnesses.swift is a symbolic link to this file: the replay tests
// (FuzzRegressionTests.swift there) run this same function.
import TOML

// MARK: - toml

/// `toml`: the TOML parser that reads sstpd's configuration and the VNet topology, on the input as UTF-8 text
/// (invalid sequences replaced, as reading a file into a `String` does).
///
/// Invariant: a document that parses, written back as canonical TOML (every key quoted, tables and arrays inline,
/// strings with escapes), parses to the same value. Besides that, it must not crash or hang.
public enum TOMLHarness {
    /// Inline nesting the canonical form may use: the parser refuses more than ``TOMLParser/maximumDepth``.
    static let maximumRenderedDepth = TOMLParser.maximumDepth - 2

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        guard let value = try? TOMLParser.parse(String(decoding: input, as: UTF8.self)) else { return }
        guard case .table(let root) = value else {
            throw FuzzInvariantViolation("a document parsed to \(value.typeName)")
        }
        var text = ""
        for key in root.keys.sorted() {
            guard let rendered = render(root[key]!, depth: 0) else { return }  // too deep to write inline
            text += "\(quoted(key)) = \(rendered)\n"
        }
        let again: TOMLValue
        do {
            again = try TOMLParser.parse(text)
        } catch {
            throw FuzzInvariantViolation("canonical form does not parse: \(error)")
        }
        try fuzzRequire(same(value, again), "canonical form parses to a different value")
    }

    /// The value as inline TOML, or nil when nesting exceeds ``maximumRenderedDepth``.
    static func render(_ value: TOMLValue, depth: Int) -> String? {
        guard depth <= maximumRenderedDepth else { return nil }
        switch value {
        case .string(let string):
            return quoted(string)
        case .integer(let integer):
            return String(integer)
        case .float(let double):
            if double.isNaN { return "nan" }
            if double.isInfinite { return double < 0 ? "-inf" : "inf" }
            return "\(double)"
        case .boolean(let bool):
            return bool ? "true" : "false"
        case .array(let elements):
            var parts: [String] = []
            for element in elements {
                guard let part = render(element, depth: depth + 1) else { return nil }
                parts.append(part)
            }
            return "[" + parts.joined(separator: ", ") + "]"
        case .table(let table):
            var parts: [String] = []
            for key in table.keys.sorted() {
                guard let part = render(table[key]!, depth: depth + 1) else { return nil }
                parts.append("\(quoted(key)) = \(part)")
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }

    /// A basic string: quote, backslash and control characters escaped.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\t": out += "\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Equality with NaN equal to NaN.
    static func same(_ a: TOMLValue, _ b: TOMLValue) -> Bool {
        switch (a, b) {
        case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.table(let x), .table(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        default: return a == b
        }
    }
}
