import NIOCore
import PPPProtocol
import Testing

struct IPCPTests {
    static let serverParameters = IPCPParameters(
        localAddress: IPCPAddress(10, 0, 0, 1),
        peerAddress: IPCPAddress(10, 0, 0, 2),
        primaryDNS: IPCPAddress(192, 0, 2, 53),
        secondaryDNS: IPCPAddress(198, 51, 100, 53)
    )

    static func server() -> OptionNegotiationAutomaton<IPCPPolicy> {
        var ipcp = OptionNegotiationAutomaton(policy: IPCPPolicy(role: .authenticator, parameters: serverParameters))
        _ = ipcp.up()
        let outputs = ipcp.open()
        // RFC 1332 §3.3: our request carries our own address.
        #expect(LCPTests.wire(outputs[0].sentPacket) == bytes("01 01 00 0A 03 06 0A 00 00 01"))
        return ipcp
    }

    @Test func pppdRequestRejectVJThenNakAddressAndDNS() throws {
        var ipcp = Self.server()
        // pppd: `compress VJ 0f 01, addr 0.0.0.0` (reliablehosting/sstp-client#9 trace).
        let first = ipcp.receive(try LCPTests.packet("01 01 00 10 02 06 00 2D 0F 01 03 06 00 00 00 00"))
        #expect(LCPTests.wire(first[0].sentPacket) == bytes("04 01 00 0A 02 06 00 2D 0F 01"))

        // Then `addr 0.0.0.0, ms-dns1 0.0.0.0, ms-dns2 0.0.0.0` (usepeerdns): Nak with the real values.
        let second = ipcp.receive(try LCPTests.packet("01 02 00 16 03 06 00 00 00 00 81 06 00 00 00 00 83 06 00 00 00 00"))
        #expect(
            LCPTests.wire(second[0].sentPacket)
                == bytes("03 02 00 16 03 06 0A 00 00 02 81 06 C0 00 02 35 83 06 C6 33 64 35")
        )

        let third = ipcp.receive(try LCPTests.packet("01 03 00 16 03 06 0A 00 00 02 81 06 C0 00 02 35 83 06 C6 33 64 35"))
        #expect(third[0].sentPacket?.code == .configureAck)
        #expect(ipcp.state == .ackSent)

        let opened = ipcp.receive(try LCPTests.packet("02 01 00 0A 03 06 0A 00 00 01"))
        #expect(opened == [.thisLayerUp, .cancelRestartTimer])
        #expect(
            ipcp.policy.result
                == IPCPResult(
                    localAddress: IPCPAddress(10, 0, 0, 1),
                    peerAddress: IPCPAddress(10, 0, 0, 2),
                    dnsServers: [IPCPAddress(192, 0, 2, 53), IPCPAddress(198, 51, 100, 53)]
                )
        )
    }

    @Test func wrongAddressIsNakdWithAssigned() throws {
        var ipcp = Self.server()
        let reply = ipcp.receive(try LCPTests.packet("01 01 00 0A 03 06 C0 A8 01 07"))
        #expect(LCPTests.wire(reply[0].sentPacket) == bytes("03 01 00 0A 03 06 0A 00 00 02"))
    }

    @Test func requestWithoutAddressIsAcked() throws {
        // SoftEther PR 1104: no IP-Address option; the peer still gets the assigned address.
        var ipcp = Self.server()
        let reply = ipcp.receive(try LCPTests.packet("01 05 00 0A 81 06 C0 00 02 35"))
        #expect(LCPTests.wire(reply[0].sentPacket) == bytes("02 05 00 0A 81 06 C0 00 02 35"))
        #expect(ipcp.policy.result.peerAddress == IPCPAddress(10, 0, 0, 2))
    }

    @Test func unconfiguredNBNSIsRejected() throws {
        var ipcp = Self.server()
        let reply = ipcp.receive(try LCPTests.packet("01 04 00 10 03 06 0A 00 00 02 82 06 00 00 00 00"))
        #expect(LCPTests.wire(reply[0].sentPacket) == bytes("04 04 00 0A 82 06 00 00 00 00"))
    }

    @Test func peerPolicyLearnsAddressAndDNS() throws {
        var ipcp = OptionNegotiationAutomaton(policy: IPCPPolicy(role: .peer, parameters: .peer()))
        _ = ipcp.up()
        let request = ipcp.open()
        #expect(
            LCPTests.wire(request[0].sentPacket)
                == bytes("01 01 00 16 03 06 00 00 00 00 81 06 00 00 00 00 83 06 00 00 00 00")
        )
        // The server's own request is acked.
        let ack = ipcp.receive(try LCPTests.packet("01 01 00 0A 03 06 0A 00 00 01"))
        #expect(LCPTests.wire(ack[0].sentPacket) == bytes("02 01 00 0A 03 06 0A 00 00 01"))
        // The Nak's values are adopted.
        let retry = ipcp.receive(try LCPTests.packet("03 01 00 16 03 06 0A 00 00 02 81 06 C0 00 02 35 83 06 C6 33 64 35"))
        #expect(
            LCPTests.wire(retry[0].sentPacket)
                == bytes("01 02 00 16 03 06 0A 00 00 02 81 06 C0 00 02 35 83 06 C6 33 64 35")
        )
        let opened = ipcp.receive(try LCPTests.packet("02 02 00 16 03 06 0A 00 00 02 81 06 C0 00 02 35 83 06 C6 33 64 35"))
        #expect(opened.contains(.thisLayerUp))
        #expect(
            ipcp.policy.result
                == IPCPResult(
                    localAddress: IPCPAddress(10, 0, 0, 2),
                    peerAddress: IPCPAddress(10, 0, 0, 1),
                    dnsServers: [IPCPAddress(192, 0, 2, 53), IPCPAddress(198, 51, 100, 53)]
                )
        )
    }

    @Test func peerPolicyDropsRejectedDNS() throws {
        var ipcp = OptionNegotiationAutomaton(policy: IPCPPolicy(role: .peer, parameters: .peer()))
        _ = ipcp.up()
        _ = ipcp.open()
        let retry = ipcp.receive(try LCPTests.packet("04 01 00 10 81 06 00 00 00 00 83 06 00 00 00 00"))
        #expect(LCPTests.wire(retry[0].sentPacket) == bytes("01 02 00 0A 03 06 00 00 00 00"))
        // Without an address the client cannot go on.
        let giveUp = ipcp.receive(try LCPTests.packet("04 02 00 0A 03 06 00 00 00 00"))
        #expect(giveUp.first?.sentPacket?.code == .terminateRequest)
    }

    @Test func addressDescription() {
        #expect(IPCPAddress(192, 0, 2, 53).description == "192.0.2.53")
        #expect(IPCPAddress(192, 0, 2, 53).rawValue == 0xC000_0235)
    }
}
