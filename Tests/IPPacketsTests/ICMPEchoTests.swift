import IPPackets
import NIOCore
import Testing

@Suite struct ICMPEchoTests {
    @Test func parsesLinuxPingRequest() throws {
        let (header, echo) = try ICMPEcho.parseIPv4(PingVectors.request)
        #expect(header.source == PingVectors.loopback)
        #expect(echo.kind == .echoRequest)
        #expect(echo.identifier == 21780)
        #expect(echo.sequenceNumber == 1)
        #expect(echo.payload == PingVectors.payload)
        #expect(echo.payload.getBytes(at: echo.payload.readerIndex + 16, length: 3) == [0x10, 0x11, 0x12])
    }

    @Test func buildsByteIdenticalLinuxPingRequest() {
        let echo = ICMPEcho(kind: .echoRequest, identifier: 0x5514, sequenceNumber: 1, payload: PingVectors.payload)
        let packet = echo.makeIPv4Packet(
            source: PingVectors.loopback, destination: PingVectors.loopback, identification: 0x9210,
            dontFragment: true, timeToLive: 64)
        #expect(packet == PingVectors.request)
    }

    @Test func parsesLinuxKernelReply() throws {
        let (header, echo) = try ICMPEcho.parseIPv4(PingVectors.reply)
        #expect(!header.dontFragment)
        #expect(header.identification == 0x9211)
        #expect(echo == ICMPEcho(kind: .echoReply, identifier: 0x5514, sequenceNumber: 1, payload: PingVectors.payload))
    }

    @Test func buildsByteIdenticalReply() {
        let echo = ICMPEcho(kind: .echoReply, identifier: 0x5514, sequenceNumber: 1, payload: PingVectors.payload)
        let packet = echo.makeIPv4Packet(
            source: PingVectors.loopback, destination: PingVectors.loopback, identification: 0x9211,
            dontFragment: false)
        #expect(packet == PingVectors.reply)
    }

    @Test func rejectsBadChecksumsAndNonEcho() {
        var badICMP = PingVectors.request
        badICMP.setInteger(UInt8(0xFF), at: 83)
        #expect(throws: IPPacketError.badChecksum) { try ICMPEcho.parseIPv4(badICMP) }
        var badIP = PingVectors.request
        badIP.setInteger(UInt16(0), at: 10)
        #expect(throws: IPPacketError.badChecksum) { try ICMPEcho.parseIPv4(badIP) }
        // Destination Unreachable (type 3) with a consistent checksum is still not an echo.
        var unreachable = ByteBuffer(hex: "0300 fcff 0000 0000")
        #expect(throws: IPPacketError.notICMPEcho) { try ICMPEcho(parsingICMP: unreachable) }
        unreachable.moveReaderIndex(forwardBy: 1)
        #expect(throws: IPPacketError.truncated) { try ICMPEcho(parsingICMP: unreachable) }
        var udp = PingVectors.request
        udp.setInteger(UInt8(17), at: 9)
        udp.setInteger(UInt16(0xAA86), at: 10)  // header checksum fixed up for protocol 17
        #expect(throws: IPPacketError.notICMPEcho) { try ICMPEcho.parseIPv4(udp) }
    }
}
