/// ASCII hex as MS-CHAPv2 messages use it (RFC 2759 §5, §6).
enum Hex {
    private static let upperDigits = Array("0123456789ABCDEF".utf8)

    /// Upper-case hex, as RFC 2759 requires for the authenticator response and the Failure challenge.
    static func encodeUpper(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(Self.upperDigits[Int(byte >> 4)])
            out.append(Self.upperDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex digits (either case); `nil` on an odd length or a non-hex character.
    static func decode<S: Sequence<UInt8>>(_ ascii: S) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for c in ascii {
            let nibble: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = c - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c - UInt8(ascii: "a") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return high == nil ? out : nil
    }
}
