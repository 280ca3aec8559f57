import DHCPProtocol
import Testing

/// RFC 3442 §2's table of destination descriptors ("Subnet number / Subnet mask / Destination descriptor"), each
/// followed here by the router 10.9.0.1 (0a 09 00 01), plus option values published with their meaning.
@Suite struct ClasslessStaticRouteTests {
    static let router: UInt32 = 0x0A09_0001

    /// (subnet number, width, descriptor octets) from the RFC 3442 §2 table.
    static let rfc3442Descriptors: [(UInt32, UInt8, [UInt8])] = [
        (0x0000_0000, 0, [0]),  // 0 / 0 → 0
        (0x0A00_0000, 8, [8, 10]),  // 10.0.0.0 / 255.0.0.0 → 8.10
        (0x0A00_0000, 24, [24, 10, 0, 0]),  // 10.0.0.0 / 255.255.255.0 → 24.10.0.0
        (0x0A11_0000, 16, [16, 10, 17]),  // 10.17.0.0 / 255.255.0.0 → 16.10.17
        (0x0A1B_8100, 24, [24, 10, 27, 129]),  // 10.27.129.0 / 255.255.255.0 → 24.10.27.129
        (0x0AE5_0080, 25, [25, 10, 229, 0, 128]),  // 10.229.0.128 / 255.255.255.128 → 25.10.229.0.128
        (0x0AC6_7A2F, 32, [32, 10, 198, 122, 47]),  // 10.198.122.47 / 255.255.255.255 → 32.10.198.122.47
    ]

    @Test(arguments: 0..<7) func encodesAndDecodesTheRFCTable(index: Int) throws {
        let (network, width, descriptor) = Self.rfc3442Descriptors[index]
        let route = ClasslessStaticRoute(destination: IPv4Prefix(network: network, length: width), router: Self.router)
        let bytes = descriptor + [0x0A, 0x09, 0x00, 0x01]
        #expect(ClasslessStaticRoute.encode([route]) == bytes)
        #expect(route.encodedLength == bytes.count)
        #expect(try ClasslessStaticRoute.decode(bytes) == [route])
    }

    @Test func encodesTheWholeTableAsOneOption() throws {
        let routes = Self.rfc3442Descriptors.map {
            ClasslessStaticRoute(destination: IPv4Prefix(network: $0.0, length: $0.1), router: Self.router)
        }
        let bytes = Self.rfc3442Descriptors.flatMap { entry -> [UInt8] in entry.2 + [0x0A, 0x09, 0x00, 0x01] }
        #expect(ClasslessStaticRoute.encode(routes) == bytes)
        #expect(try ClasslessStaticRoute.decode(bytes) == routes)
    }

    /// Published option values: OpenStack Nuage tests ("0x100a110a0b0c0d": 10.17.0.0/16 via 10.11.12.13;
    /// "0x190ae500800a0b0c0e": 10.229.0.128/25 via 10.11.12.14), a Cisco IOS `option 121 hex` line (default via
    /// 192.168.1.1, 192.168.30.0/24 via 192.168.1.254) and a Cisco option 249 line ("15ACAC00A8A8A8A8":
    /// 172.172.0.0/21 via 168.168.168.168).
    @Test func decodesPublishedOptionValues() throws {
        #expect(
            try ClasslessStaticRoute.decode([UInt8](hex: "100a110a0b0c0d"))
                == [
                    ClasslessStaticRoute(destination: IPv4Prefix(network: 0x0A11_0000, length: 16), router: 0x0A0B_0C0D)
                ])
        #expect(
            try ClasslessStaticRoute.decode([UInt8](hex: "190ae500800a0b0c0e"))
                == [
                    ClasslessStaticRoute(destination: IPv4Prefix(network: 0x0AE5_0080, length: 25), router: 0x0A0B_0C0E)
                ])
        let cisco = [
            ClasslessStaticRoute(destination: IPv4Prefix(network: 0, length: 0), router: 0xC0A8_0101),
            ClasslessStaticRoute(destination: IPv4Prefix(network: 0xC0A8_1E00, length: 24), router: 0xC0A8_01FE),
        ]
        #expect(try ClasslessStaticRoute.decode([UInt8](hex: "00c0a80101 18c0a81e c0a801fe")) == cisco)
        #expect(ClasslessStaticRoute.encode(cisco) == [UInt8](hex: "00c0a80101 18c0a81ec0a801fe"))
        let microsoft = ClasslessStaticRoute(
            destination: IPv4Prefix(network: 0xACAC_0000, length: 21), router: 0xA8A8_A8A8)
        #expect(try ClasslessStaticRoute.decode([UInt8](hex: "15ACAC00A8A8A8A8")) == [microsoft])
        #expect(ClasslessStaticRoute.encode([microsoft]) == [UInt8](hex: "15ACAC00A8A8A8A8"))
    }

    @Test func clearsHostBits() throws {
        #expect(IPv4Prefix(network: 0x0A01_02FF, length: 16).network == 0x0A01_0000)
        #expect(IPv4Prefix(network: 0xFFFF_FFFF, length: 0).network == 0)
        // 10.1.2.3/24 on the wire: the host octet is not sent, and a set bit inside a significant octet is cleared.
        let routes = try ClasslessStaticRoute.decode([UInt8](hex: "17 0a0103 0a090001"))
        #expect(routes.map(\.destination) == [IPv4Prefix(network: 0x0A01_0200, length: 23)])
        #expect(routes.first?.destination.network == 0x0A01_0200)
    }

    @Test func rejectsMalformedValues() {
        for hex in ["", "00 0a0900", "21 0a000000 0a090001", "18 0a01 0a090001", "08 0a 0a090001 10 0a"] {
            let error = #expect(throws: DHCPError.self) { try ClasslessStaticRoute.decode([UInt8](hex: hex)) }
            #expect(error?.code == .badOptionValue)
        }
    }
}
