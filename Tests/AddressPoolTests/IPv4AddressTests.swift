import AddressPool
import Testing

@Suite struct IPv4AddressTests {
    @Test(arguments: [
        ("0.0.0.0", UInt32(0)),
        ("10.0.0.1", 0x0A00_0001),
        ("198.18.77.1", 0xC612_4D01),
        ("255.255.255.255", 0xFFFF_FFFF),
    ])
    func parsesAndFormatsDottedQuad(text: String, value: UInt32) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.value == value)
        #expect(address.description == text)
        #expect(IPv4Address(value) == address)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1..2.3", "01.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.", "1234.1.1.1",
    ])
    func rejectsMalformedAddresses(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func octetsInitialiserMatchesValue() {
        #expect(IPv4Address(192, 168, 1, 2).value == 0xC0A8_0102)
        #expect(IPv4Address(192, 168, 1, 2).octets == (192, 168, 1, 2))
    }
}

@Suite struct IPv4NetworkTests {
    @Test func parsesCIDR() throws {
        let network = try #require(IPv4Network("10.0.0.0/24"))
        #expect(network.address == IPv4Address(10, 0, 0, 0))
        #expect(network.prefixLength == 24)
        #expect(network.size == 256)
        #expect(network.netmask == IPv4Address(255, 255, 255, 0))
        #expect(network.broadcast == IPv4Address(10, 0, 0, 255))
        #expect(network.description == "10.0.0.0/24")
    }

    @Test func containsAddressesInsideOnly() throws {
        let network = try #require(IPv4Network("198.18.0.0/15"))
        #expect(network.size == 131_072)
        #expect(network.contains(IPv4Address(198, 18, 0, 0)))
        #expect(network.contains(IPv4Address(198, 19, 255, 255)))
        #expect(!network.contains(IPv4Address(198, 20, 0, 0)))
        #expect(!network.contains(IPv4Address(198, 17, 255, 255)))
    }

    @Test func edgePrefixes() throws {
        #expect(try #require(IPv4Network("0.0.0.0/0")).size == 1 << 32)
        #expect(try #require(IPv4Network("0.0.0.0/0")).contains(IPv4Address(1, 2, 3, 4)))
        #expect(try #require(IPv4Network("1.2.3.4/32")).size == 1)
    }

    @Test(arguments: ["10.0.0.1/24", "10.0.0.0/33", "10.0.0.0", "10.0.0.0/", "10.0.0.0/024", "10.0.0.0/2a", "/24"])
    func rejectsMalformedCIDR(text: String) {
        #expect(IPv4Network(text) == nil)
    }

    @Test func memberwiseInitMasksHostBits() throws {
        let network = try #require(IPv4Network(address: IPv4Address(10, 1, 2, 3), prefixLength: 16))
        #expect(network.description == "10.1.0.0/16")
    }
}
