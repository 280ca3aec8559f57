/// TOML v1.0.0 "Integer" and "Float".
extension Parser {
    /// Parses an integer or float token. Rules enforced:
    /// - underscores only between digits ("each underscore must be surrounded by at least one digit");
    /// - no leading zeros on decimal integers or float integer parts;
    /// - hex/octal/binary with `0x`/`0o`/`0b`, no sign;
    /// - 64-bit range ("an error must be thrown" on loss of precision);
    /// - `inf`/`nan` with optional sign.
    mutating func parseNumber() throws(TOMLError) -> TOMLValue {
        let start = self.position
        let token = scanToken()
        func fail(_ reason: TOMLError.Reason) -> TOMLError {
            TOMLError(line: start.line, column: start.column, reason: reason)
        }
        if token.contains(UInt8(ascii: ":"))
            || (token.count >= 5 && token[0..<4].allSatisfy(Self.isDigit) && token[4] == UInt8(ascii: "-"))
        {
            throw fail(.unsupportedDateTime)
        }
        var body = token[...]
        var negative = false
        if let sign = body.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        switch Array(body) {
        case Array("inf".utf8): return .float(negative ? -.infinity : .infinity)
        case Array("nan".utf8): return .float(.nan)
        default: break
        }
        if body.count > 2, body.first == UInt8(ascii: "0"), token.first != UInt8(ascii: "+"),
            token.first != UInt8(ascii: "-")
        {
            let radix: UInt64? =
                switch body[body.startIndex + 1] {
                case UInt8(ascii: "x"): 16
                case UInt8(ascii: "o"): 8
                case UInt8(ascii: "b"): 2
                default: nil
                }
            if let radix {
                let digits = body.dropFirst(2)
                guard Self.hasValidUnderscores(digits, radix: radix) else { throw fail(.invalidNumber) }
                var value: UInt64 = 0
                for byte in digits where byte != UInt8(ascii: "_") {
                    let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
                    let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(Self.hexValue(byte)!))
                    guard !overflow1, !overflow2, sum <= UInt64(Int64.max) else { throw fail(.integerOverflow) }
                    value = sum
                }
                return .integer(Int64(value))
            }
        }
        let isFloat = body.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if !isFloat {
            guard Self.hasValidUnderscores(body, radix: 10), Self.hasNoLeadingZero(body) else {
                throw fail(.invalidNumber)
            }
            var magnitude: UInt64 = 0
            for byte in body where byte != UInt8(ascii: "_") {
                let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { throw fail(.integerOverflow) }
                magnitude = sum
            }
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1 else { throw fail(.integerOverflow) }
                return .integer(magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude))
            }
            guard magnitude <= UInt64(Int64.max) else { throw fail(.integerOverflow) }
            return .integer(Int64(magnitude))
        }
        // float = integer-part ( exp / frac [ exp ] ); frac = "." digits; exp = ("e"/"E") [sign] digits
        let exponentIndex = body.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = body[body.startIndex..<(exponentIndex ?? body.endIndex)]
        let dotIndex = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerPart = mantissa[mantissa.startIndex..<(dotIndex ?? mantissa.endIndex)]
        guard Self.hasValidUnderscores(integerPart, radix: 10), Self.hasNoLeadingZero(integerPart) else {
            throw fail(.invalidNumber)
        }
        if let dotIndex {
            guard Self.hasValidUnderscores(mantissa[(dotIndex + 1)...], radix: 10) else { throw fail(.invalidNumber) }
        }
        if let exponentIndex {
            var exponent = body[(exponentIndex + 1)...]
            if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponent = exponent.dropFirst()
            }
            guard Self.hasValidUnderscores(exponent, radix: 10) else { throw fail(.invalidNumber) }
        }
        let text = String(decoding: token.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let value = Double(text) else { throw fail(.invalidNumber) }
        return .float(value)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Non-empty, only digits of `radix` and underscores, and every underscore between two digits.
    private static func hasValidUnderscores(_ digits: ArraySlice<UInt8>, radix: UInt64) -> Bool {
        guard let first = digits.first, let last = digits.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_")
        else { return false }
        var previousWasUnderscore = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                if previousWasUnderscore { return false }
                previousWasUnderscore = true
                continue
            }
            previousWasUnderscore = false
            // Lower-case hex only for the prefix letters; digits may be either case.
            guard let value = hexValue(byte), UInt64(value) < radix else { return false }
        }
        return true
    }

    private static func hasNoLeadingZero(_ digits: ArraySlice<UInt8>) -> Bool {
        digits.count == 1 || digits.first != UInt8(ascii: "0")
    }
}
