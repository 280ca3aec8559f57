import NIOCore
import SSTPProtocol
import Testing

/// A client and a server machine joined by two in-memory byte streams: every control message is serialised, carried
/// as bytes, and parsed again by an `SSTPPacketParser`, as the adapters will do.
struct InMemoryCall {
    var server: SSTPServerStateMachine
    var client: SSTPClientStateMachine
    private var serverParser = SSTPPacketParser()
    private var clientParser = SSTPPacketParser()
    private var toServer = ByteBuffer()
    private var toClient = ByteBuffer()
    /// Every non-send action each side produced, in order.
    private(set) var serverActions: [SSTPAction] = []
    private(set) var clientActions: [SSTPAction] = []
    /// PPP frames each side handed to its PPP.
    private(set) var deliveredToServerPPP: [ByteBuffer] = []

    init(server: SSTPServerStateMachine, client: SSTPClientStateMachine) {
        self.server = server
        self.client = client
    }

    mutating func performServer(_ actions: [SSTPAction]) {
        for action in actions {
            if case .send(let message) = action {
                self.toClient.writeSSTPControlMessage(message)
            } else {
                self.serverActions.append(action)
            }
        }
    }

    mutating func performClient(_ actions: [SSTPAction]) {
        for action in actions {
            if case .send(let message) = action {
                self.toServer.writeSSTPControlMessage(message)
            } else {
                self.clientActions.append(action)
            }
        }
    }

    /// The client's PPP sends a frame, if the client machine allows it now.
    mutating func clientPPPSends(_ frame: ByteBuffer) {
        if self.client.mayRelay(pppFrame: frame) {
            self.toServer.writeSSTPDataPacket(frame)
        }
    }

    /// Delivers everything in flight until both directions are quiet.
    mutating func run() throws {
        while self.toServer.readableBytes > 0 || self.toClient.readableBytes > 0 {
            self.serverParser.append(self.toServer)
            self.toServer.clear()
            while let packet = try self.serverParser.nextPacket() {
                switch packet {
                case .control(let message): self.performServer(self.server.receive(message))
                case .data(let frame):
                    if self.server.receiveDataPacket(frame) { self.deliveredToServerPPP.append(frame) }
                }
            }
            self.clientParser.append(self.toClient)
            self.toClient.clear()
            while let packet = try self.clientParser.nextPacket() {
                switch packet {
                case .control(let message): self.performClient(self.client.receive(message))
                case .data(let frame): _ = self.client.receiveDataPacket(frame)
                }
            }
        }
    }
}

@Suite("SSTP client ↔ server in memory")
struct SSTPInMemoryCallTests {
    static func makeCall(clientSupports: SSTPHashProtocolBitmask = [.sha1, .sha256]) -> InMemoryCall {
        let server = SSTPServerStateMachine(
            configuration: SSTPServerStateMachine.Configuration(certificateHashes: Fixture.certificateHashes),
            nonce: Fixture.serverNonce
        )
        // The client hashes the certificate it received in the TLS handshake: the same one.
        let client = SSTPClientStateMachine(
            configuration: SSTPClientStateMachine.Configuration(
                serverCertificateHashes: SSTPCertificateHashes(certificateDER: Fixture.certificateDER),
                supportedHashProtocols: clientSupports
            )
        )
        return InMemoryCall(server: server, client: client)
    }

    @Test("the HTTP phase, then SSTP, in one byte stream each way")
    func httpThenSSTP() throws {
        var requestParser = SSTPHTTPRequestParser()
        var responseParser = SSTPHTTPResponseParser()
        var call = Self.makeCall()

        var toServer = ByteBuffer()
        SSTPHTTPClientRequest.write(
            host: "vpn.example.com",
            correlationID: "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
            into: &toServer
        )
        guard case .accepted(let request) = requestParser.parse(&toServer) else {
            Issue.record("request refused")
            return
        }
        #expect(request.host == "vpn.example.com")

        var toClient = ByteBuffer()
        SSTPHTTPResponse.success(date: "Sun, 22 Nov 2026 00:00:00 GMT").write(into: &toClient)
        // The server's first SSTP bytes may share a read with the response head.
        toClient.writeSSTPControlMessage(.echoRequest)
        #expect(responseParser.parse(&toClient) == .accepted)
        #expect(Array(toClient.readableBytesView) == hex("10 01 00 08 00 08 00 00"))

        call.performServer(call.server.httpsEstablished())
        call.performClient(call.client.httpsEstablished())
        try call.run()
        #expect(call.server.callState == .serverCallConnectedPending)
        #expect(call.client.callState == .clientConnectAckReceived)
    }

