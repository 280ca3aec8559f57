/// A parsed TOML value (TOML v1.0.0 types, without date-times).
///
/// A document parses to a `.table`. Use the typed accessors to read configuration:
///
///     let config = try TOMLParser.parse(text)
///     let port = config["listen"]?["port"]?.integer ?? 443
public enum TOMLValue: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    /// The string, if this is a string.
    public var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, if this is an integer.
    public var integer: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The integer as an `Int`, if this is an integer.
    public var int: Int? {
        integer.map { Int($0) }
    }

    /// The number as a `Double`, if this is a float or an integer.
    public var double: Double? {
        switch self {
        case .float(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The boolean, if this is a boolean.
    public var bool: Bool? {
        if case .boolean(let value) = self { value } else { nil }
    }

    /// The elements, if this is an array (including an array of tables).
    public var array: [TOMLValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The key/value pairs, if this is a table.
    public var table: [String: TOMLValue]? {
        if case .table(let value) = self { value } else { nil }
    }

    /// The value under `key` if this is a table that has it.
    public subscript(key: String) -> TOMLValue? {
        table?[key]
    }

    /// The element at `index` if this is an array that long.
    public subscript(index: Int) -> TOMLValue? {
        guard let array, array.indices.contains(index) else { return nil }
        return array[index]
    }

    /// A short name of the type, for error messages ("string", "integer", ...).
    public var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array: "array"
        case .table: "table"
        }
    }
}
