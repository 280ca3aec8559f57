/// TOML v1.0.0 "String": basic strings with escapes, literal strings, and their multi-line forms.
extension Parser {
    /// A `"basic string"`: escapes allowed, no newlines, no control characters other than tab.
    mutating func parseBasicString() throws(TOMLError) -> String {
        advance()  // "
        var out: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw error(.unterminatedString) }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &out)
            default:
                if Self.isControl(byte) { throw error(.controlCharacter) }
                out.append(byte)
                advance()
            }
        }
    }

    /// A `'literal string'`: taken verbatim up to the next `'`.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        advance()  // '
        var out: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw error(.unterminatedString) }
            if byte == UInt8(ascii: "'") {
                advance()
                return String(decoding: out, as: UTF8.self)
            }
            if Self.isControl(byte) { throw error(.controlCharacter) }
            out.append(byte)
            advance()
        }
    }

    /// `"""multi-line basic"""` or `'''multi-line literal'''`.
    ///
    /// > A newline immediately following the opening delimiter will be trimmed. (...) When the last non-whitespace
    /// > character on a line is an unescaped \, it will be trimmed along with all whitespace (including newlines)
    /// > up to the next non-whitespace character or closing delimiter.
    ///
    /// One or two quotes may stand just inside the closing delimiter, so `""""x"""""` is `"x""`.
    mutating func parseMultilineString(literal: Bool) throws(TOMLError) -> String {
        let quote = literal ? UInt8(ascii: "'") : UInt8(ascii: "\"")
        advance(by: 3)
        _ = skipNewlineInString()
        var out: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error(.unterminatedString) }
            if byte == quote, peek(offset: 1) == quote, peek(offset: 2) == quote {
                var run = 3
                while peek(offset: run) == quote { run += 1 }
                guard run <= 5 else { throw error(.expected("end of string")) }
                out.append(contentsOf: repeatElement(quote, count: run - 3))
                advance(by: run)
                return String(decoding: out, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") && !literal {
                if try skipLineEndingBackslash() { continue }
                try parseEscape(into: &out)
                continue
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                guard skipNewlineInString() else { throw error(.controlCharacter) }
                out.append(UInt8(ascii: "\n"))
                continue
            }
            if Self.isControl(byte) { throw error(.controlCharacter) }
            out.append(byte)
            advance()
        }
    }

    private mutating func skipNewlineInString() -> Bool {
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

    /// If the backslash at the cursor ends its line (only whitespace after it), skips it and all following
    /// whitespace and newlines and returns true.
    private mutating func skipLineEndingBackslash() throws(TOMLError) -> Bool {
        var offset = 1
        while peek(offset: offset) == UInt8(ascii: " ") || peek(offset: offset) == UInt8(ascii: "\t") { offset += 1 }
        let next = peek(offset: offset)
        guard
            next == UInt8(ascii: "\n") || (next == UInt8(ascii: "\r") && peek(offset: offset + 1) == UInt8(ascii: "\n"))
        else {
            if offset > 1 { throw error(.invalidEscape) }  // "\ " followed by text is not an escape
            return false
        }
        advance(by: offset)
        while true {
            if peek() == UInt8(ascii: " ") || peek() == UInt8(ascii: "\t") {
                advance()
            } else if !skipNewlineInString() {
                return true
            }
        }
    }

    /// One escape sequence (TOML v1.0.0): \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX; anything else is an error.
    private mutating func parseEscape(into out: inout [UInt8]) throws(TOMLError) {
        advance()  // backslash
        guard let byte = peek() else { throw error(.unterminatedString) }
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "\""): UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): UInt8(ascii: "\\")
            default: nil
            }
        if let simple {
            out.append(simple)
            advance()
            return
        }
        let digits: Int
        switch byte {
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default: throw error(.invalidEscape)
        }
        var value: UInt32 = 0
        for offset in 1...digits {
            guard let hex = peek(offset: offset), let digit = Self.hexValue(hex) else { throw error(.invalidEscape) }
            value = value << 4 | UInt32(digit)
        }
        guard let scalar = Unicode.Scalar(value) else { throw error(.invalidEscape) }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
        advance(by: digits + 1)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
