/// A TOML syntax or semantic error, with the 1-based line and column (in characters) where it was found.
///
/// The reason never contains values from the document (a configuration may hold secrets); it may contain key names.
public struct TOMLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Error, Hashable, Sendable {
        /// Something other than what the grammar allows here; the payload says what was expected.
        case expected(String)
        case unterminatedString
        case invalidEscape
        /// A control character (other than tab) inside a string or comment.
        case controlCharacter
        case invalidNumber
        case integerOverflow
        /// A key defined twice, or a key and a table with the same name (TOML v1.0.0: "Defining a key multiple
        /// times is invalid").
        case duplicateKey(String)
        /// A `[table]` defined twice, or one that was already defined by dotted keys or as an inline table.
        case tableRedefinition(String)
        /// A key path goes through something that is not an extendable table (a value, an inline table, a static
        /// array).
        case notATable(String)
        /// Offset date-times, local dates and times: not needed for our configuration.
        case unsupportedDateTime
        /// Arrays or inline tables nested deeper than ``TOMLParser/maximumDepth``, or a dotted key or table header with
        /// more parts than that.
        case nestingTooDeep
    }

    public let line: Int
    public let column: Int
    public let reason: Reason

    public init(line: Int, column: Int, reason: Reason) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String {
        let text =
            switch reason {
            case .expected(let what): "expected \(what)"
            case .unterminatedString: "unterminated string"
            case .invalidEscape: "invalid escape sequence"
            case .controlCharacter: "control character not allowed here"
            case .invalidNumber: "invalid number"
            case .integerOverflow: "integer does not fit in 64 bits"
            case .duplicateKey(let key): "duplicate key '\(key)'"
            case .tableRedefinition(let key): "table '\(key)' defined more than once"
            case .notATable(let key): "'\(key)' is not a table that can be extended here"
            case .unsupportedDateTime: "date-time values are not supported"
            case .nestingTooDeep: "arrays, inline tables or dotted keys nested too deeply"
            }
        return "line \(line), column \(column): \(text)"
    }
}
