/// A 64-bit IPv6 interface identifier (RFC 5072 §4.1).
public struct IPV6CPInterfaceIdentifier: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(_ value: UInt64) {
        self.rawValue = value
    }

    public static let zero = IPV6CPInterfaceIdentifier(0)

    /// Four colon-separated groups, as in the low half of an IPv6 address.
    public var description: String {
        (0..<4).map { String(UInt16(truncatingIfNeeded: self.rawValue >> (48 - 16 * $0)), radix: 16) }
            .joined(separator: ":")
    }
}

/// IPV6CP option types (RFC 5072 §4).
public struct IPV6CPOptionType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let interfaceIdentifier = IPV6CPOptionType(rawValue: 1)
    public static let ipv6CompressionProtocol = IPV6CPOptionType(rawValue: 2)
}

extension ConfigurationOption {
    /// Interface-Identifier (RFC 5072 §4.1), length 10.
    public static func interfaceIdentifier(_ value: IPV6CPInterfaceIdentifier) -> ConfigurationOption {
        ConfigurationOption(type: IPV6CPOptionType.interfaceIdentifier.rawValue, integer: value.rawValue)
    }
}

/// Inputs for IPV6CP (identifiers come from the composition: the core has no randomness).
public struct IPV6CPParameters: Hashable, Sendable {
    /// Our interface identifier.
    public var localInterfaceIdentifier: IPV6CPInterfaceIdentifier
    /// What we Nak with when the peer's identifier is zero or equal to ours.
    public var suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier

    public init(
        localInterfaceIdentifier: IPV6CPInterfaceIdentifier,
        suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier
    ) {
        self.localInterfaceIdentifier = localInterfaceIdentifier
        self.suggestedPeerInterfaceIdentifier = suggestedPeerInterfaceIdentifier
    }
}

/// What IPV6CP negotiated, reported by ``PPPAction/ipv6Up(_:)``.
public struct IPV6CPResult: Hashable, Sendable {
    public var localInterfaceIdentifier: IPV6CPInterfaceIdentifier
    /// `nil` when the peer did not send an Interface-Identifier.
    public var peerInterfaceIdentifier: IPV6CPInterfaceIdentifier?

    public init(localInterfaceIdentifier: IPV6CPInterfaceIdentifier, peerInterfaceIdentifier: IPV6CPInterfaceIdentifier?) {
        self.localInterfaceIdentifier = localInterfaceIdentifier
        self.peerInterfaceIdentifier = peerInterfaceIdentifier
    }
}
