/// A strict parser for the subset of TOML v1.0.0 (https://toml.io/en/v1.0.0) that configuration files need:
/// comments, `key = value` with bare, quoted and dotted keys, `[table]`, `[[array.of.tables]]`, basic and literal
/// strings (single- and multi-line), integers (decimal with `_`, hex, octal, binary), floats, booleans, arrays and
/// inline tables. Date-times are rejected with ``TOMLError/Reason/unsupportedDateTime``.
public enum TOMLParser {
    /// The deepest nesting of arrays and inline tables accepted, and the most parts of one dotted key or table header
    /// (bounds recursion on hostile input: docs/fuzzing.md, finding 3).
    public static let maximumDepth = 64

    /// Parses a whole document into a `.table`.
    public static func parse(_ text: String) throws(TOMLError) -> TOMLValue {
        var parser = Parser(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }
}

/// Recursive-descent parser over the UTF-8 bytes, tracking line and column for errors.
struct Parser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    // MARK: - Document

    mutating func parseDocument() throws(TOMLError) -> TOMLValue {
        let root = TOMLTableNode(origin: .header)
        var current = root
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try expectEndOfLine()
            case UInt8(ascii: "["):
                let position = self.position
                let isArray = peek(offset: 1) == UInt8(ascii: "[")
                advance(by: isArray ? 2 : 1)
                skipWhitespace()
                let path = try parseKeyPath()
                skipWhitespace()
                try expect(isArray ? "]]" : "]")
                do {
                    current = try isArray ? root.appendArrayTable(path) : root.defineTable(path)
                } catch {
                    throw TOMLError(line: position.line, column: position.column, reason: error)
                }
                try expectEndOfLine()
            default:
                let position = self.position
                let path = try parseKeyPath()
                skipWhitespace()
                try expect("=")
                skipWhitespace()
                let value = try parseValue(depth: 0)
                do {
                    try current.insert(value, at: path)
                } catch {
                    throw TOMLError(line: position.line, column: position.column, reason: error)
                }
                try expectEndOfLine()
            }
        }
        return root.value
    }

    // MARK: - Keys

    private mutating func parseKeyPath() throws(TOMLError) -> [String] {
        var path = [try parseSimpleKey()]
        while true {
            let save = (index, line, lineStart)
            skipWhitespace()
            guard peek() == UInt8(ascii: ".") else {
                (index, line, lineStart) = save
                return path
            }
            advance()
            skipWhitespace()
            // Every part is one more table level, and the finished tree is walked recursively.
            guard path.count < TOMLParser.maximumDepth else { throw error(.nestingTooDeep) }
            path.append(try parseSimpleKey())
        }
    }

    private mutating func parseSimpleKey() throws(TOMLError) -> String {
        switch peek() {
        case UInt8(ascii: "\""):
            if peek(offset: 1) == UInt8(ascii: "\""), peek(offset: 2) == UInt8(ascii: "\"") {
                throw error(.expected("key"))
            }
            return try parseBasicString()
        case UInt8(ascii: "'"):
            if peek(offset: 1) == UInt8(ascii: "'"), peek(offset: 2) == UInt8(ascii: "'") {
                throw error(.expected("key"))
            }
            return try parseLiteralString()
        default:
            let start = index
            while let byte = peek(), Self.isBareKeyByte(byte) {
                advance()
            }
            guard index > start else { throw error(.expected("key")) }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(TOMLError) -> TOMLValue {
        guard depth <= TOMLParser.maximumDepth else { throw error(.nestingTooDeep) }
        guard let byte = peek() else { throw error(.expected("value")) }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(offset: 1) == UInt8(ascii: "\""), peek(offset: 2) == UInt8(ascii: "\"") {
                return .string(try parseMultilineString(literal: false))
            }
            return .string(try parseBasicString())
        case UInt8(ascii: "'"):
            if peek(offset: 1) == UInt8(ascii: "'"), peek(offset: 2) == UInt8(ascii: "'") {
                return .string(try parseMultilineString(literal: true))
            }
            return .string(try parseLiteralString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .boolean(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .boolean(false)
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "{"):
            return try parseInlineTable(depth: depth)
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "i"),
            UInt8(ascii: "n"):
            return try parseNumber()
        default:
            throw error(.expected("value"))
        }
    }

    private mutating func parseArray(depth: Int) throws(TOMLError) -> TOMLValue {
        advance()  // [
        var elements: [TOMLValue] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if peek() == UInt8(ascii: "]") {
                advance()
                return .array(elements)
            }
            elements.append(try parseValue(depth: depth + 1))
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case UInt8(ascii: ","):
                advance()
            case UInt8(ascii: "]"):
                advance()
                return .array(elements)
            default:
                throw error(.expected("',' or ']'"))
            }
        }
    }

    /// Inline tables are single-line, without a trailing comma (TOML v1.0.0 "Inline Table"), and sealed: once
    /// parsed they become a plain value that headers and dotted keys cannot extend.
    private mutating func parseInlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        advance()  // {
        let table = TOMLTableNode(origin: .dotted)
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            advance()
            return table.value
        }
        while true {
            skipWhitespace()
            let position = self.position
            let path = try parseKeyPath()
            skipWhitespace()
            try expect("=")
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            do {
                try table.insert(value, at: path)
            } catch {
                throw TOMLError(line: position.line, column: position.column, reason: error)
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                advance()
            case UInt8(ascii: "}"):
                advance()
                return table.value
            default:
                throw error(.expected("',' or '}'"))
            }
        }
    }

    // MARK: - Whitespace, comments, line ends

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            advance()
        }
    }

    /// Skips a comment up to (not including) the line end, rejecting control characters in it.
    private mutating func skipComment() throws(TOMLError) {
        advance()  // #
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r"), peek(offset: 1) == UInt8(ascii: "\n") { return }
            if Self.isControl(byte) { throw error(.controlCharacter) }
            advance()
        }
    }

    /// Consumes one newline (LF or CRLF) if present; returns whether it did.
    private mutating func skipNewline() -> Bool {
        if peek() == UInt8(ascii: "\n") {
            advance()
            return true
        }
        if peek() == UInt8(ascii: "\r"), peek(offset: 1) == UInt8(ascii: "\n") {
            advance(by: 2)
            return true
        }
        return false
    }

    private mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLError) {
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "#") {
                try skipComment()
            }
            if !skipNewline() { return }
        }
    }

    /// After a key/value pair or header: optional whitespace and comment, then a newline or the end.
    private mutating func expectEndOfLine() throws(TOMLError) {
        skipWhitespace()
        if peek() == UInt8(ascii: "#") {
            try skipComment()
        }
        guard peek() == nil || skipNewline() else { throw error(.expected("end of line")) }
    }

    // MARK: - Scanning primitives

    func peek(offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    mutating func advance(by count: Int = 1) {
        for _ in 0..<count where index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
    }

    mutating func expect(_ literal: StaticString) throws(TOMLError) {
        let expected = literal.withUTF8Buffer { Array($0) }
        for (offset, byte) in expected.enumerated() where peek(offset: offset) != byte {
            throw error(.expected("'\(literal)'"))
        }
        advance(by: expected.count)
    }

    /// The current line and (1-based, in characters) column.
    var position: (line: Int, column: Int) {
        let column = bytes[lineStart..<index].reduce(1) { count, byte in byte & 0xC0 == 0x80 ? count : count + 1 }
        return (line, column)
    }

    func error(_ reason: TOMLError.Reason) -> TOMLError {
        let position = self.position
        return TOMLError(line: position.line, column: position.column, reason: reason)
    }

    /// TOML v1.0.0: control characters other than tab (U+0000–U+0008, U+000A–U+001F, U+007F) are not permitted
    /// in comments and strings.
    static func isControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F
    }

    /// Text of the current token for number scanning: everything up to whitespace or a delimiter.
    mutating func scanToken() -> [UInt8] {
        let start = index
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","),
                UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#"):
                return Array(bytes[start..<index])
            default:
                advance()
            }
        }
        return Array(bytes[start..<index])
    }
}
