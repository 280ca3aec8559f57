import IPPackets
import NIOCore

/// What a DHCPACK to a DHCPINFORM told the client.
public struct DHCPInformAcknowledgement: Hashable, Sendable {
    /// The Server Identifier (option 54), if present.
    public var serverIdentifier: UInt32?
    /// The classless static routes: option 121 if present (RFC 3442), otherwise option 249; empty if neither.
    public var routes: [ClasslessStaticRoute]
    /// Domain Name Server (option 6); empty if absent.
    public var domainNameServers: [UInt32]
    /// Domain Name (option 15).
    public var domainName: String?

    public init(
        serverIdentifier: UInt32?, routes: [ClasslessStaticRoute], domainNameServers: [UInt32], domainName: String?
    ) {
        self.serverIdentifier = serverIdentifier
        self.routes = routes
        self.domainNameServers = domainNameServers
        self.domainName = domainName
    }
}

/// The client side of the exchange, for `sstp-dial`: build the DHCPINFORM a Windows RAS client sends after the PPP
/// link is up, and read the gateway's DHCPACK. The transaction ID is an input (the caller draws it at random).
public enum DHCPInformClient {
    /// The Parameter Request List Windows sends in its DHCPINFORM: Subnet Mask, Domain Name, Router, Domain Name
    /// Server, NetBIOS Name Server, NetBIOS Node Type, NetBIOS Scope, Perform Router Discovery, Static Route,
    /// Classless Static Route, Microsoft Classless Static Route, Vendor Specific Information.
    public static let windowsParameterRequestList: [DHCPOptionCode] = [
        .subnetMask, .domainName, .router, .domainNameServer, .netBIOSNameServer, .netBIOSNodeType, .netBIOSScope,
        .performRouterDiscovery, .staticRoute, .classlessStaticRoute, .microsoftClasslessStaticRoute,
        .vendorSpecificInformation,
    ]

    /// The Vendor class identifier Windows sends (option 60).
    public static let windowsVendorClassIdentifier = "MSFT 5.0"

    /// The DHCPINFORM message (RFC 2131 §4.4.3: BOOTREQUEST, 'ciaddr' = the client's own address, a fresh 'xid',
    /// a Parameter Request List and no lease time). `chaddr` is an Ethernet-style (htype 1) hardware address of at
    /// most 16 octets; when not empty it is also sent as Client-identifier (type 1, RFC 2132 §9.14), as Windows does.
    public static func informMessage(
        clientAddress: UInt32, xid: UInt32, chaddr: [UInt8] = [], hostName: String? = nil,
        vendorClassIdentifier: String? = windowsVendorClassIdentifier,
        parameterRequestList: [DHCPOptionCode] = windowsParameterRequestList
    ) -> DHCPMessage {
        var options: [DHCPOption] = [.messageType(.inform)]
        if !chaddr.isEmpty {
            options.append(DHCPOption(code: .clientIdentifier, data: [1] + chaddr))
        }
        if let hostName {
            options.append(DHCPOption(code: .hostName, data: Array(hostName.utf8)))
        }
        if let vendorClassIdentifier {
            options.append(DHCPOption(code: .vendorClassIdentifier, data: Array(vendorClassIdentifier.utf8)))
        }
        options.append(DHCPOption(code: .parameterRequestList, data: parameterRequestList.map(\.rawValue)))
        return DHCPMessage(
            op: .bootRequest, htype: 1, hlen: UInt8(chaddr.count), xid: xid, ciaddr: clientAddress, chaddr: chaddr,
            options: options)
    }

    /// The DHCPINFORM as an IPv4/UDP packet from `clientAddress` port 68 to `destination` port 67 (the limited
    /// broadcast by default: RFC 2131 §4.4.3, the client "broadcasts the message to the limited (all 1s) broadcast
    /// address" when it does not know the server), padded to the 300-octet BOOTP size.
    public static func informPacket(
        clientAddress: UInt32, xid: UInt32, chaddr: [UInt8] = [], hostName: String? = nil,
        destination: UInt32 = 0xFFFF_FFFF
    ) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeDHCPMessage(
            informMessage(clientAddress: clientAddress, xid: xid, chaddr: chaddr, hostName: hostName),
            minimumLength: DHCPMessage.bootpMinimumLength)
        return UDPDatagram(
            sourcePort: DHCPInformResponder.clientPort, destinationPort: DHCPInformResponder.serverPort,
            payload: payload
        ).makeIPv4Packet(source: clientAddress, destination: destination)
    }

    /// Reads `packet` as the DHCPACK to our DHCPINFORM `xid`: IPv4/UDP 67 → 68 addressed to `clientAddress` (or
    /// broadcast), a BOOTREPLY with message type DHCPACK and the same 'xid', and well-formed options 6, 15, 121 and
    /// 249. Anything else gives nil.
    public static func parseAcknowledgement(_ packet: ByteBuffer, clientAddress: UInt32, xid: UInt32)
        -> DHCPInformAcknowledgement?
    {
        guard let (header, datagram) = try? UDPDatagram.parseIPv4(packet),
            header.destination == clientAddress || header.destination == 0xFFFF_FFFF,
            datagram.sourcePort == DHCPInformResponder.serverPort,
            datagram.destinationPort == DHCPInformResponder.clientPort,
            let ack = try? DHCPMessage(parsing: datagram.payload),
            ack.op == .bootReply, ack.messageType == .ack, ack.xid == xid
        else { return nil }
        do throws(DHCPError) {
            var routes = try ack.classlessStaticRoutes(.classlessStaticRoute)
            if routes == nil {
                routes = try ack.classlessStaticRoutes(.microsoftClasslessStaticRoute)
            }
            return DHCPInformAcknowledgement(
                serverIdentifier: ack.serverIdentifier, routes: routes ?? [],
                domainNameServers: try ack.addresses(.domainNameServer) ?? [], domainName: try ack.domainName())
        } catch {
            return nil
        }
    }
}
