import IPPackets
import NIOCore
import Testing

/// A UDP datagram read from a Linux TUN device (10.0.0.1:52716 → 10.0.0.2:4000, "Hello\n", IPv4 checksum 0xc927,
/// UDP checksum 0xea66), from the tests of the tcpp project (`udp_packet[]`); both checksums verify.
enum UDPVectors {
    static let hello = ByteBuffer(
        hex: """
            4500 0022 5da1 4000 4011 c927 0a00 0001
            0a00 0002 cdec 0fa0 000e ea66 4865 6c6c
            6f0a
            """)
    static let source: UInt32 = 0x0A00_0001
    static let destination: UInt32 = 0x0A00_0002
}

@Suite struct UDPDatagramTests {
    @Test func parsesTheTUNVector() throws {
        let (header, datagram) = try #require(try UDPDatagram.parseIPv4(UDPVectors.hello))
        #expect(header.protocol == .udp)
        #expect(header.source == UDPVectors.source)
        #expect(header.destination == UDPVectors.destination)
        #expect(datagram.sourcePort == 52716)
        #expect(datagram.destinationPort == 4000)
        #expect(datagram.payload == ByteBuffer(string: "Hello\n"))
    }

    @Test func checksumOfTheVectorVerifiesAndRecomputes() {
        let udp = UDPVectors.hello.getSlice(at: 20, length: 14)!
        #expect(UDPDatagram.checksum(udp, source: UDPVectors.source, destination: UDPVectors.destination) == 0)
        var zeroed = udp
        zeroed.setInteger(UInt16(0), at: zeroed.readerIndex + 6)
        #expect(UDPDatagram.checksum(zeroed, source: UDPVectors.source, destination: UDPVectors.destination) == 0xEA66)
    }

    @Test func writesTheSameDatagramBytes() {
        let datagram = UDPDatagram(sourcePort: 52716, destinationPort: 4000, payload: ByteBuffer(string: "Hello\n"))
        var buffer = ByteBuffer()
        #expect(buffer.writeUDPDatagram(datagram, source: UDPVectors.source, destination: UDPVectors.destination) == 14)
        #expect(buffer == UDPVectors.hello.getSlice(at: 20, length: 14))
        let packet = datagram.makeIPv4Packet(
            source: UDPVectors.source, destination: UDPVectors.destination, identification: 0x5DA1, dontFragment: true)
        #expect(packet == UDPVectors.hello)
    }

    @Test func zeroChecksumMeansNoneAndComputedZeroIsSentAsOnes() throws {
        var unchecked = UDPVectors.hello
        unchecked.setInteger(UInt16(0), at: 26)
        let (_, datagram) = try #require(try UDPDatagram.parseIPv4(unchecked))
        #expect(datagram.payload == ByteBuffer(string: "Hello\n"))

        // Source port chosen so that the one's complement sum is 0xFFFF: the computed checksum 0 goes out as 0xFFFF.
        let probe = UDPDatagram(sourcePort: 0, destinationPort: 4000, payload: ByteBuffer(string: "Hello\n"))
        var buffer = ByteBuffer()
        buffer.writeUDPDatagram(probe, source: UDPVectors.source, destination: UDPVectors.destination)
        let sent: UInt16 = buffer.getInteger(at: 6)!
        let adjusted = UDPDatagram(
            sourcePort: sent, destinationPort: 4000, payload: ByteBuffer(string: "Hello\n"))
        var zeroSum = ByteBuffer()
        zeroSum.writeUDPDatagram(adjusted, source: UDPVectors.source, destination: UDPVectors.destination)
        #expect(zeroSum.getInteger(at: 6, as: UInt16.self) == 0xFFFF)
        #expect(UDPDatagram.checksum(zeroSum, source: UDPVectors.source, destination: UDPVectors.destination) == 0)
    }

    @Test func rejectsBadChecksumTruncationAndOtherProtocols() throws {
        var corrupted = UDPVectors.hello
        corrupted.setInteger(UInt8(0x4A), at: 28)  // 'H' → 'J', checksum not updated
        #expect(throws: IPPacketError.badChecksum) { try UDPDatagram.parseIPv4(corrupted) }

        let udp = UDPVectors.hello.getSlice(at: 20, length: 14)!
        #expect(throws: IPPacketError.truncated) {
            try UDPDatagram(parsingUDP: udp.getSlice(at: 0, length: 7)!, source: 0, destination: 0)
        }
        var longLength = udp
        longLength.setInteger(UInt16(15), at: 4)
        #expect(throws: IPPacketError.truncated) {
            try UDPDatagram(parsingUDP: longLength, source: UDPVectors.source, destination: UDPVectors.destination)
        }
        var shortLength = udp
        shortLength.setInteger(UInt16(7), at: 4)
        #expect(throws: IPPacketError.truncated) {
            try UDPDatagram(parsingUDP: shortLength, source: UDPVectors.source, destination: UDPVectors.destination)
        }
        #expect(try UDPDatagram.parseIPv4(PingVectors.request) == nil)
        var fragment = UDPVectors.hello
        fragment.setInteger(UInt16(0x2000), at: 6)  // MF set
        fragment.setInteger(UInt16(0), at: 10)
        fragment.setInteger(InternetChecksum.checksum(of: fragment.getSlice(at: 0, length: 20)!), at: 10)
        #expect(try UDPDatagram.parseIPv4(fragment) == nil)
    }
}
