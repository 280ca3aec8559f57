import IPPackets
import NIOCore

/// What the gateway tells a client that asks with DHCPINFORM: routes to push (split tunnel), DNS servers and the
/// DNS domain. Parsed once from the configuration and passed in.
public struct DHCPInformConfiguration: Hashable, Sendable {
    /// Destinations reached through the tunnel (the virtual network's address spaces, peered networks, custom
    /// routes), in order of preference: when they do not all fit in the reply, the first ones are sent.
    public var routes: [IPv4Prefix]
    /// DNS servers (option 6), at most 63.
    public var domainNameServers: [UInt32]
    /// The DNS domain (option 15): printable ASCII, 1...255 octets.
    public var domainName: String?

    public init(routes: [IPv4Prefix], domainNameServers: [UInt32] = [], domainName: String? = nil) {
        precondition(domainNameServers.count <= 63, "option 6 holds at most 63 addresses")
        if let domainName {
            precondition(
                (1...255).contains(domainName.utf8.count) && domainName.utf8.allSatisfy { (0x21...0x7E).contains($0) },
                "domain name must be 1...255 printable ASCII octets")
        }
        self.routes = routes
        self.domainNameServers = domainNameServers
        self.domainName = domainName
    }
}

/// Answers the DHCPINFORM that Windows RAS clients send through the tunnel once the PPP link is up, asking for
/// classless static routes (options 249 and 121) and the DNS domain (option 15).
///
/// Pure: the input is the client's IPv4 packet from the tunnel, the output the IPv4 packet to send back (or nil when
/// the packet is not a DHCPINFORM of this client, so the caller forwards or drops it as usual).
///
/// **Router address of the routes.** Every route names the gateway's own tunnel address (the server identifier) as
/// its router. Over the PPP link any next hop reaches the gateway, and a router address on the other end of the
/// point-to-point link is what the existing DHCPINFORM responders for Windows VPN clients send: strongSwan's
/// dhcp_inform plugin (structured-world/strongswan, `dhcp_inform_responder.c`, routes encoded "with server_ip as
/// gateway", in both 121 and 249) and the EdgeOS L2TP helper that runs dnsmasq per PPP link
/// (EvanAnderson/edgeos-l2tp-static-routes, `l2tp-updown.sh`: `--dhcp-option=249,<network>,<local PPP address>`).
/// 0.0.0.0 ("on-link") is understood by Linux DHCP clients but no source shows what Windows does with it.
/// `sstp-dial` installs routes on the tunnel interface whichever of the two it receives.
public struct DHCPInformResponder: Sendable {
    /// The 'DHCP server' UDP port (RFC 2131 §4.1).
    public static let serverPort: UInt16 = 67
    /// The 'DHCP client' UDP port (RFC 2131 §4.1).
    public static let clientPort: UInt16 = 68
    /// The IP datagram size every DHCP client accepts (RFC 2131 §2: "a DHCP client must be prepared to receive
    /// DHCP messages with an 'options' field of at least length 312 octets", i.e. a 576-octet datagram); larger
    /// only when the client says so with option 57.
    public static let defaultMaximumDatagramSize = 576

    public var configuration: DHCPInformConfiguration

    public init(configuration: DHCPInformConfiguration) {
        self.configuration = configuration
    }

    /// The IPv4/UDP DHCPACK for `packet` if it is a DHCPINFORM from this client, otherwise nil.
    ///
    /// Accepted: a valid IPv4 header (no fragment) from `clientAddress` to 255.255.255.255 or `serverIdentifier`,
    /// UDP 68 → 67 with a valid (or absent) checksum, and a well-formed DHCP message that
    /// ``acknowledgement(to:clientAddress:serverIdentifier:)`` answers. The reply goes from `serverIdentifier` port 67 to `clientAddress` port 68: RFC 2131 §4.3.5, "The
    /// server responds to a DHCPINFORM message by sending a DHCPACK message directly to the address given in the
    /// 'ciaddr' field of the DHCPINFORM message".
    public func response(to packet: ByteBuffer, clientAddress: UInt32, serverIdentifier: UInt32) -> ByteBuffer? {
        guard let (header, datagram) = try? UDPDatagram.parseIPv4(packet),
            header.source == clientAddress,
            header.destination == 0xFFFF_FFFF || header.destination == serverIdentifier,
            datagram.sourcePort == Self.clientPort, datagram.destinationPort == Self.serverPort,
            let inform = try? DHCPMessage(parsing: datagram.payload),
            let ack = acknowledgement(to: inform, clientAddress: clientAddress, serverIdentifier: serverIdentifier)
        else { return nil }
        var payload = ByteBuffer()
        payload.writeDHCPMessage(ack, minimumLength: DHCPMessage.bootpMinimumLength)
        return UDPDatagram(sourcePort: Self.serverPort, destinationPort: Self.clientPort, payload: payload)
            .makeIPv4Packet(source: serverIdentifier, destination: clientAddress)
    }

