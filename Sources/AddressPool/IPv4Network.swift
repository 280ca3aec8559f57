/// An IPv4 CIDR block (RFC 4632 §3.1): a network address and a prefix length.
///
/// The network address never has host bits set: `init(address:prefixLength:)` masks them off, and the string
/// parser rejects them ("10.0.0.1/24" is an error, because a configuration that says it almost always means a
/// gateway address, not a network).
public struct IPv4Network: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block (host bits zero).
    public let address: IPv4Address
    /// The number of leading one bits in the netmask, 0...32.
    public let prefixLength: Int

    /// Creates the block of `prefixLength` containing `address`, clearing its host bits.
    public init?(address: IPv4Address, prefixLength: Int) {
        guard (0...32).contains(prefixLength) else { return nil }
        self.prefixLength = prefixLength
        self.address = IPv4Address(address.value & Self.mask(prefixLength))
    }

    /// Parses "a.b.c.d/n"; returns `nil` on syntax errors or when host bits are set.
    public init?(_ string: some StringProtocol) {
        let parts = string.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(parts[0]),
            (1...2).contains(parts[1].count), parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            parts[1].count == 1 || parts[1].first != "0",
            let prefix = Int(parts[1]), (0...32).contains(prefix),
            address.value & ~Self.mask(prefix) == 0
        else { return nil }
        self.init(address: address, prefixLength: prefix)
    }

    /// The netmask with `prefixLength` leading ones.
    public var netmask: IPv4Address { IPv4Address(Self.mask(prefixLength)) }

    /// The last address of the block (the directed broadcast address for prefixes < 31).
    public var broadcast: IPv4Address { IPv4Address(address.value | ~Self.mask(prefixLength)) }

    /// The number of addresses in the block, 1 (/32) ... 2^32 (/0).
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    /// Whether `other` lies inside this block.
    public func contains(_ other: IPv4Address) -> Bool {
        other.value & Self.mask(prefixLength) == address.value
    }

    public var description: String { "\(address)/\(prefixLength)" }

    private static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }
}
