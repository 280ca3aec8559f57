import NIOCore

/// A DHCPINFORM as a Windows RAS client sends it through the tunnel, and the DHCPACK the gateway must answer, written
/// by hand field by field from the RFC 2131 §2 layout (Figure 1) and the RFC 2132 / RFC 3442 option formats.
///
/// The client is 10.9.0.2 (leased by IPCP); the gateway is 10.9.0.1. The IPv4 and UDP checksums were computed by a
/// separate script (the RFC 1071 sum) over these bytes, not by the code under test.
enum WindowsInformVectors {
    static let clientAddress: UInt32 = 0x0A09_0002
    static let gatewayAddress: UInt32 = 0x0A09_0001
    static let xid: UInt32 = 0x3903_F326
    static let chaddr: [UInt8] = [0x02, 0x00, 0x4C, 0x4F, 0x4F, 0x50]

    static let inform = ByteBuffer(
        hex: [
            "4500 0148 1234 0000 8011 1d67 0a09 0002 ffff ffff",  // IPv4 328 octets, TTL 128, → 255.255.255.255
            "0044 0043 0134 0da5",  // UDP 68 → 67, length 308
            "01 01 06 00",  // op BOOTREQUEST, htype 1, hlen 6, hops 0
            "3903 f326",  // xid
            "0000 0000",  // secs 0, flags 0
            "0a09 0002",  // ciaddr 10.9.0.2
            "0000 0000",  // yiaddr
            "0000 0000",  // siaddr
            "0000 0000",  // giaddr
            "0200 4c4f 4f50 0000 0000 0000 0000 0000",  // chaddr 02:00:4c:4f:4f:50
            String(repeating: "00", count: 64),  // sname: 64 zero octets
            String(repeating: "00", count: 128),  // file: 128 zero octets
            "6382 5363",  // magic cookie 99.130.83.99
            "35 01 08",  // 53 DHCP Message Type: DHCPINFORM
            "3d 07 01 0200 4c4f 4f50",  // 61 Client-identifier: type 1, chaddr
            "0c 07 4445 534b 544f 50",  // 12 Host Name "DESKTOP"
            "3c 08 4d53 4654 2035 2e30",  // 60 Vendor class identifier "MSFT 5.0"
            "37 0c 01 0f 03 06 2c 2e 2f 1f 21 79 f9 2b",  // 55 Parameter Request List
            "ff",  // End
            "0000 0000 0000 0000 0000 0000 0000",  // Pad up to the 300-octet BOOTP size
        ].joined())

    /// The reply for routes 10.1.0.0/16, 10.2.0.0/16, 192.168.100.0/24, DNS 10.1.0.4 and 10.1.0.5, domain
    /// "corp.example".
    static let ack = ByteBuffer(
        hex: [
            "4500 015e 0000 0000 4011 657b 0a09 0001 0a09 0002",  // IPv4 350 octets, TTL 64, 10.9.0.1 → 10.9.0.2
            "0043 0044 014a 85dc",  // UDP 67 → 68, length 330
            "02 01 06 00",  // op BOOTREPLY, htype and hlen from the request, hops 0
            "3903 f326",  // xid from the DHCPINFORM
            "0000 0000",  // secs 0, flags from the DHCPINFORM
            "0a09 0002",  // ciaddr from the DHCPINFORM
            "0000 0000",  // yiaddr 0 (RFC 2131 §4.3.5)
            "0000 0000",  // siaddr 0
            "0000 0000",  // giaddr from the DHCPINFORM
            "0200 4c4f 4f50 0000 0000 0000 0000 0000",  // chaddr from the DHCPINFORM
            String(repeating: "00", count: 64),  // sname: 64 zero octets
            String(repeating: "00", count: 128),  // file: 128 zero octets
            "6382 5363",  // magic cookie
            "35 01 05",  // 53 DHCP Message Type: DHCPACK
            "36 04 0a09 0001",  // 54 Server Identifier 10.9.0.1
            "0f 0c 636f 7270 2e65 7861 6d70 6c65",  // 15 "corp.example" (1, 3 not answered)
            "06 08 0a01 0004 0a01 0005",  // 6 Domain Name Server 10.1.0.4, 10.1.0.5
            "79 16 10 0a01 0a09 0001 10 0a02 0a09 0001 18 c0a8 64 0a09 0001",  // 121: three routes via 10.9.0.1
            "f9 16 10 0a01 0a09 0001 10 0a02 0a09 0001 18 c0a8 64 0a09 0001",  // 249: the same 22 octets
            "ff",  // End (322 octets: no padding needed)
        ].joined())

    /// Offset of the DHCP message in both packets (IPv4 and UDP headers).
    static let dhcpOffset = 28
}
