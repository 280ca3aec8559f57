/// User-name rules shared by every table: what a valid name is, and the key lookups use.
///
/// Windows sends `DOMAIN\user` and treats names case-insensitively, so lookups strip a domain prefix and
/// compare lower-cased keys; the stored `name` keeps the spelling the administrator chose.
enum UserName {
    /// 1–64 printable ASCII characters without `:`, `\`, `/` or white space.
    static func isValid(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy {
            $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "/")
        }
    }

    /// The lookup key for a name as given or as a client sent it: the part after the last `\`, lower-cased.
    /// Works for any string (accounting records certificate names too); only ASCII letters are folded.
    static func key(_ name: String) -> String {
        let withoutDomain = name.split(separator: "\\", omittingEmptySubsequences: false).last.map(String.init) ?? name
        return String(decoding: withoutDomain.utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The key for a lookup argument, or nil when no valid name can have it (so the lookup finds nothing).
    static func lookupKey(_ name: String) -> String? {
        let key = key(name)
        return isValid(key) ? key : nil
    }
}

/// Hex for the legacy users file.
enum Hex {
    static func decode(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
