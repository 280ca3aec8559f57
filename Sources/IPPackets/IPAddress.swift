import NIOCore

/// An IPv4 or IPv6 address taken from a packet header.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address as a 32-bit value, most significant octet first.
    case v4(UInt32)
    case v6(IPv6Address)

    public var description: String {
        switch self {
        case .v4(let value):
            "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        case .v6(let address):
            address.description
        }
    }
}

/// Fast paths for the per-packet checks of the data path (anti-spoofing on the way in, routing on the way out):
/// they look at the version nibble and read one address, without validating the rest of the header.
public enum IPPacket {
    /// The source address of the IPv4 or IPv6 packet at `packet`'s reader index, or `nil` if the version is neither
    /// or the packet is shorter than its fixed header.
    @inlinable
    public static func sourceAddress(of packet: ByteBuffer) -> IPAddress? {
        address(of: packet, v4Offset: 12, v6Offset: 8)
    }

    /// The destination address of the IPv4 or IPv6 packet at `packet`'s reader index, or `nil` as for
    /// ``sourceAddress(of:)``.
    @inlinable
    public static func destinationAddress(of packet: ByteBuffer) -> IPAddress? {
        address(of: packet, v4Offset: 16, v6Offset: 24)
    }

    @usableFromInline
    static func address(of packet: ByteBuffer, v4Offset: Int, v6Offset: Int) -> IPAddress? {
        let start = packet.readerIndex
        guard let first = packet.getInteger(at: start, as: UInt8.self) else { return nil }
        switch first >> 4 {
        case 4:
            guard packet.readableBytes >= IPv4Header.minimumLength,
                let value = packet.getInteger(at: start + v4Offset, as: UInt32.self)
            else { return nil }
            return .v4(value)
        case 6:
            guard packet.readableBytes >= IPv6Header.length,
                let high = packet.getInteger(at: start + v6Offset, as: UInt64.self),
                let low = packet.getInteger(at: start + v6Offset + 8, as: UInt64.self)
            else { return nil }
            return .v6(IPv6Address(high: high, low: low))
        default:
            return nil
        }
    }
}
