import DHCPProtocol
import IPPackets
import NIOCore
import Testing

@Suite struct DHCPInformResponderTests {
    static let configuration = DHCPInformConfiguration(
        routes: [
            IPv4Prefix(network: 0x0A01_0000, length: 16), IPv4Prefix(network: 0x0A02_0000, length: 16),
            IPv4Prefix(network: 0xC0A8_6400, length: 24),
        ],
        domainNameServers: [0x0A01_0004, 0x0A01_0005],
        domainName: "corp.example")
    static let responder = DHCPInformResponder(configuration: configuration)

    static func respond(_ packet: ByteBuffer, client: UInt32 = WindowsInformVectors.clientAddress) -> ByteBuffer? {
        responder.response(to: packet, clientAddress: client, serverIdentifier: WindowsInformVectors.gatewayAddress)
    }

    /// The Windows DHCPINFORM with its DHCP message changed by `change` and both checksums recomputed, so that only
    /// the DHCP content differs.
    static func inform(
        destination: UInt32 = 0xFFFF_FFFF, sourcePort: UInt16 = 68, destinationPort: UInt16 = 67,
        _ change: (inout DHCPMessage) -> Void = { _ in }
    ) throws -> ByteBuffer {
        var message = try DHCPMessage(
            parsing: WindowsInformVectors.inform.getSlice(at: WindowsInformVectors.dhcpOffset, length: 300)!)
        change(&message)
        var payload = ByteBuffer()
        payload.writeDHCPMessage(message, minimumLength: 300)
        return UDPDatagram(sourcePort: sourcePort, destinationPort: destinationPort, payload: payload)
            .makeIPv4Packet(source: WindowsInformVectors.clientAddress, destination: destination)
    }

    /// The DHCP message carried by a reply.
    static func message(_ reply: ByteBuffer?) throws -> DHCPMessage {
        let packet = try #require(reply)
        let udp = try #require(try UDPDatagram.parseIPv4(packet))
        return try DHCPMessage(parsing: udp.datagram.payload)
    }

    @Test func answersTheWindowsInformWithTheHandWrittenAck() throws {
        let reply = try #require(Self.respond(WindowsInformVectors.inform))
        #expect(reply == WindowsInformVectors.ack)
    }

    @Test func answersAnInformSentToTheGateway() throws {
        let packet = try Self.inform(destination: WindowsInformVectors.gatewayAddress)
        #expect(Self.respond(packet) == WindowsInformVectors.ack)
    }

    @Test func acceptsZeroCiaddrAndUncheckedUDP() throws {
        let zeroCiaddr = try Self.inform { $0.ciaddr = 0 }
        let reply = try #require(Self.respond(zeroCiaddr))
        #expect(reply.getInteger(at: 28 + 12, as: UInt32.self) == 0)
        #expect(reply.getInteger(at: 16, as: UInt32.self) == WindowsInformVectors.clientAddress)

        var unchecked = WindowsInformVectors.inform
        unchecked.setInteger(UInt16(0), at: 26)
        #expect(Self.respond(unchecked) == WindowsInformVectors.ack)
    }