    @Test(
        "both sides connect with a verified binding, whichever finishes PPP authentication first",
        arguments: [true, false],
        [SSTPHashProtocolBitmask([.sha1, .sha256]), .sha1]
    )
    func connects(serverAuthenticatesFirst: Bool, clientSupports: SSTPHashProtocolBitmask) throws {
        var call = Self.makeCall(clientSupports: clientSupports)
        call.performServer(call.server.httpsEstablished())
        call.performClient(call.client.httpsEstablished())
        try call.run()
        #expect(call.serverActions.contains(.lowerLayerUp))
        #expect(call.clientActions.contains(.lowerLayerUp))

        // PPP control frames flow while pending; data frames do not.
        call.clientPPPSends(Fixture.lcpFrame)
        call.clientPPPSends(Fixture.ipFrame)
        try call.run()
        #expect(
            call.deliveredToServerPPP.map { Array($0.readableBytesView) } == [Array(Fixture.lcpFrame.readableBytesView)]
        )

        // Both PPP ends derive the same HLAK from MS-CHAPv2 (RFC 3079 sample).
        if serverAuthenticatesFirst {
            call.performServer(call.server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK))
            call.performClient(call.client.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK))
        } else {
            call.performClient(call.client.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK))
            try call.run()
            #expect(call.server.callState == .serverCallConnectedPending)  // held until the server's PPP is done
            call.performServer(call.server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK))
        }
        try call.run()

        let expected = clientSupports.strongest!
        #expect(call.server.callState == .serverCallConnected)
        #expect(call.client.callState == .clientCallConnected)
        #expect(call.serverActions.contains(.callConnected(expected)))
        #expect(call.clientActions.contains(.callConnected(expected)))
        #expect(call.server.negotiatedHashProtocol == expected)

        call.clientPPPSends(Fixture.ipFrame)
        try call.run()
        #expect(call.deliveredToServerPPP.count == 2)

        // Graceful disconnect from the client.
        call.performClient(call.client.disconnect())
        try call.run()
        #expect(call.client.isClosed)
        #expect(call.clientActions.last == .closeTransport(.callDisconnected(acknowledged: true)))
        #expect(call.server.callState == .callDisconnectTimeoutPending)
        call.performServer(call.server.timerFired(.disconnectStateTimer2))
        #expect(call.serverActions.last == .closeTransport(.callDisconnectedByPeer(.noError)))
    }

    @Test("a client that computed its binding with another HLAK is aborted by the server")
    func hlakMismatch() throws {
        var call = Self.makeCall()
        call.performServer(call.server.httpsEstablished())
        call.performClient(call.client.httpsEstablished())
        try call.run()
        call.performServer(call.server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK))
        // The server-side key order (receive ‖ send) used by mistake on the client.
        let swapped = Array(Fixture.msCHAPv2HLAK[16...] + Fixture.msCHAPv2HLAK[..<16])
        call.performClient(call.client.innerAuthenticationCompleted(hlak: swapped))
        try call.run()
        #expect(call.server.callState == .callAbortTimeoutPending)
        #expect(!call.serverActions.contains { if case .callConnected = $0 { true } else { false } })
        #expect(call.client.callState == .callAbortTimeoutPending)
        call.performServer(call.server.timerFired(.abortStateTimer2))
        #expect(call.serverActions.last == .closeTransport(.callAborted(.cryptoBindingMismatch(.compoundMACMismatch))))
    }
}
