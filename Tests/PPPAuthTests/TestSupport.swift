import NIOCore

/// Test-local hex decoding; whitespace is ignored so vectors can be laid out by field.
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0)
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: preconditionFailure("bad hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

/// RFC 2759 §9.2 sample values.
enum RFC2759 {
    static let userName = "User"
    static let password = "clientPass"
    static let authenticatorChallenge = hex("5B5D7C7D7B3F2F3E3C2C602132262628")
    static let peerChallenge = hex("21402324255E262A28295F2B3A337C7E")
    static let challengeHash = hex("D02E4386BCE91226")
    static let passwordHash = hex("44EBBA8D5312B8D611474411F56989AE")
    static let ntResponse = hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
    static let passwordHashHash = hex("41C00C584BD2D91C4017A2A12FA59F3F")
    static let authenticatorResponse = "S=407A5589115FD0D6209F510FE9C04566932CDA56"
    /// protocol.md §1.7 vector 4: K(Magic2) ‖ K(Magic3).
    static let hlak = hex("d5f0e9521e3ea9589645e86051c822268b7cdc149b993a1ba118cb153f56dccb")
}