    @Test func answersOnlyWhatWasRequestedInTheRequestedOrder() throws {
        let onlyMicrosoftRoutes = try Self.inform {
            $0.options = [.messageType(.inform), DHCPOption(code: .parameterRequestList, data: [249, 1, 3])]
        }
        let reply = try #require(Self.respond(onlyMicrosoftRoutes))
        let ack = try Self.message(reply)
        #expect(ack.options.map(\.code.rawValue) == [53, 54, 249])
        #expect(try ack.classlessStaticRoutes(.microsoftClasslessStaticRoute)?.count == 3)
        // Short replies are padded to the BOOTP size.
        #expect(reply.readableBytes == 28 + 300)

        let reversed = try Self.inform {
            $0.options = [.messageType(.inform), DHCPOption(code: .parameterRequestList, data: [249, 121, 6, 15])]
        }
        let reversedAck = try Self.message(Self.respond(reversed))
        #expect(reversedAck.options.map(\.code.rawValue) == [53, 54, 249, 121, 6, 15])

        let nothingRequested = try Self.inform { $0.options = [.messageType(.inform)] }
        let bare = try Self.message(Self.respond(nothingRequested))
        #expect(
            bare.options == [.messageType(.ack), .addresses(.serverIdentifier, [WindowsInformVectors.gatewayAddress])])
    }

    @Test func leavesOutWhatIsNotConfigured() throws {
        let responder = DHCPInformResponder(configuration: DHCPInformConfiguration(routes: []))
        let ack = try Self.message(
            responder.response(
                to: WindowsInformVectors.inform, clientAddress: WindowsInformVectors.clientAddress,
                serverIdentifier: WindowsInformVectors.gatewayAddress))
        #expect(ack.options.map(\.code.rawValue) == [53, 54])
    }

    @Test func keepsRoutesWithinTheDatagramAndOneOption() throws {
        // 100 /24 routes of 8 octets each in a 576-octet datagram, two copies:
        // (576 − 28 − 240 − 9 − 14 − 10 − 1 − 4) / 2 = 135 octets each, so 16 routes in 121 and in 249.
        let many = (0..<100).map { IPv4Prefix(network: 0x0A00_0000 | UInt32($0) << 8, length: 24) }
        var configuration = Self.configuration
        configuration.routes = many
        let responder = DHCPInformResponder(configuration: configuration)
        let inform = try DHCPMessage(
            parsing: WindowsInformVectors.inform.getSlice(at: WindowsInformVectors.dhcpOffset, length: 300)!)
        let ack = try #require(
            responder.acknowledgement(
                to: inform, clientAddress: WindowsInformVectors.clientAddress,
                serverIdentifier: WindowsInformVectors.gatewayAddress))
        #expect(try ack.classlessStaticRoutes()?.count == 16)
        #expect(try ack.classlessStaticRoutes(.microsoftClasslessStaticRoute)?.count == 16)
        var buffer = ByteBuffer()
        buffer.writeDHCPMessage(ack)
        #expect(buffer.readableBytes + 28 <= 576)

        // With option 57 = 1500 the limit becomes one 255-octet option: 31 routes.
        var bigInform = inform
        bigInform.options.append(DHCPOption(code: .maximumDHCPMessageSize, data: [0x05, 0xDC]))
        let bigAck = try #require(
            responder.acknowledgement(
                to: bigInform, clientAddress: WindowsInformVectors.clientAddress,
                serverIdentifier: WindowsInformVectors.gatewayAddress))
        #expect(try bigAck.classlessStaticRoutes()?.count == 31)
        #expect(bigAck.options.filter { $0.code == .classlessStaticRoute }.count == 1)
    }

    @Test func ignoresWhatIsNotAnInformOfThisClient() throws {
        let inform = WindowsInformVectors.inform
        // Truncated IPv4 packet, and a DHCP message cut short (IPv4 and UDP lengths shortened to match).
        #expect(Self.respond(inform.getSlice(at: 0, length: 200)!) == nil)
        let shortMessage = UDPDatagram(
            sourcePort: 68, destinationPort: 67,
            payload: inform.getSlice(at: WindowsInformVectors.dhcpOffset, length: 239)!
        ).makeIPv4Packet(source: WindowsInformVectors.clientAddress, destination: 0xFFFF_FFFF)
        #expect(Self.respond(shortMessage) == nil)
        // Bad magic cookie (checksums recomputed by rebuilding the datagram).
        var cookie = inform.getSlice(at: WindowsInformVectors.dhcpOffset, length: 300)!
        cookie.setInteger(UInt32(0x6382_5362), at: 236)
        #expect(
            Self.respond(
                UDPDatagram(sourcePort: 68, destinationPort: 67, payload: cookie).makeIPv4Packet(
                    source: WindowsInformVectors.clientAddress, destination: 0xFFFF_FFFF)) == nil)
        // An option overrunning the message.
        var overrun = inform.getSlice(at: WindowsInformVectors.dhcpOffset, length: 300)!
        overrun.setInteger(UInt8(0x40), at: 253)
        #expect(
            Self.respond(
                UDPDatagram(sourcePort: 68, destinationPort: 67, payload: overrun).makeIPv4Packet(
                    source: WindowsInformVectors.clientAddress, destination: 0xFFFF_FFFF)) == nil)
        // A corrupted UDP checksum.
        var corrupted = inform
        corrupted.setInteger(UInt8(0x45), at: 28 + 254)  // "DESKTOP" → "EESKTOP"
        #expect(Self.respond(corrupted) == nil)
        // Wrong ports.
        #expect(Self.respond(try Self.inform(sourcePort: 67)) == nil)
        #expect(Self.respond(try Self.inform(destinationPort: 68)) == nil)
        #expect(Self.respond(try Self.inform(sourcePort: 5353)) == nil)
        // Another destination (neither broadcast nor the gateway).
        #expect(Self.respond(try Self.inform(destination: 0x0A01_0004)) == nil)
        // From another address than the client's (the session's leased address).
        #expect(Self.respond(inform, client: 0x0A09_0003) == nil)
        // Other message types, a missing type, a BOOTREPLY, a relayed message.
        for type: DHCPMessageType in [.discover, .request, .decline, .release, .ack] {
            #expect(Self.respond(try Self.inform { $0.options[0] = .messageType(type) }) == nil)
        }
        #expect(Self.respond(try Self.inform { $0.options.removeFirst() }) == nil)
        #expect(Self.respond(try Self.inform { $0.op = .bootReply }) == nil)
        #expect(Self.respond(try Self.inform { $0.giaddr = 0x0A09_0001 }) == nil)
        // A spoofed ciaddr: another client's address.
        #expect(Self.respond(try Self.inform { $0.ciaddr = 0x0A09_0003 }) == nil)
        // Not UDP at all.
        #expect(
            Self.respond(
                ICMPEcho(kind: .echoRequest, identifier: 1, sequenceNumber: 1, payload: ByteBuffer())
                    .makeIPv4Packet(
                        source: WindowsInformVectors.clientAddress, destination: WindowsInformVectors.gatewayAddress))
                == nil)
    }
}