    /// The DHCPACK answering `inform`, or nil if it is not a DHCPINFORM of the client at `clientAddress`.
    ///
    /// `inform` must be a BOOTREQUEST with message type DHCPINFORM, 'giaddr' 0 (nothing relays over a PPP link) and
    /// 'ciaddr' equal to `clientAddress` (RFC 2131 §4.4.3: "The client places its own network address in the
    /// 'ciaddr' field") or 0 (the IP source address was already checked against the session's address).
    ///
    /// The reply follows RFC 2131 Table 3: 'op' BOOTREPLY, 'hops' and 'secs' 0, 'xid', 'flags', 'ciaddr',
    /// 'giaddr', 'htype', 'hlen' and 'chaddr' from the request; 'yiaddr' 0 (§4.3.5: "SHOULD NOT fill in
    /// 'yiaddr'"); no lease time (§4.3.5: "MUST NOT send a lease expiration time"). Options: DHCP Message Type
    /// DHCPACK and Server Identifier (both MUST in Table 3), then those of the Parameter Request List we have, in the
    /// client's order (RFC 2132 §9.8: the server "MUST try to insert the requested options in the order requested
    /// by the client"): 6, 15, 121 and 249. Routes beyond what the datagram (576 octets, or the client's option 57)
    /// and one 255-octet option can hold are left out, the same count in 121 and 249.
    public func acknowledgement(to inform: DHCPMessage, clientAddress: UInt32, serverIdentifier: UInt32)
        -> DHCPMessage?
    {
        guard inform.op == .bootRequest, inform.messageType == .inform, inform.giaddr == 0,
            inform.ciaddr == clientAddress || inform.ciaddr == 0
        else { return nil }

        var ack = DHCPMessage(
            op: .bootReply, htype: inform.htype, hlen: inform.hlen, xid: inform.xid, flags: inform.flags,
            ciaddr: inform.ciaddr, giaddr: inform.giaddr)
        ack.chaddr = inform.chaddr
        ack.options = [.messageType(.ack), .addresses(.serverIdentifier, [serverIdentifier])]

        let requested = inform.parameterRequestList
        var answered: [DHCPOption] = []
        var routeCopies = 0
        for code in requested where !answered.contains(where: { $0.code == code }) {
            switch code {
            case .domainNameServer where !configuration.domainNameServers.isEmpty:
                answered.append(.addresses(.domainNameServer, configuration.domainNameServers))
            case .domainName:
                if let domainName = configuration.domainName {
                    answered.append(DHCPOption(code: .domainName, data: Array(domainName.utf8)))
                }
            case .classlessStaticRoute where !configuration.routes.isEmpty,
                .microsoftClasslessStaticRoute where !configuration.routes.isEmpty:
                answered.append(DHCPOption(code: code, data: []))  // filled below, once the budget is known
                routeCopies += 1
            default:
                continue
            }
        }

        if routeCopies > 0 {
            let routeData = ClasslessStaticRoute.encode(
                fittingRoutes(
                    copies: routeCopies, serverIdentifier: serverIdentifier,
                    otherOptionsLength: (ack.options + answered).reduce(0) {
                        $0 + ($1.data.isEmpty ? 0 : 2 + $1.data.count)
                    },
                    maximumDatagramSize: maximumDatagramSize(of: inform)))
            answered = answered.compactMap { option in
                guard option.code == .classlessStaticRoute || option.code == .microsoftClasslessStaticRoute else {
                    return option
                }
                return routeData.isEmpty ? nil : DHCPOption(code: option.code, data: routeData)
            }
        }
        ack.options += answered
        return ack
    }

    /// The client's Maximum DHCP Message Size (option 57, RFC 2132 §9.10: "the maximum length DHCP message that it
    /// is willing to accept", counted as an IP datagram), at least 576, at most a 1500-octet datagram.
    private func maximumDatagramSize(of inform: DHCPMessage) -> Int {
        guard let data = inform.optionData(.maximumDHCPMessageSize), data.count == 2 else {
            return Self.defaultMaximumDatagramSize
        }
        let size = Int(data[0]) << 8 | Int(data[1])
        return min(max(size, Self.defaultMaximumDatagramSize), DHCPMessage.maximumLength + 28)
    }

    /// The first configured routes, via `serverIdentifier`, whose encoding fits one option (255 octets) and, in
    /// `copies` options, the space left in the datagram.
    private func fittingRoutes(
        copies: Int, serverIdentifier: UInt32, otherOptionsLength: Int, maximumDatagramSize: Int
    ) -> [ClasslessStaticRoute] {
        // IPv4 + UDP headers, fixed fields, cookie, other options, End, and the code and length of each copy.
        let spare = maximumDatagramSize - 28 - DHCPMessage.minimumLength - otherOptionsLength - 1 - 2 * copies
        let budget = min(255, max(0, spare / copies))
        var routes: [ClasslessStaticRoute] = []
        var used = 0
        for prefix in configuration.routes {
            let route = ClasslessStaticRoute(destination: prefix, router: serverIdentifier)
            guard used + route.encodedLength <= budget else { break }
            used += route.encodedLength
            routes.append(route)
        }
        return routes
    }
}
