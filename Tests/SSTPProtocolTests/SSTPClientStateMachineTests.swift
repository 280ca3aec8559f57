import NIOCore
import SSTPProtocol
import Testing

@Suite("SSTP client state machine")
struct SSTPClientStateMachineTests {
    /// MS-SSTP §4.7 values (see CryptoBindingTests for provenance).
    static let specSHA256Hash = hex("7993EF314C493DACE9F02D60E7E61C84B6690AAFE9D7AEEA92CBBE8AD599422D")
    static let specSHA1Hash = hex("5826B629BDA59B8E6FD8DCD2622FD34C534805A5")
    static let specHashes = SSTPCertificateHashes(sha1: specSHA1Hash, sha256: specSHA256Hash)

    static func client(
        supported: SSTPHashProtocolBitmask = [.sha1, .sha256],
        hashes: SSTPCertificateHashes = Fixture.certificateHashes
    ) -> SSTPClientStateMachine {
        var client = SSTPClientStateMachine(
            configuration: SSTPClientStateMachine.Configuration(
                serverCertificateHashes: hashes,
                supportedHashProtocols: supported
            )
        )
        _ = client.httpsEstablished()
        return client
    }

    static func connectedClient() -> SSTPClientStateMachine {
        var client = client()
        _ = client.receive(.callConnectAck(hashProtocols: [.sha1, .sha256], nonce: Fixture.serverNonce))
        _ = client.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK)
        return client
    }

    @Test("HTTPS established: Connect Request and negotiation timer")
    func start() {
        var client = SSTPClientStateMachine(
            configuration: SSTPClientStateMachine.Configuration(serverCertificateHashes: Fixture.certificateHashes)
        )
        #expect(client.callState == .clientCallDisconnected)
        #expect(
            client.httpsEstablished() == [.send(.callConnectRequest), .startTimer(.negotiation, after: .seconds(60))]
        )
        #expect(client.callState == .clientConnectRequestSent)
    }

    @Test(
        "the client's Call Connected reproduces the MS-SSTP §4.7 bytes",
        arguments: [
            (
                hex(
                    """
                    10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 02
                    41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72
                    B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35
                    """
                ),
                hex("2A1BB40D55AB0F5EF32F06F2B3CC73C4 8FD3FAC41D7A1315A19228D9024CA164"),
                hex(
                    """
                    10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 02
                    41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72
                    B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35
                    79 93 EF 31 4C 49 3D AC E9 F0 2D 60 E7 E6 1C 84
                    B6 69 0A AF E9 D7 AE EA 92 CB BE 8A D5 99 42 2D
                    52 A6 8E FD 8C FF BF 52 77 0B 8F 0F E8 EC 73 71
                    65 83 AF 6D 61 1E B6 D1 79 B3 B2 08 40 98 54 49
                    """
                )
            ),
            (
                hex(
                    """
                    10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 01
                    0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7
                    07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF
                    """
                ),
                hex("4B3128F43925D9006EEFB1C4E86515A1 D88E56BAB3CA2BDF0373B7F5A8A13B19"),
                hex(
                    """
                    10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 01
                    0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7
                    07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF
                    58 26 B6 29 BD A5 9B 8E 6F D8 DC D2 62 2F D3 4C
                    53 48 05 A5 00 00 00 00 00 00 00 00 00 00 00 00
                    69 91 5D D5 83 D8 06 2F EF 16 F6 1D B2 F0 32 90
                    EC 27 CB 6C 00 00 00 00 00 00 00 00 00 00 00 00
                    """
                )
            ),
        ]
    )
    func specExchange(_ ackBytes: [UInt8], _ hlak: [UInt8], _ callConnectedBytes: [UInt8]) throws {
        var client = Self.client(hashes: Self.specHashes)
        let ack = try #require(try parseControl(ackBytes))
        #expect(client.receive(ack) == [.startTimer(.negotiation, after: .seconds(60)), .lowerLayerUp])
        #expect(client.callState == .clientConnectAckReceived)
        #expect(client.mayRelay(.pppControl) && !client.mayRelay(.pppData))

        let actions = client.innerAuthenticationCompleted(hlak: hlak)
        let sent = sentMessages(actions)
        #expect(sent.count == 1)
        #expect(sent.map(serialize) == [callConnectedBytes])
        let hashProtocol = try #require(client.chosenHashProtocol)
        #expect(
            actions == [
                .cancelTimer(.negotiation), .send(sent[0]), .startTimer(.hello, after: .seconds(60)),
                .callConnected(hashProtocol),
            ]
        )
        #expect(client.callState == .clientCallConnected)
        #expect(client.mayRelay(.pppData))
    }

    @Test(
        "hash protocol choice: the strongest common one",
        arguments: [
            ([.sha1, .sha256], [.sha1, .sha256], .sha256),
            ([.sha1, .sha256], .sha1, .sha1),
            (.sha1, [.sha1, .sha256], .sha1),
        ] as [(SSTPHashProtocolBitmask, SSTPHashProtocolBitmask, SSTPHashProtocol)]
    )
    func hashChoice(
        _ offered: SSTPHashProtocolBitmask,
        _ supported: SSTPHashProtocolBitmask,
        _ chosen: SSTPHashProtocol
    ) {
        var client = Self.client(supported: supported)
        _ = client.receive(.callConnectAck(hashProtocols: offered, nonce: Fixture.serverNonce))
        #expect(client.chosenHashProtocol == chosen)
    }

    @Test(
        "an unacceptable Call Connect Ack aborts (§3.2.5.3.2)",
        arguments: [
            SSTPControlMessage.callConnectAck(hashProtocols: .sha1, nonce: Fixture.serverNonce),
            SSTPControlMessage.callConnectAck(
                hashProtocols: SSTPHashProtocolBitmask(rawValue: 0),
                nonce: Fixture.serverNonce
            ),
            SSTPControlMessage(.callConnectAck),
        ]
    )
    func badAck(_ ack: SSTPControlMessage) {
        var client = Self.client(supported: .sha256)
        let actions = client.receive(ack)
        #expect(
            actions == [
                .cancelTimer(.negotiation),
                .send(.callAbort(SSTPStatusInfo(attributeID: .cryptoBindingRequest, status: .valueNotSupported))),
                .startTimer(.abortStateTimer1, after: .seconds(3)),
            ]
        )
        #expect(!actions.contains(.lowerLayerUp))
    }

    @Test("NAK: resend up to three times, then abort with RETRY_COUNT_EXCEEDED")
    func nakRetries() {
        var client = Self.client()
        let nak = SSTPControlMessage.callConnectNak([
            SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .valueNotSupported)
        ])
        for _ in 0..<3 {
            #expect(
                client.receive(nak) == [.send(.callConnectRequest), .startTimer(.negotiation, after: .seconds(60))]
            )
        }
        let actions = client.receive(nak)
        #expect(
            sentMessages(actions) == [.callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .retryCountExceeded))]
        )
        #expect(client.callState == .callAbortPending)
    }

    @Test("negotiation timeout after the ACK aborts")
    func negotiationTimeout() {
        var client = Self.client()
        _ = client.receive(.callConnectAck(hashProtocols: .sha256, nonce: Fixture.serverNonce))
        let actions = client.timerFired(.negotiation)
        #expect(
            sentMessages(actions) == [.callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .negotiationTimeout))]
        )
        #expect(client.timerFired(.abortStateTimer1) == [.closeTransport(.callAborted(.negotiationTimeout))])
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var state: SSTPCallState
        var message: SSTPMessageType
        var next: SSTPCallState
        var sent: [SSTPMessageType]
        var testDescription: String { "\(self.state) + \(self.message) → \(self.next) \(self.sent)" }
    }

    static func machine(in state: SSTPCallState) -> SSTPClientStateMachine {
        var client = client()
        switch state {
        case .clientConnectRequestSent:
            break
        case .clientConnectAckReceived:
            _ = client.receive(.callConnectAck(hashProtocols: .sha256, nonce: Fixture.serverNonce))
        case .clientCallConnected:
            client = connectedClient()
        default:
            preconditionFailure("not covered")
        }
        return client
    }

    /// §3.2.5.3.2–§3.2.5.3.8 for the three establishment states.
    static let rows: [Row] = {
        var rows: [Row] = []
        let states: [SSTPCallState] = [.clientConnectRequestSent, .clientConnectAckReceived, .clientCallConnected]
        for state in states {
            for type in SSTPMessageType.allCases {
                let row: Row
                switch (state, type) {
                case (_, .callAbort):
                    row = Row(state: state, message: type, next: .callAbortTimeoutPending, sent: [.callAbort])
                case (_, .callDisconnect):
                    row = Row(
                        state: state,
                        message: type,
                        next: .callDisconnectTimeoutPending,
                        sent: [.callDisconnectAck]
                    )
                case (.clientConnectRequestSent, .callConnectAck):
                    row = Row(state: state, message: type, next: .clientConnectAckReceived, sent: [])
                case (.clientConnectRequestSent, .callConnectNak):
                    row = Row(state: state, message: type, next: .clientConnectRequestSent, sent: [.callConnectRequest])
                case (.clientCallConnected, .echoRequest):
                    row = Row(state: state, message: type, next: .clientCallConnected, sent: [.echoResponse])
                case (.clientCallConnected, .echoResponse):
                    row = Row(state: state, message: type, next: .clientCallConnected, sent: [])
                default:
                    row = Row(state: state, message: type, next: .callAbortPending, sent: [.callAbort])
                }
                rows.append(row)
            }
        }
        return rows
    }()

    @Test("transition", arguments: rows)
    func transition(_ row: Row) {
        var client = Self.machine(in: row.state)
        #expect(client.callState == row.state)
        let actions = client.receive(SSTPServerTransitionTableTests.example(row.message))
        #expect(client.callState == row.next)
        #expect(sentMessages(actions).map(\.messageType) == row.sent)
    }

    @Test("connected: Hello timer, echo, disconnect")
    func connected() {
        var client = Self.connectedClient()
        #expect(client.receive(.echoRequest) == [.send(.echoResponse)])
        #expect(client.timerFired(.hello) == [.startTimer(.hello, after: .seconds(60))])
        #expect(client.timerFired(.hello) == [.send(.echoRequest), .startTimer(.hello, after: .seconds(60))])
        #expect(client.timerFired(.hello) == [.closeTransport(.helloTimeout)])

        client = Self.connectedClient()
        #expect(
            client.disconnect()
                == [
                    .cancelTimer(.hello), .send(.callDisconnect),
                    .startTimer(.disconnectStateTimer1, after: .seconds(5)),
                ]
        )
        #expect(
            client.receive(.callDisconnectAck)
                == [.cancelTimer(.disconnectStateTimer1), .closeTransport(.callDisconnected(acknowledged: true))]
        )
    }

    @Test("the client relays nothing before the ACK")
    func relayBeforeAck() {
        let client = Self.client()
        #expect(!client.mayRelay(pppFrame: Fixture.lcpFrame))
        #expect(!client.mayRelay(pppFrame: Fixture.ipFrame))
    }
}
