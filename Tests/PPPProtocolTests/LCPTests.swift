import NIOCore
import PPPProtocol
import Testing

struct LCPTests {
    static let serverMagic: UInt32 = 0x0102_0304

    static func serverLCP() -> OptionNegotiationAutomaton<LCPPolicy> {
        var lcp = OptionNegotiationAutomaton(
            policy: LCPPolicy(configuration: LCPConfiguration(role: .authenticator, magicNumber: serverMagic, maximumReceiveUnit: 1500))
        )
        _ = lcp.up()
        let outputs = lcp.open()
        // Our request: MRU 1500, Authentication-Protocol CHAP/MS-CHAPv2 (C2 23 81), Magic-Number.
        var wire = ByteBuffer()
        wire.writeControlPacket(outputs[0].sentPacket!)
        #expect(wire.bytesArray == bytes("01 01 00 13 01 04 05 DC 03 05 C2 23 81 05 06 01 02 03 04"))
        return lcp
    }

    static func packet(_ hex: String) throws -> ControlPacket {
        var wire = buffer(hex)
        return try wire.readControlPacket()
    }

    static func wire(_ packet: ControlPacket?) -> [UInt8] {
        var wire = ByteBuffer()
        if let packet { wire.writeControlPacket(packet) }
        return wire.bytesArray
    }

    @Test func windowsLikeRequestGetsCallbackRejected() throws {
        var lcp = Self.serverLCP()
        // MRU 4091, Magic, PFC, ACFC, Callback operation 6 (CBCP) — SoftEtherVPN#1169, MS-WINERRATA MRU.
        let first = try Self.packet("01 01 00 15 01 04 0F FB 05 06 12 34 56 78 07 02 08 02 0D 03 06")
        let reply = lcp.receive(first)
        #expect(reply.count == 1)
        #expect(Self.wire(reply[0].sentPacket) == bytes("04 01 00 07 0D 03 06"))
        #expect(lcp.state == .requestSent)

        let second = try Self.packet("01 02 00 12 01 04 0F FB 05 06 12 34 56 78 07 02 08 02")
        let ack = lcp.receive(second)
        #expect(Self.wire(ack[0].sentPacket) == bytes("02 02 00 12 01 04 0F FB 05 06 12 34 56 78 07 02 08 02"))
        #expect(lcp.state == .ackSent)
        #expect(lcp.policy.peerMRU == 4091)
        #expect(lcp.policy.peerMagicNumber == 0x1234_5678)
        #expect(lcp.policy.peerUsesProtocolFieldCompression)
        #expect(lcp.policy.peerUsesAddressAndControlFieldCompression)

        // The peer acks our request: Opened.
        let opened = lcp.receive(try Self.packet("02 01 00 13 01 04 05 DC 03 05 C2 23 81 05 06 01 02 03 04"))
        #expect(opened == [.thisLayerUp, .cancelRestartTimer])
        #expect(lcp.policy.authentication == .msCHAPv2)
    }

    @Test func rejectsMultilinkQualityAndUnknown() throws {
        var lcp = Self.serverLCP()
        // Quality-Protocol (LQR), MRRU 1614, Endpoint-Discriminator class 1, unknown type 99; MRU acceptable.
        let request = try Self.packet("01 03 00 19 01 04 05 DC 04 08 C0 25 00 00 0B B8 11 04 06 4E 13 03 01 63 02")
        let reply = lcp.receive(request)
        #expect(Self.wire(reply[0].sentPacket) == bytes("04 03 00 15 04 08 C0 25 00 00 0B B8 11 04 06 4E 13 03 01 63 02"))
    }

    @Test func pppdRequestIsAcked() throws {
        var lcp = Self.serverLCP()
        let request = try Self.packet(ControlPacketTests.pppdRequest)
        let reply = lcp.receive(request)
        #expect(Self.wire(reply[0].sentPacket) == bytes("02 01 00 14 02 06 00 00 00 00 05 06 1A 2B 3C 4D 07 02 08 02"))
        #expect(lcp.state == .ackSent)
        #expect(lcp.policy.peerMRU == 1500)
    }

