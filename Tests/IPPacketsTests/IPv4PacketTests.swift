import IPPackets
import NIOCore
import Testing

@Suite struct IPv4PacketTests {
    @Test func parsesLinuxPingRequestHeader() throws {
        let packet = try IPv4Packet(parsing: PingVectors.request)
        let header = packet.header
        #expect(header.version == 4)
        #expect(header.headerLength == 20)
        #expect(header.typeOfService == 0)
        #expect(header.totalLength == 84)
        #expect(header.identification == 0x9210)
        #expect(header.dontFragment)
        #expect(!header.moreFragments)
        #expect(header.fragmentOffset == 0)
        #expect(header.timeToLive == 64)
        #expect(header.protocol == .icmp)
        #expect(header.headerChecksum == 0xAA96)
        #expect(header.source == PingVectors.loopback)
        #expect(header.destination == PingVectors.loopback)
        #expect(packet.isHeaderChecksumValid)
        #expect(packet.payload.readableBytes == 64)
    }

    @Test func writesTheSameHeaderBytes() throws {
        let parsed = try IPv4Packet(parsing: PingVectors.request).header
        var buffer = ByteBuffer()
        #expect(buffer.writeIPv4Header(parsed) == 20)
        #expect(buffer == PingVectors.request.getSlice(at: 0, length: 20))
    }

    @Test func detectsCorruptedHeaderChecksum() throws {
        var corrupted = PingVectors.request
        corrupted.setInteger(UInt8(63), at: 8)  // TTL changed, checksum not updated
        #expect(try !IPv4Packet(parsing: corrupted).isHeaderChecksumValid)
    }

    @Test func ignoresTrailingPaddingAndRespectsReaderIndex() throws {
        var buffer = ByteBuffer(hex: "ffff")
        buffer.moveReaderIndex(forwardBy: 2)
        buffer.writeImmutableBuffer(PingVectors.request)
        buffer.writeBytes([0, 0, 0])
        let packet = try IPv4Packet(parsing: buffer)
        #expect(packet.payload.readableBytes == 64)
        #expect(packet.isHeaderChecksumValid)
        #expect(buffer.readerIndex == 2)
    }

    @Test func rejectsTruncatedAndGarbage() {
        #expect(throws: IPPacketError.truncated) { try IPv4Packet(parsing: ByteBuffer()) }
        #expect(throws: IPPacketError.truncated) {
            try IPv4Packet(parsing: PingVectors.request.getSlice(at: 0, length: 19)!)
        }
        #expect(throws: IPPacketError.truncated) {
            try IPv4Packet(parsing: PingVectors.request.getSlice(at: 0, length: 83)!)
        }
        var badVersion = PingVectors.request
        badVersion.setInteger(UInt8(0x55), at: 0)
        #expect(throws: IPPacketError.unsupportedVersion(5)) { try IPv4Packet(parsing: badVersion) }
        var shortIHL = PingVectors.request
        shortIHL.setInteger(UInt8(0x44), at: 0)
        #expect(throws: IPPacketError.invalidHeaderLength(4)) { try IPv4Packet(parsing: shortIHL) }
        var shortTotal = PingVectors.request
        shortTotal.setInteger(UInt16(19), at: 2)
        #expect(throws: IPPacketError.invalidTotalLength(19)) { try IPv4Packet(parsing: shortTotal) }
        var longIHL = PingVectors.request
        longIHL.setInteger(UInt8(0x4F), at: 0)  // 60-byte header in an 84-byte packet is fine...
        longIHL.setInteger(UInt16(40), at: 2)  // ...but not when Total Length is below it
        #expect(throws: IPPacketError.invalidTotalLength(40)) { try IPv4Packet(parsing: longIHL) }
        let garbage = ByteBuffer(bytes: Array(repeating: 0xA5, count: 100))
        #expect(throws: IPPacketError.unsupportedVersion(0xA)) { try IPv4Packet(parsing: garbage) }
    }
}

@Suite struct IPv4OptionsTests {
    /// A header with IHL 6 (one word of options: NOP NOP NOP End-of-Option-List, RFC 791 §3.1) carrying an ICMP
    /// echo: the payload must start after the options.
    @Test func payloadStartsAfterOptions() throws {
        var packet = ByteBuffer(hex: "4600 0020 0001 0000 4001 0000 c612 4d02 c612 4d01 0101 0100")
        var echo = ByteBuffer()
        echo.writeICMPEcho(ICMPEcho(kind: .echoRequest, identifier: 9, sequenceNumber: 3, payload: ByteBuffer()))
        packet.writeImmutableBuffer(echo)
        packet.setInteger(InternetChecksum.checksum(of: packet.getSlice(at: 0, length: 24)!), at: 10)

        let parsed = try IPv4Packet(parsing: packet)
        #expect(parsed.header.headerLength == 24)
        #expect(parsed.isHeaderChecksumValid)
        #expect(parsed.payload == echo)
        let (_, decoded) = try ICMPEcho.parseIPv4(packet)
        #expect(decoded.identifier == 9 && decoded.sequenceNumber == 3)
        #expect(IPPacket.sourceAddress(of: packet)?.description == "198.18.77.2")
    }
}
