/// A PPP Protocol field value (RFC 1661 §2, assigned numbers from the IANA "PPP DLL Protocol Numbers" registry).
///
/// A struct rather than an enum: any 16-bit value can arrive on the wire, and unsupported ones must be carried
/// into a Protocol-Reject (RFC 1661 §5.7) unchanged.
public struct PPPProtocolNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// Internet Protocol version 4 datagrams.
    public static let ipv4 = PPPProtocolNumber(rawValue: 0x0021)
    /// Internet Protocol version 6 datagrams (RFC 5072).
    public static let ipv6 = PPPProtocolNumber(rawValue: 0x0057)
    /// IP Control Protocol (RFC 1332).
    public static let ipcp = PPPProtocolNumber(rawValue: 0x8021)
    /// IPv6 Control Protocol (RFC 5072).
    public static let ipv6cp = PPPProtocolNumber(rawValue: 0x8057)
    /// Compression Control Protocol (RFC 1962); never negotiated over SSTP, where TLS already encrypts.
    public static let ccp = PPPProtocolNumber(rawValue: 0x80FD)
    /// Link Control Protocol (RFC 1661 §6).
    public static let lcp = PPPProtocolNumber(rawValue: 0xC021)
    /// Password Authentication Protocol (RFC 1334).
    public static let pap = PPPProtocolNumber(rawValue: 0xC023)
    /// Bandwidth Allocation Control Protocol (RFC 2125).
    public static let bacp = PPPProtocolNumber(rawValue: 0xC02B)
    /// Challenge Handshake Authentication Protocol (RFC 1994), also carrying MS-CHAPv2 (RFC 2759).
    public static let chap = PPPProtocolNumber(rawValue: 0xC223)
    /// Extensible Authentication Protocol (RFC 3748).
    public static let eap = PPPProtocolNumber(rawValue: 0xC227)

    /// Whether the frame belongs to a control protocol rather than a network-layer datagram: the first protocol
    /// byte is one of 0x80, 0x82 (network control protocols) or 0xC0, 0xC2, 0xC4 (link control and
    /// authentication protocols) — RFC 1661 §2: "8xxx-bxxx ... Network Control Protocols, cxxx-fxxx ... Link-layer
    /// Control Protocols".
    @inlinable
    public var isControlProtocol: Bool {
        switch UInt8(truncatingIfNeeded: self.rawValue >> 8) {
        case 0x80, 0x82, 0xC0, 0xC2, 0xC4: return true
        default: return false
        }
    }

    /// RFC 1661 §2: "Protocol field values ... MUST be odd; the least significant bit of the most significant
    /// octet MUST equal 0".
    @inlinable
    public var isValid: Bool {
        self.rawValue & 0x0100 == 0 && self.rawValue & 0x0001 == 1
    }

    public var description: String {
        let hex = String(self.rawValue, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
