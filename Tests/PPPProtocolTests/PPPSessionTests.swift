import NIOCore
import PPPProtocol
import Testing

/// Two sessions wired back to back, frames delivered in order, everything else recorded.
struct SessionPair {
    var server = PPPSession(
        configuration: PPPSessionConfiguration(lcp: .authenticator(magicNumber: 0x1111_1111))
    )
    var peer = PPPSession(
        configuration: PPPSessionConfiguration(lcp: .peer(magicNumber: 0x2222_2222))
    )
    var serverEvents: [PPPAction] = []
    var peerEvents: [PPPAction] = []
    var withIPv6 = false

    /// Delivers frames until both sides are quiet; simulates a successful authentication when both sides
    /// started it (the peer sends one CHAP packet which the server must see).
    mutating func run(serverActions: [PPPAction], peerActions: [PPPAction]) {
        var toPeer: [ByteBuffer] = []
        var toServer: [ByteBuffer] = []
        func split(_ actions: [PPPAction], frames: inout [ByteBuffer], events: inout [PPPAction]) {
            for action in actions {
                if case .sendFrame(let frame) = action { frames.append(frame) } else { events.append(action) }
            }
        }
        split(serverActions, frames: &toPeer, events: &self.serverEvents)
        split(peerActions, frames: &toServer, events: &self.peerEvents)
        var authenticated = false
        var rounds = 0
        while !toPeer.isEmpty || !toServer.isEmpty {
            rounds += 1
            precondition(rounds < 100, "no convergence")
            for frame in toPeer { split(self.peer.receiveFrame(frame), frames: &toServer, events: &self.peerEvents) }
            toPeer = []
            for frame in toServer { split(self.server.receiveFrame(frame), frames: &toPeer, events: &self.serverEvents) }
            toServer = []
            if !authenticated, self.serverEvents.contains(.authenticationStarting(.msCHAPv2)),
                self.peerEvents.contains(.authenticationStarting(.msCHAPv2))
            {
                authenticated = true
                // A stand-in for the MS-CHAPv2 exchange, which lives in PPPAuth.
                let response = self.peer.authenticationFrame(buffer("02 01 00 05 AA"))!
                split(self.server.receiveFrame(response), frames: &toPeer, events: &self.serverEvents)
                split(
                    self.server.authenticationSucceeded(
                        ipcp: IPCPTests.serverParameters,
                        ipv6cp: self.withIPv6 ? IPV6CPTests.parameters : nil
                    ),
                    frames: &toPeer,
                    events: &self.serverEvents
                )
                split(
                    self.peer.authenticationSucceeded(
                        ipcp: .peer(),
                        ipv6cp: self.withIPv6
                            ? IPV6CPParameters(
                                localInterfaceIdentifier: IPV6CPInterfaceIdentifier(0),
                                suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0A0B)
                            ) : nil
                    ),
                    frames: &toServer,
                    events: &self.peerEvents
                )
            }
        }
    }

    mutating func start() {
        let serverActions = self.server.lowerLayerUp()
        let peerActions = self.peer.lowerLayerUp()
        self.run(serverActions: serverActions, peerActions: peerActions)
    }
}

struct PPPSessionTests {
    static let serverResult = IPCPResult(
        localAddress: IPCPAddress(10, 0, 0, 1),
        peerAddress: IPCPAddress(10, 0, 0, 2),
        dnsServers: [IPCPAddress(192, 0, 2, 53), IPCPAddress(198, 51, 100, 53)]
    )

    @Test func serverAndPeerReachNetworkLayer() {
        var pair = SessionPair()
        pair.start()
        #expect(pair.server.phase == .network)
        #expect(pair.peer.phase == .network)
        #expect(pair.server.isIPv4Open && pair.peer.isIPv4Open)
        #expect(pair.serverEvents.contains(.authenticationPacket(buffer("02 01 00 05 AA"))))
        #expect(pair.serverEvents.contains(.networkLayerUp(Self.serverResult)))
        #expect(
            pair.peerEvents.contains(
                .networkLayerUp(
                    IPCPResult(
                        localAddress: IPCPAddress(10, 0, 0, 2),
                        peerAddress: IPCPAddress(10, 0, 0, 1),
                        dnsServers: [IPCPAddress(192, 0, 2, 53), IPCPAddress(198, 51, 100, 53)]
                    )
                )
            )
        )
        // Authentication starts only once LCP is Opened, after the Configure exchange.
        #expect(pair.server.lcpPolicy.authentication == .msCHAPv2)
        #expect(pair.peer.lcpPolicy.authentication == .msCHAPv2)
        #expect(!pair.serverEvents.contains { if case .linkDown = $0 { true } else { false } })

