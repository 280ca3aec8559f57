import DHCPProtocol
import IPPackets
import NIOCore
import Testing

@Suite struct DHCPInformClientTests {
    @Test func buildsTheWindowsInform() throws {
        let packet = DHCPInformClient.informPacket(
            clientAddress: WindowsInformVectors.clientAddress, xid: WindowsInformVectors.xid,
            chaddr: WindowsInformVectors.chaddr, hostName: "DESKTOP")
        // The UDP datagram (ports, length, checksum, DHCP message and padding) is byte for byte the hand-written
        // one; the IPv4 header differs only in identification, TTL and so the header checksum.
        #expect(packet.readableBytes == WindowsInformVectors.inform.readableBytes)
        #expect(packet.getSlice(at: 20, length: 308) == WindowsInformVectors.inform.getSlice(at: 20, length: 308))
        let ipv4 = try IPv4Packet(parsing: packet)
        #expect(ipv4.isHeaderChecksumValid)
        #expect(ipv4.header.protocol == .udp)
        #expect(ipv4.header.source == WindowsInformVectors.clientAddress)
        #expect(ipv4.header.destination == 0xFFFF_FFFF)
    }

    @Test func parsesTheHandWrittenAck() throws {
        let result = try #require(
            DHCPInformClient.parseAcknowledgement(
                WindowsInformVectors.ack, clientAddress: WindowsInformVectors.clientAddress,
                xid: WindowsInformVectors.xid))
        #expect(result.serverIdentifier == WindowsInformVectors.gatewayAddress)
        #expect(result.domainName == "corp.example")
        #expect(result.domainNameServers == [0x0A01_0004, 0x0A01_0005])
        #expect(
            result.routes == [
                ClasslessStaticRoute(destination: IPv4Prefix(network: 0x0A01_0000, length: 16), router: 0x0A09_0001),
                ClasslessStaticRoute(destination: IPv4Prefix(network: 0x0A02_0000, length: 16), router: 0x0A09_0001),
                ClasslessStaticRoute(destination: IPv4Prefix(network: 0xC0A8_6400, length: 24), router: 0x0A09_0001),
            ])
    }

    @Test func roundTripsThroughTheResponder() throws {
        let responder = DHCPInformResponder(
            configuration: DHCPInformConfiguration(
                routes: [IPv4Prefix(network: 0xAC10_0000, length: 12)], domainNameServers: [0x0A01_0004]))
        let inform = DHCPInformClient.informPacket(
            clientAddress: 0xC0A8_0A05, xid: 7, chaddr: [2, 0, 0, 0, 0, 1], destination: 0xC0A8_0A01)
        let reply = try #require(
            responder.response(to: inform, clientAddress: 0xC0A8_0A05, serverIdentifier: 0xC0A8_0A01))
        let result = try #require(DHCPInformClient.parseAcknowledgement(reply, clientAddress: 0xC0A8_0A05, xid: 7))
        #expect(result.routes.map(\.description) == ["172.16.0.0/12 via 192.168.10.1"])
        #expect(result.domainNameServers == [0x0A01_0004])
        #expect(result.domainName == nil)
        #expect(DHCPInformClient.parseAcknowledgement(reply, clientAddress: 0xC0A8_0A05, xid: 8) == nil)
        #expect(DHCPInformClient.parseAcknowledgement(reply, clientAddress: 0xC0A8_0A06, xid: 7) == nil)
        // Our own DHCPINFORM is not an acknowledgement.
        #expect(DHCPInformClient.parseAcknowledgement(inform, clientAddress: 0xFFFF_FFFF, xid: 7) == nil)
    }

    @Test func prefersOption121AndFallsBackTo249() throws {
        func ack(_ options: [DHCPOption]) -> ByteBuffer {
            var payload = ByteBuffer()
            payload.writeDHCPMessage(
                DHCPMessage(op: .bootReply, xid: 1, options: [.messageType(.ack)] + options))
            return UDPDatagram(sourcePort: 67, destinationPort: 68, payload: payload)
                .makeIPv4Packet(source: 0x0A09_0001, destination: 0x0A09_0002)
        }
        let standard = DHCPOption(code: .classlessStaticRoute, data: [8, 10, 0, 0, 0, 0])
        let microsoft = DHCPOption(code: .microsoftClasslessStaticRoute, data: [16, 172, 16, 10, 9, 0, 1])
        let both = try #require(
            DHCPInformClient.parseAcknowledgement(ack([microsoft, standard]), clientAddress: 0x0A09_0002, xid: 1))
        #expect(both.routes.map(\.description) == ["10.0.0.0/8 via 0.0.0.0"])
        let onlyMicrosoft = try #require(
            DHCPInformClient.parseAcknowledgement(ack([microsoft]), clientAddress: 0x0A09_0002, xid: 1))
        #expect(onlyMicrosoft.routes.map(\.description) == ["172.16.0.0/16 via 10.9.0.1"])
        let none = try #require(DHCPInformClient.parseAcknowledgement(ack([]), clientAddress: 0x0A09_0002, xid: 1))
        #expect(none.routes.isEmpty && none.serverIdentifier == nil)
        let malformed = DHCPOption(code: .classlessStaticRoute, data: [40, 10, 0, 0, 0, 0])
        #expect(DHCPInformClient.parseAcknowledgement(ack([malformed]), clientAddress: 0x0A09_0002, xid: 1) == nil)
    }
}
