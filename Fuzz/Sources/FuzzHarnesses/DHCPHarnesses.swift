// Harnesses for the DHCPProtocol core. Tests/DHCPProtocolTests/DHCPHarnesses.swift is a symbolic link to this file:
// the replay tests (FuzzRegressionTests.swift there) run these same functions.
import DHCPProtocol
import IPPackets
import NIOCore

// MARK: - dhcp

/// `dhcp`: the input is a DHCP message (the UDP payload a client sends after connecting). It goes through the
/// message codec, the gateway's DHCPINFORM responder (with no routes, a few, and more than fit), `sstp-dial`'s
/// DHCPACK reader (the input as a server's reply), and the classless static route codec (the input as option 121
/// data); the input is also handed to the responder as a raw IPv4 packet, as the uplink does.
///
/// Invariants: a parsed message re-encodes and parses to itself; an acknowledgement fits the datagram size the
/// client accepts (576 octets, or its option 57), parses back as a DHCPACK with our Server Identifier and the
/// client's xid, is what `response(to:)` returns for the same DHCPINFORM in IPv4/UDP, and `sstp-dial` reads from it
/// a prefix of the configured routes (the same in options 121 and 249); routes read by `sstp-dial` or decoded from
/// option data re-encode and decode to themselves.
public enum DHCPHarness {
    static let serverIdentifier: UInt32 = 0xAC10_0001  // 172.16.0.1
    static let clientAddress: UInt32 = 0xAC10_0002  // 172.16.0.2

    static let configurations: [DHCPInformConfiguration] = {
        let few = DHCPInformConfiguration(
            routes: [IPv4Prefix(network: 0x0A01_0000, length: 16), IPv4Prefix(network: 0x0A02_0000, length: 16)],
            domainNameServers: [0x0A01_0004, 0x0A01_0005], domainName: "corp.example")
        // More routes than one 255-octet option (or a 576-octet datagram) holds, of every prefix length.
        let many = DHCPInformConfiguration(
            routes: (0..<160).map { IPv4Prefix(network: 0x0A00_0000 | UInt32($0) << 12, length: UInt8(8 + $0 % 25)) },
            domainNameServers: [0x0A01_0004], domainName: String(repeating: "sub.", count: 40) + "example")
        return [DHCPInformConfiguration(routes: []), few, many]
    }()

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        let buffer = ByteBuffer(bytes: input)
        if let message = try? DHCPMessage(parsing: buffer) {
            try checkMessage(message)
        }
        // The raw input as an IPv4 packet on the uplink.
        for configuration in configurations {
            let responder = DHCPInformResponder(configuration: configuration)
            let reply = responder.response(
                to: buffer, clientAddress: clientAddress, serverIdentifier: serverIdentifier)
            if let reply {
                try fuzzRequire((try? UDPDatagram.parseIPv4(reply)) != nil, "our reply is not a valid IPv4/UDP packet")
            }
        }
        if let routes = try? ClasslessStaticRoute.decode(input) {
            try checkRoutes(routes)
        }
    }

    static func checkMessage(_ message: DHCPMessage) throws(FuzzInvariantViolation) {
        var written = ByteBuffer()
        written.writeDHCPMessage(message)
        try fuzzRequire((try? DHCPMessage(parsing: written)) == message, "DHCP message did not round-trip")

        // The message as a server's reply, read by sstp-dial.
        let asReply = UDPDatagram(
            sourcePort: DHCPInformResponder.serverPort, destinationPort: DHCPInformResponder.clientPort,
            payload: written
        ).makeIPv4Packet(source: serverIdentifier, destination: clientAddress)
        if let ack = DHCPInformClient.parseAcknowledgement(asReply, clientAddress: clientAddress, xid: message.xid) {
            try checkRoutes(ack.routes)
            if let domain = ack.domainName {
                try fuzzRequire(
                    !domain.isEmpty && domain.utf8.allSatisfy { (0x21...0x7E).contains($0) }, "domain \(domain)")
            }
        }

        // The message as a client's DHCPINFORM, answered by the gateway.
        let client = message.ciaddr == 0 ? clientAddress : message.ciaddr
        let asInform = UDPDatagram(
            sourcePort: DHCPInformResponder.clientPort, destinationPort: DHCPInformResponder.serverPort,
            payload: written
        ).makeIPv4Packet(source: client, destination: 0xFFFF_FFFF)
        for configuration in configurations {
            let responder = DHCPInformResponder(configuration: configuration)
            let ack = responder.acknowledgement(to: message, clientAddress: client, serverIdentifier: serverIdentifier)
            let response = responder.response(to: asInform, clientAddress: client, serverIdentifier: serverIdentifier)
            guard let ack else {
                try fuzzRequire(response == nil, "response(to:) answers what acknowledgement(to:) refuses")
                continue
            }
            var payload = ByteBuffer()
            payload.writeDHCPMessage(ack, minimumLength: DHCPMessage.bootpMinimumLength)
            let limit = maximumDatagramSize(message)
            try fuzzRequire(
                payload.readableBytes + 28 <= limit,
                "a \(payload.readableBytes + 28)-octet DHCPACK for a client that accepts \(limit)")
            guard let parsed = try? DHCPMessage(parsing: payload) else {
                throw FuzzInvariantViolation("our DHCPACK does not parse")
            }
            try fuzzRequire(
                parsed.op == .bootReply && parsed.messageType == .ack && parsed.xid == message.xid
                    && parsed.serverIdentifier == serverIdentifier,
                "DHCPACK fields")
            guard let response else {
                throw FuzzInvariantViolation("response(to:) refuses what acknowledgement(to:) answers")
            }
            guard let (_, datagram) = try? UDPDatagram.parseIPv4(response), datagram.payload == payload else {
                throw FuzzInvariantViolation("response(to:) differs from acknowledgement(to:)")
            }
            guard let read = DHCPInformClient.parseAcknowledgement(response, clientAddress: client, xid: message.xid)
            else {
                throw FuzzInvariantViolation("sstp-dial cannot read our DHCPACK")
            }
            let expected = configuration.routes.prefix(read.routes.count).map {
                ClasslessStaticRoute(destination: $0, router: serverIdentifier)
            }
            try fuzzRequire(read.routes == expected, "routes read back are not a prefix of the configured ones")
            let in121 = try? parsed.classlessStaticRoutes(.classlessStaticRoute)
            let in249 = try? parsed.classlessStaticRoutes(.microsoftClasslessStaticRoute)
            if let in121, let in249 {
                try fuzzRequire(in121 == in249, "options 121 and 249 carry different routes")
            }
        }
    }

    /// RFC 2132 §9.10, as the responder documents it: option 57 when it is two octets, at least 576 and at most a
    /// 1500-octet datagram; 576 without it.
    static func maximumDatagramSize(_ message: DHCPMessage) -> Int {
        guard let data = message.optionData(.maximumDHCPMessageSize), data.count == 2 else { return 576 }
        return min(max(Int(data[0]) << 8 | Int(data[1]), 576), 1500)
    }

    static func checkRoutes(_ routes: [ClasslessStaticRoute]) throws(FuzzInvariantViolation) {
        guard !routes.isEmpty else { return }
        let encoded = ClasslessStaticRoute.encode(routes)
        try fuzzRequire(encoded.count == routes.reduce(0) { $0 + $1.encodedLength }, "encoded length")
        try fuzzRequire((try? ClasslessStaticRoute.decode(encoded)) == routes, "routes did not round-trip")
    }
}
