/// A DHCP option code (RFC 2132; 121 from RFC 3442; 249 from Microsoft's MS-DHCPE).
public struct DHCPOptionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Pad (RFC 2132 §3.1): a single zero octet, no length.
    public static let pad = DHCPOptionCode(rawValue: 0)
    /// Subnet Mask (RFC 2132 §3.3).
    public static let subnetMask = DHCPOptionCode(rawValue: 1)
    /// Router (RFC 2132 §3.5).
    public static let router = DHCPOptionCode(rawValue: 3)
    /// Domain Name Server (RFC 2132 §3.8): a list of IPv4 addresses.
    public static let domainNameServer = DHCPOptionCode(rawValue: 6)
    /// Host Name (RFC 2132 §3.14).
    public static let hostName = DHCPOptionCode(rawValue: 12)
    /// Domain Name (RFC 2132 §3.17): the DNS domain (suffix) for the client.
    public static let domainName = DHCPOptionCode(rawValue: 15)
    /// Perform Router Discovery (RFC 2132 §5.5).
    public static let performRouterDiscovery = DHCPOptionCode(rawValue: 31)
    /// Static Route (RFC 2132 §5.8), classful; superseded by 121.
    public static let staticRoute = DHCPOptionCode(rawValue: 33)
    /// Vendor Specific Information (RFC 2132 §8.4).
    public static let vendorSpecificInformation = DHCPOptionCode(rawValue: 43)
    /// NetBIOS over TCP/IP Name Server (RFC 2132 §8.5).
    public static let netBIOSNameServer = DHCPOptionCode(rawValue: 44)
    /// NetBIOS over TCP/IP Node Type (RFC 2132 §8.7).
    public static let netBIOSNodeType = DHCPOptionCode(rawValue: 46)
    /// NetBIOS over TCP/IP Scope (RFC 2132 §8.8).
    public static let netBIOSScope = DHCPOptionCode(rawValue: 47)
    /// Requested IP Address (RFC 2132 §9.1).
    public static let requestedIPAddress = DHCPOptionCode(rawValue: 50)
    /// IP Address Lease Time (RFC 2132 §9.2).
    public static let ipAddressLeaseTime = DHCPOptionCode(rawValue: 51)
    /// Option Overload (RFC 2132 §9.3): not supported, messages carrying it are refused.
    public static let optionOverload = DHCPOptionCode(rawValue: 52)
    /// DHCP Message Type (RFC 2132 §9.6).
    public static let dhcpMessageType = DHCPOptionCode(rawValue: 53)
    /// Server Identifier (RFC 2132 §9.7).
    public static let serverIdentifier = DHCPOptionCode(rawValue: 54)
    /// Parameter Request List (RFC 2132 §9.8).
    public static let parameterRequestList = DHCPOptionCode(rawValue: 55)
    /// Maximum DHCP Message Size (RFC 2132 §9.10).
    public static let maximumDHCPMessageSize = DHCPOptionCode(rawValue: 57)
    /// Vendor class identifier (RFC 2132 §9.13); Windows sends "MSFT 5.0".
    public static let vendorClassIdentifier = DHCPOptionCode(rawValue: 60)
    /// Client-identifier (RFC 2132 §9.14).
    public static let clientIdentifier = DHCPOptionCode(rawValue: 61)
    /// Classless Static Route (RFC 3442).
    public static let classlessStaticRoute = DHCPOptionCode(rawValue: 121)
    /// Microsoft Classless Static Route (MS-DHCPE): same data format as 121, asked for by Windows.
    public static let microsoftClasslessStaticRoute = DHCPOptionCode(rawValue: 249)
    /// End (RFC 2132 §3.2): a single 255 octet that ends the options.
    public static let end = DHCPOptionCode(rawValue: 255)

    public var description: String { "option \(rawValue)" }
}

/// DHCP Message Type values (RFC 2132 §9.6).
public enum DHCPMessageType: UInt8, Hashable, Sendable {
    case discover = 1
    case offer = 2
    case request = 3
    case decline = 4
    case ack = 5
    case nak = 6
    case release = 7
    case inform = 8
}

/// One option of the options field: a code and its data (RFC 2132 §2: code, length, data). Pad and End are framing
/// and never appear as values.
public struct DHCPOption: Hashable, Sendable {
    public var code: DHCPOptionCode
    /// The data octets. Longer than 255 octets only for a value that is written as several instances of the same
    /// option (RFC 3396 §5) or was read from them.
    public var data: [UInt8]

    public init(code: DHCPOptionCode, data: [UInt8]) {
        precondition(code != .pad && code != .end, "Pad and End carry no data")
        self.code = code
        self.data = data
    }

    /// A DHCP Message Type option.
    public static func messageType(_ type: DHCPMessageType) -> DHCPOption {
        DHCPOption(code: .dhcpMessageType, data: [type.rawValue])
    }

    /// An option whose data is a list of IPv4 addresses (for example Router, Domain Name Server, Server Identifier).
    public static func addresses(_ code: DHCPOptionCode, _ addresses: [UInt32]) -> DHCPOption {
        DHCPOption(code: code, data: addresses.flatMap(\.octets))
    }
}

extension UInt32 {
    /// The four octets of an IPv4 address, most significant first.
    var octets: [UInt8] {
        [
            UInt8(self >> 24), UInt8(truncatingIfNeeded: self >> 16), UInt8(truncatingIfNeeded: self >> 8),
            UInt8(truncatingIfNeeded: self),
        ]
    }

    /// The IPv4 address of four octets, most significant first.
    init<Octets: Collection<UInt8>>(octets: Octets) {
        self = octets.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
