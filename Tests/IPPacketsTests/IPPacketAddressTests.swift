import IPPackets
import NIOCore
import Testing

@Suite struct IPPacketAddressTests {
    /// An IPv6 ICMPv6 echo request header (RFC 8200 §3 layout) from 2001:db8::1 to 2001:db8::2 with an 8-byte payload
    /// (RFC 3849 documentation prefix).
    static let ipv6 = ByteBuffer(
        hex: """
            6000 0000 0008 3a40
            2001 0db8 0000 0000 0000 0000 0000 0001
            2001 0db8 0000 0000 0000 0000 0000 0002
            8000 0000 0001 0001
            """)

    @Test func parsesIPv6Header() throws {
        let header = try IPv6Header(parsing: Self.ipv6)
        #expect(header.payloadLength == 8)
        #expect(header.nextHeader == .icmpv6)
        #expect(header.hopLimit == 64)
        #expect(header.source == IPv6Address(high: 0x2001_0DB8_0000_0000, low: 1))
        #expect(header.destination == IPv6Address(high: 0x2001_0DB8_0000_0000, low: 2))
        #expect(header.source.description == "2001:db8:0:0:0:0:0:1")
    }

    @Test func rejectsBadIPv6() {
        #expect(throws: IPPacketError.truncated) { try IPv6Header(parsing: Self.ipv6.getSlice(at: 0, length: 47)!) }
        #expect(throws: IPPacketError.unsupportedVersion(4)) { try IPv6Header(parsing: PingVectors.request) }
    }

    @Test func sourceAndDestinationFastPath() {
        #expect(IPPacket.sourceAddress(of: PingVectors.request) == .v4(0x7F00_0001))
        #expect(IPPacket.destinationAddress(of: PingVectors.request) == .v4(0x7F00_0001))
        #expect(IPPacket.sourceAddress(of: Self.ipv6) == .v6(IPv6Address(high: 0x2001_0DB8_0000_0000, low: 1)))
        #expect(IPPacket.destinationAddress(of: Self.ipv6) == .v6(IPv6Address(high: 0x2001_0DB8_0000_0000, low: 2)))
        #expect(IPAddress.v4(0xC612_4D02).description == "198.18.77.2")
    }

    @Test func fastPathRejectsShortOrUnknown() {
        #expect(IPPacket.sourceAddress(of: ByteBuffer()) == nil)
        #expect(IPPacket.sourceAddress(of: PingVectors.request.getSlice(at: 0, length: 19)!) == nil)
        #expect(IPPacket.sourceAddress(of: Self.ipv6.getSlice(at: 0, length: 39)!) == nil)
        #expect(IPPacket.sourceAddress(of: ByteBuffer(hex: "00112233445566778899aabbccddeeff0011223344")) == nil)
    }
}