        // Data both ways.
        var packet = buffer("45 00 00 14")
        PPPFrame.encapsulate(&packet, protocol: .ipv4)
        #expect(pair.server.receiveFrame(packet) == [.deliverDatagram(.ipv4, buffer("45 00 00 14"))])
        // IPv6 is off: Protocol-Reject (RFC 1661 §5.7) with the rejected protocol and information.
        let rejected = pair.server.receiveFrame(buffer("FF 03 00 57 60 00"))
        #expect(rejected.count == 1)
        if case .sendFrame(let frame) = rejected.first {
            #expect(Array(frame.bytesArray.prefix(4)) == bytes("FF 03 C0 21"))
            #expect(Array(frame.bytesArray.dropFirst(4)).first == 0x08)
            #expect(Array(frame.bytesArray.suffix(4)) == bytes("00 57 60 00"))
        }
    }

    @Test func ipv6NegotiatesWhenEnabled() {
        var pair = SessionPair()
        pair.withIPv6 = true
        pair.start()
        #expect(pair.server.isIPv6Open && pair.peer.isIPv6Open)
        #expect(
            pair.serverEvents.contains(
                .ipv6Up(
                    IPV6CPResult(
                        localInterfaceIdentifier: IPV6CPInterfaceIdentifier(1),
                        peerInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0200_5EFF_FE00_0002)
                    )
                )
            )
        )
        #expect(pair.server.receiveFrame(buffer("FF 03 00 57 60 00")) == [.deliverDatagram(.ipv6, buffer("60 00"))])
    }

    @Test func nonLCPFramesBeforeOpenedAreDiscarded() {
        var server = SessionPair().server
        _ = server.lowerLayerUp()
        #expect(server.phase == .establish)
        // CHAP, IPCP and CCP before LCP is Opened: silently discarded, no Protocol-Reject.
        #expect(server.receiveFrame(buffer("FF 03 C2 23 02 01 00 04")).isEmpty)
        #expect(server.receiveFrame(buffer("FF 03 80 21 01 01 00 04")).isEmpty)
        #expect(server.receiveFrame(buffer("FF 03 80 FD 01 01 00 04")).isEmpty)
        #expect(server.receiveFrame(buffer("FF 03 00 21 45 00")).isEmpty)
    }

    /// Brings the server's LCP to Opened by hand and returns it.
    static func openedServer(peerRequest: String = "01 01 00 0A 05 06 33 33 33 33") throws -> PPPSession {
        var server = SessionPair().server
        let first = server.lowerLayerUp()
        let request = try #require(first.compactMap { action -> ByteBuffer? in
            if case .sendFrame(let frame) = action { return frame }
            return nil
        }.first)
        var payload = try #require(PPPFrame.classify(request)).payload
        var ack = try payload.readControlPacket()
        ack.code = .configureAck
        var ackFrame = ByteBuffer()
        ackFrame.writePPPHeader(.lcp)
        ackFrame.writeControlPacket(ack)
        _ = server.receiveFrame(ackFrame)
        let actions = server.receiveFrame(buffer("FF 03 C0 21 " + peerRequest))
        #expect(actions.contains(.authenticationStarting(.msCHAPv2)))
        #expect(server.phase == .authenticate)
        return server
    }

    @Test func echoRequestIsAnsweredWithOurMagic() throws {
        var server = try Self.openedServer()
        let actions = server.receiveFrame(buffer("FF 03 C0 21 09 07 00 0C 33 33 33 33 DE AD BE EF"))
        #expect(actions == [.sendFrame(buffer("FF 03 C0 21 0A 07 00 0C 11 11 11 11 DE AD BE EF"))])
        // Echo-Reply to our request is delivered; Discard-Request and Identification are ignored.
        #expect(
            server.receiveFrame(buffer("FF 03 C0 21 0A 02 00 0A 33 33 33 33 01 02"))
                == [.echoReplyReceived(identifier: 2, data: buffer("01 02"))]
        )
        #expect(server.receiveFrame(buffer("FF 03 C0 21 0B 03 00 08 33 33 33 33")).isEmpty)
        #expect(server.receiveFrame(buffer("FF 03 C0 21 0C 04 00 10 33 33 33 33 4D 53 52 41 53 56 35 2E")).isEmpty)
        let echo = server.sendEchoRequest()
        #expect(echo.count == 1)
    }

    @Test func echoReplyIsTruncatedToPeerMRU() throws {
        // The peer's MRU is 128 (accel-ppp#204: an over-long Echo-Reply broke clients).
        var server = try Self.openedServer(peerRequest: "01 01 00 0E 01 04 00 80 05 06 33 33 33 33")
        #expect(server.lcpPolicy.peerMRU == 128)
        let request = bytes("FF 03 C0 21 09 05 00 D0 33 33 33 33") + [UInt8](repeating: 0xAB, count: 200)
        let actions = server.receiveFrame(ByteBuffer(bytes: request))
        guard case .sendFrame(let frame) = try #require(actions.first) else {
            Issue.record("expected a frame")
            return
        }
        let expected = bytes("FF 03 C0 21 0A 05 00 80 11 11 11 11") + [UInt8](repeating: 0xAB, count: 120)
        #expect(frame.bytesArray == expected)
    }

    @Test func lowerLayerDownReportsOnce() {
        var pair = SessionPair()
        pair.start()
        let actions = pair.server.lowerLayerDown()
        #expect(actions.contains(.networkLayerDown))
        #expect(actions.last == .linkDown(.lowerLayerDown))
        #expect(pair.server.phase == .dead)
        #expect(pair.server.lowerLayerDown().isEmpty)
        #expect(pair.server.lowerLayerUp().isEmpty)
    }

    @Test func networkFramesWaitForTheNetworkPhase() throws {
        var server = try Self.openedServer()
        // IPCP and IPV6CP during Authenticate: discarded (RFC 1661 §3.4), not Protocol-Rejected.
        #expect(server.receiveFrame(buffer("FF 03 80 21 01 01 00 0A 03 06 00 00 00 00")).isEmpty)
        #expect(server.receiveFrame(buffer("FF 03 80 57 01 01 00 04")).isEmpty)
        // The negotiated authentication protocol is delivered; another one is ignored.
        #expect(server.receiveFrame(buffer("FF 03 C2 23 02 01 00 04")) == [.authenticationPacket(buffer("02 01 00 04"))])
        #expect(server.receiveFrame(buffer("FF 03 C0 23 01 01 00 04")).isEmpty)

        let start = server.authenticationSucceeded(ipcp: IPCPTests.serverParameters, ipv6cp: nil)
        #expect(start.first == .sendFrame(buffer("FF 03 80 21 01 01 00 0A 03 06 0A 00 00 01")))
        #expect(start.contains(.startTimer(.ipcp, seconds: 3)))
        #expect(server.phase == .network)
        // Now IPV6CP, disabled, is Protocol-Rejected.
        let rejected = server.receiveFrame(buffer("FF 03 80 57 01 01 00 04"))
        guard case .sendFrame(let frame) = try #require(rejected.first) else {
            Issue.record("expected a frame")
            return
        }
        #expect(Array(frame.bytesArray.prefix(5)) == bytes("FF 03 C0 21 08"))
        #expect(Array(frame.bytesArray.dropFirst(8)) == bytes("80 57 01 01 00 04"))
    }

    @Test func ccpIsProtocolRejected() throws {
        var server = try Self.openedServer()
        let actions = server.receiveFrame(buffer("FF 03 80 FD 01 01 00 04"))
        // LCP Protocol-Reject (code 8): Rejected-Protocol 80 FD, then the rejected information.
        guard case .sendFrame(let frame) = try #require(actions.first) else {
            Issue.record("expected a frame")
            return
        }
        let bytesOut = frame.bytesArray
        #expect(Array(bytesOut.prefix(5)) == bytes("FF 03 C0 21 08"))
        #expect(Array(bytesOut.dropFirst(6)) == bytes("00 0A 80 FD 01 01 00 04"))
    }

    @Test func authenticationFailureTerminatesLink() throws {
        var server = try Self.openedServer()
        let actions = server.authenticationFailed()
        #expect(server.phase == .terminate)
        #expect(actions.contains(.startTimer(.lcp, seconds: 3)))
        let terminateRequest = actions.compactMap { action -> ByteBuffer? in
            if case .sendFrame(let frame) = action { return frame }
            return nil
        }
        #expect(terminateRequest.count == 1)
        #expect(Array(terminateRequest[0].bytesArray.prefix(5)) == bytes("FF 03 C0 21 05"))
        let identifier = terminateRequest[0].bytesArray[5]
        let done = server.receiveFrame(ByteBuffer(bytes: bytes("FF 03 C0 21 06") + [identifier] + bytes("00 04")))
        #expect(done == [.linkDown(.authenticationFailed), .cancelTimer(.lcp)])
        #expect(server.phase == .dead)
    }

    @Test func peerTerminateReportsLinkDownAfterTimer() throws {
        var pair = SessionPair()
        pair.start()
        let actions = pair.server.receiveFrame(buffer("FF 03 C0 21 05 09 00 04"))
        #expect(actions.contains(.networkLayerDown))
        #expect(actions.contains(.sendFrame(buffer("FF 03 C0 21 06 09 00 04"))))
        #expect(pair.server.phase == .terminate)
        #expect(!pair.server.isIPv4Open)
        #expect(pair.server.timerFired(.lcp) == [.linkDown(.peerTerminated), .cancelTimer(.lcp)])
    }

    @Test func lcpTimeoutReportsLinkDown() {
        var server = SessionPair().server
        _ = server.lowerLayerUp()
        var last: [PPPAction] = []
        for _ in 0..<10 { last = server.timerFired(.lcp) }
        #expect(last == [.linkDown(.negotiationTimeout), .cancelTimer(.lcp)])
    }
}
