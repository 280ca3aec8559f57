import NIOCore
import PPPProtocol
import Testing

struct IPV6CPTests {
    static let parameters = IPV6CPParameters(
        localInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0000_0000_0000_0001),
        suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0200_5EFF_FE00_0002)
    )

    static func opening() -> OptionNegotiationAutomaton<IPV6CPPolicy> {
        var ipv6cp = OptionNegotiationAutomaton(policy: IPV6CPPolicy(parameters: parameters))
        _ = ipv6cp.up()
        let outputs = ipv6cp.open()
        // RFC 5072 §4.1: Type 1, Length 10, the 64-bit identifier.
        #expect(LCPTests.wire(outputs[0].sentPacket) == bytes("01 01 00 0E 01 0A 00 00 00 00 00 00 00 01"))
        return ipv6cp
    }

    @Test func acceptsDistinctIdentifier() throws {
        var ipv6cp = Self.opening()
        let reply = ipv6cp.receive(try LCPTests.packet("01 01 00 0E 01 0A 12 34 56 78 9A BC DE F0"))
        #expect(reply[0].sentPacket?.code == .configureAck)
        _ = ipv6cp.receive(try LCPTests.packet("02 01 00 0E 01 0A 00 00 00 00 00 00 00 01"))
        #expect(ipv6cp.state == .opened)
        #expect(
            ipv6cp.policy.result
                == IPV6CPResult(
                    localInterfaceIdentifier: IPV6CPInterfaceIdentifier(1),
                    peerInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x1234_5678_9ABC_DEF0)
                )
        )
    }

    @Test(arguments: [
        "01 01 00 0E 01 0A 00 00 00 00 00 00 00 00",  // zero
        "01 01 00 0E 01 0A 00 00 00 00 00 00 00 01",  // equal to ours
    ])
    func naksWithSuggestion(request: String) throws {
        var ipv6cp = Self.opening()
        let reply = ipv6cp.receive(try LCPTests.packet(request))
        #expect(LCPTests.wire(reply[0].sentPacket) == bytes("03 01 00 0E 01 0A 02 00 5E FF FE 00 00 02"))
    }

    @Test func adoptsNakSuggestion() throws {
        var ipv6cp = Self.opening()
        let retry = ipv6cp.receive(try LCPTests.packet("03 01 00 0E 01 0A AA AA AA AA AA AA AA AA"))
        #expect(LCPTests.wire(retry[0].sentPacket) == bytes("01 02 00 0E 01 0A AA AA AA AA AA AA AA AA"))
    }

    @Test func rejectsCompression() throws {
        var ipv6cp = Self.opening()
        let reply = ipv6cp.receive(try LCPTests.packet("01 01 00 08 02 04 00 4F"))
        #expect(LCPTests.wire(reply[0].sentPacket) == bytes("04 01 00 08 02 04 00 4F"))
    }
}