    @Test func emptyRequestIsAcked() throws {
        // SoftEtherVPN#1102 / PR 1104: a Configure-Request with no options at all.
        var lcp = Self.serverLCP()
        let reply = lcp.receive(try Self.packet("01 07 00 04"))
        #expect(Self.wire(reply[0].sentPacket) == bytes("02 07 00 04"))
    }

    @Test(arguments: [
        ("01 01 00 08 01 04 00 40", "03 01 00 08 01 04 00 80"),  // MRU 64 < 128
        ("01 01 00 08 01 04 FF FF", "03 01 00 08 01 04 0F FB"),  // MRU 65535 > 4091
        ("01 01 00 0A 05 06 01 02 03 04", "03 01 00 0A 05 06 62 20 B2 93"),  // our own magic: loopback
        ("01 01 00 0A 05 06 00 00 00 00", "03 01 00 0A 05 06 62 20 B2 93"),  // zero magic
        ("01 01 00 09 03 05 C2 23 81", "04 01 00 09 03 05 C2 23 81"),  // we do not authenticate ourselves
    ])
    func naksAndRejects(request: String, expected: String) throws {
        var lcp = Self.serverLCP()
        let reply = lcp.receive(try Self.packet(request))
        #expect(Self.wire(reply[0].sentPacket) == bytes(expected))
    }

    @Test func insistsOnMSCHAPv2UntilMaxFailure() throws {
        var lcp = Self.serverLCP()
        // The peer Naks our Authentication-Protocol, suggesting PAP (C0 23), every time.
        for identifier in UInt8(1)...4 {
            let nak = ControlPacket(code: .configureNak, identifier: identifier, options: [ConfigurationOption(type: 3, data: [0xC0, 0x23])])
            let outputs = lcp.receive(nak)
            let retry = try #require(outputs.first?.sentPacket)
            #expect(retry.code == .configureRequest)
            #expect(try retry.options().contains(ConfigurationOption(type: 3, data: [0xC2, 0x23, 0x81])))
        }
        let nak = ControlPacket(code: .configureNak, identifier: 5, options: [ConfigurationOption(type: 3, data: [0xC0, 0x23])])
        let outputs = lcp.receive(nak)
        #expect(outputs.first?.sentPacket?.code == .terminateRequest)
        #expect(lcp.terminationReason == .negotiationFailed)
    }

    @Test func rejectedAuthenticationGivesUp() throws {
        var lcp = Self.serverLCP()
        let outputs = lcp.receive(try Self.packet("04 01 00 09 03 05 C2 23 81"))
        #expect(outputs.first?.sentPacket?.code == .terminateRequest)
        #expect(lcp.state == .closing)
    }

    @Test func rejectedMRUAndMagicAreDropped() throws {
        var lcp = Self.serverLCP()
        let outputs = lcp.receive(try Self.packet("04 01 00 0E 01 04 05 DC 05 06 01 02 03 04"))
        #expect(Self.wire(outputs[0].sentPacket) == bytes("01 02 00 09 03 05 C2 23 81"))
    }

    @Test func peerRoleNaksOtherAuthentication() throws {
        var lcp = OptionNegotiationAutomaton(policy: LCPPolicy(configuration: LCPConfiguration(role: .peer, magicNumber: 0xCAFE_F00D)))
        _ = lcp.up()
        let request = lcp.open()
        #expect(Self.wire(request[0].sentPacket) == bytes("01 01 00 0A 05 06 CA FE F0 0D"))
        // An RRAS-like server asking for EAP is Nak'd with MS-CHAPv2.
        let nak = lcp.receive(try Self.packet("01 01 00 12 01 04 0F FB 03 04 C2 27 05 06 11 22 33 44"))
        #expect(Self.wire(nak[0].sentPacket) == bytes("03 01 00 09 03 05 C2 23 81"))
        let ack = lcp.receive(try Self.packet("01 02 00 13 01 04 0F FB 03 05 C2 23 81 05 06 11 22 33 44"))
        #expect(ack[0].sentPacket?.code == .configureAck)
        #expect(lcp.policy.authentication == .msCHAPv2)
        #expect(lcp.policy.peerMRU == 4091)
    }
}
