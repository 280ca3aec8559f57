import Foundation

/// PEM (RFC 7468) decoding: enough to turn the CA's PEM into the DER `.cer` Windows imports.
enum PEM {
    /// The DER bytes of the first `CERTIFICATE` block, or nil. RFC 7468 §2: base64 between the encapsulation
    /// boundaries, whitespace ignored, so decoding is exact.
    static func firstCertificateDER(_ text: String) -> [UInt8]? {
        let begin = "-----BEGIN CERTIFICATE-----"
        let end = "-----END CERTIFICATE-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex)
        else { return nil }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)), !data.isEmpty else { return nil }
        return Array(data)
    }
}

/// An IPv4 CIDR prefix with zero host bits, e.g. `10.1.0.0/16` (this module has no dependency on AddressPool).
struct IPv4Prefix {
    let address: UInt32
    let length: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = Self.address(String(parts[0])),
            parts[1].allSatisfy(\.isASCII), let length = Int(parts[1]), (0...32).contains(length),
            parts[1].count <= 2
        else { return nil }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << (32 - length)
        guard address & ~mask == 0 else { return nil }
        self.address = address
        self.length = length
    }

    /// A dotted-quad address (four decimal octets, no leading zeros), or nil.
    static func address(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy({ $0.isASCII && $0.isNumber }),
                octet == "0" || !octet.hasPrefix("0"), let number = UInt32(octet), number <= 255
            else { return nil }
            value = value << 8 | number
        }
        return value
    }
}

/// Quoting for the languages the package's files are written in.
enum Quote {
    /// A POSIX shell word: single quotes, with `'` written as `'\''`.
    static func shell(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A PowerShell verbatim string. PowerShell treats U+2018, U+2019, U+201A and U+201B as single quotes too
    /// (about_Quoting_Rules), so each of those is doubled as well.
    static func powerShell(_ text: String) -> String {
        var result = "'"
        for character in text {
            result.append(character)
            if ["'", "\u{2018}", "\u{2019}", "\u{201A}", "\u{201B}"].contains(character) { result.append(character) }
        }
        return result + "'"
    }

    /// A GKeyFile string value (the escapes `g_key_file_set_string` writes): `\\`, `\n`, `\t`, `\r`, and `\s` for a
    /// leading space.
    static func keyfile(_ text: String) -> String {
        var result = ""
        for (index, character) in text.enumerated() {
            switch character {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case " " where index == 0: result += "\\s"
            default: result.append(character)
            }
        }
        return result
    }
}
