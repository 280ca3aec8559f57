/// An IPv4 address as IPCP carries it (RFC 1332 §3.3: "four octets ... most significant octet first").
///
/// Deliberately not named `IPv4Address`: the composition also imports AddressPool's type of that name; convert
/// with `IPCPAddress(pool.value)`.
public struct IPCPAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The address as a 32-bit integer, most significant octet first ("10.0.0.1" is 0x0A00_0001).
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public init(_ value: UInt32) {
        self.rawValue = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// 0.0.0.0, which a peer sends to ask for an address (RFC 1332 §3.3, RFC 1877 §1.1).
    public static let unspecified = IPCPAddress(0)

    public static func < (lhs: IPCPAddress, rhs: IPCPAddress) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        (0..<4).map { String(UInt8(truncatingIfNeeded: self.rawValue >> (24 - 8 * $0))) }.joined(separator: ".")
    }
}

/// IPCP configuration option types (RFC 1332 §3, RFC 1877 §1).
public struct IPCPOptionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// IP-Addresses (RFC 1172, deprecated by RFC 1332 §3.1).
    public static let ipAddresses = IPCPOptionType(rawValue: 1)
    /// IP-Compression-Protocol (RFC 1332 §3.2); pppd asks for Van Jacobson `2D 0F 01`.
    public static let ipCompressionProtocol = IPCPOptionType(rawValue: 2)
    /// IP-Address (RFC 1332 §3.3).
    public static let ipAddress = IPCPOptionType(rawValue: 3)
    public static let primaryDNS = IPCPOptionType(rawValue: 129)
    public static let primaryNBNS = IPCPOptionType(rawValue: 130)
    public static let secondaryDNS = IPCPOptionType(rawValue: 131)
    public static let secondaryNBNS = IPCPOptionType(rawValue: 132)

    /// The RFC 1877 server-address options, in the order we request them.
    static let serverAddresses: [IPCPOptionType] = [.primaryDNS, .primaryNBNS, .secondaryDNS, .secondaryNBNS]
}

extension ConfigurationOption {
    /// An address-valued IPCP option (IP-Address or an RFC 1877 server address), length 6.
    public init(_ type: IPCPOptionType, address: IPCPAddress) {
        self.init(type: type.rawValue, integer: address.rawValue)
    }

    /// The option's data as an address, when it is 4 bytes.
    public var address: IPCPAddress? {
        self.integer(as: UInt32.self).map(IPCPAddress.init(rawValue:))
    }
}
