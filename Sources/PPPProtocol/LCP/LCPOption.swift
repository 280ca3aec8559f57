/// LCP configuration option types (RFC 1661 §6, RFC 1570 §2.3 Callback, RFC 1990 §5.1 MRRU/Endpoint).
public struct LCPOptionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let maximumReceiveUnit = LCPOptionType(rawValue: 1)
    public static let asyncControlCharacterMap = LCPOptionType(rawValue: 2)
    public static let authenticationProtocol = LCPOptionType(rawValue: 3)
    public static let qualityProtocol = LCPOptionType(rawValue: 4)
    public static let magicNumber = LCPOptionType(rawValue: 5)
    public static let protocolFieldCompression = LCPOptionType(rawValue: 7)
    public static let addressAndControlFieldCompression = LCPOptionType(rawValue: 8)
    public static let callback = LCPOptionType(rawValue: 13)
    public static let multilinkMRRU = LCPOptionType(rawValue: 17)
    public static let endpointDiscriminator = LCPOptionType(rawValue: 19)
}

/// The authentication protocols this gateway can ask for or accept in LCP's Authentication-Protocol option
/// (RFC 1661 §6.2).
public enum PPPAuthenticationProtocol: Hashable, Sendable {
    /// CHAP with algorithm 0x81, MS-CHAPv2 (RFC 2759 §2: option data `C2 23 81`).
    case msCHAPv2
    /// EAP (RFC 3748 §7.1: option data `C2 27`).
    case eap
    /// No authentication was negotiated (the peer role, when the server asks for none).
    case none

    /// The protocol whose frames carry the exchange, `nil` for `.none`.
    public var protocolNumber: PPPProtocolNumber? {
        switch self {
        case .msCHAPv2: return .chap
        case .eap: return .eap
        case .none: return nil
        }
    }

    /// The Data of the Authentication-Protocol option, `nil` for `.none`.
    public var optionData: [UInt8]? {
        switch self {
        case .msCHAPv2: return [0xC2, 0x23, 0x81]
        case .eap: return [0xC2, 0x27]
        case .none: return nil
        }
    }

    /// Recognizes option data we support, `nil` otherwise (CHAP-MD5, PAP, ...).
    public init?(optionData: [UInt8]) {
        switch optionData {
        case [0xC2, 0x23, 0x81]: self = .msCHAPv2
        case [0xC2, 0x27]: self = .eap
        default: return nil
        }
    }
}

extension ConfigurationOption {
    /// An LCP option of a known type.
    public init(_ type: LCPOptionType, data: [UInt8] = []) {
        self.init(type: type.rawValue, data: data)
    }

    /// An LCP option whose data is a big-endian integer.
    public init<T: FixedWidthInteger>(_ type: LCPOptionType, integer value: T) {
        self.init(type: type.rawValue, integer: value)
    }

    /// Maximum-Receive-Unit (RFC 1661 §6.1), length 4.
    public static func maximumReceiveUnit(_ value: UInt16) -> ConfigurationOption {
        ConfigurationOption(.maximumReceiveUnit, integer: value)
    }

    /// Magic-Number (RFC 1661 §6.4), length 6.
    public static func magicNumber(_ value: UInt32) -> ConfigurationOption {
        ConfigurationOption(.magicNumber, integer: value)
    }

    /// Authentication-Protocol (RFC 1661 §6.2).
    public static func authenticationProtocol(_ value: PPPAuthenticationProtocol) -> ConfigurationOption? {
        value.optionData.map { ConfigurationOption(.authenticationProtocol, data: $0) }
    }
}
