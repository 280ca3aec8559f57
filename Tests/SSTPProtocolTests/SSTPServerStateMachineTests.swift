import NIOCore
import SSTPProtocol
import Testing

/// Server machines driven into each resting state.
enum ServerFixture {
    static func configuration(
        offered: SSTPHashProtocolBitmask = [.sha1, .sha256]
    ) -> SSTPServerStateMachine.Configuration {
        SSTPServerStateMachine.Configuration(
            certificateHashes: Fixture.certificateHashes,
            offeredHashProtocols: offered
        )
    }

    static func connectRequestPending(offered: SSTPHashProtocolBitmask = [.sha1, .sha256]) -> SSTPServerStateMachine {
        var server = SSTPServerStateMachine(configuration: configuration(offered: offered), nonce: Fixture.serverNonce)
        _ = server.httpsEstablished()
        return server
    }

    static func callConnectedPending(offered: SSTPHashProtocolBitmask = [.sha1, .sha256]) -> SSTPServerStateMachine {
        var server = connectRequestPending(offered: offered)
        _ = server.receive(.callConnectRequest)
        return server
    }

    static func callConnected() -> SSTPServerStateMachine {
        var server = callConnectedPending()
        _ = server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK)
        _ = server.receive(.callConnected(Fixture.binding()))
        return server
    }

    static func callAbortPending() -> SSTPServerStateMachine {
        var server = connectRequestPending()
        _ = server.receive(.echoRequest)
        return server
    }

    static func callAbortTimeoutPending() -> SSTPServerStateMachine {
        var server = connectRequestPending()
        _ = server.receive(.callAbort(nil))
        return server
    }

    static func callDisconnectAckPending() -> SSTPServerStateMachine {
        var server = callConnected()
        _ = server.disconnect()
        return server
    }

    static func callDisconnectTimeoutPending() -> SSTPServerStateMachine {
        var server = connectRequestPending()
        _ = server.receive(.callDisconnect)
        return server
    }

    static func machine(in state: SSTPCallState) -> SSTPServerStateMachine {
        switch state {
        case .serverConnectRequestPending: connectRequestPending()
        case .serverCallConnectedPending: callConnectedPending()
        case .serverCallConnected: callConnected()
        case .callAbortPending: callAbortPending()
        case .callAbortTimeoutPending: callAbortTimeoutPending()
        case .callDisconnectAckPending: callDisconnectAckPending()
        case .callDisconnectTimeoutPending: callDisconnectTimeoutPending()
        default: preconditionFailure("not a resting server state")
        }
    }
}

@Suite("SSTP server state machine: transition table")
struct SSTPServerTransitionTableTests {
    /// One row: a message received in a state gives a next state and the message types sent.
    struct Row: Sendable, CustomTestStringConvertible {
        var state: SSTPCallState
        var message: SSTPMessageType
        var next: SSTPCallState
        var sent: [SSTPMessageType]
        var testDescription: String { "\(self.state) + \(self.message) → \(self.next) \(self.sent)" }
    }

    /// A well-formed example of each message type.
    static func example(_ type: SSTPMessageType) -> SSTPControlMessage {
        switch type {
        case .callConnectRequest: .callConnectRequest
        case .callConnectAck: .callConnectAck(hashProtocols: .sha256, nonce: Fixture.serverNonce)
        case .callConnectNak:
            .callConnectNak([SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .valueNotSupported)])
        case .callConnected: .callConnected(Fixture.binding())
        case .callAbort: .callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .unacceptedFrameReceived))
        case .callDisconnect: .callDisconnect
        case .callDisconnectAck: .callDisconnectAck
        case .echoRequest: .echoRequest
        case .echoResponse: .echoResponse
        }
    }

    static func row(
        _ state: SSTPCallState,
        _ message: SSTPMessageType,
        _ next: SSTPCallState,
        _ sent: [SSTPMessageType]
    )
        -> Row
    {
        Row(state: state, message: message, next: next, sent: sent)
    }

    /// MS-SSTP §3.3.5.2.2–§3.3.5.2.8 for every resting state and message type.
    static let rows: [Row] = {
        var rows: [Row] = []
        let abort: (SSTPCallState, SSTPMessageType) -> Row = { row($0, $1, .callAbortPending, [.callAbort]) }
        let ignore: (SSTPCallState, SSTPMessageType) -> Row = { row($0, $1, $0, []) }
        let all = SSTPMessageType.allCases

        // Server_Connect_Request_Pending: only a Connect Request is expected.
        for type in all {
            switch type {
            case .callConnectRequest:
                rows.append(row(.serverConnectRequestPending, type, .serverCallConnectedPending, [.callConnectAck]))
            case .callAbort:
                rows.append(row(.serverConnectRequestPending, type, .callAbortTimeoutPending, [.callAbort]))
            case .callDisconnect:
                rows.append(
                    row(.serverConnectRequestPending, type, .callDisconnectTimeoutPending, [.callDisconnectAck])
                )
            default: rows.append(abort(.serverConnectRequestPending, type))
            }
        }
        // Server_Call_Connected_Pending: a Call Connected before the HLAK is held (no reply).
        for type in all {
            switch type {
            case .callConnected: rows.append(ignore(.serverCallConnectedPending, type))
            case .callAbort: rows.append(row(.serverCallConnectedPending, type, .callAbortTimeoutPending, [.callAbort]))
            case .callDisconnect:
                rows.append(row(.serverCallConnectedPending, type, .callDisconnectTimeoutPending, [.callDisconnectAck]))
            default: rows.append(abort(.serverCallConnectedPending, type))
            }
        }
        // Server_Call_Connected: echoes are answered or noted.
        for type in all {
            switch type {
            case .echoRequest: rows.append(row(.serverCallConnected, type, .serverCallConnected, [.echoResponse]))
            case .echoResponse: rows.append(ignore(.serverCallConnected, type))
            case .callAbort: rows.append(row(.serverCallConnected, type, .callAbortTimeoutPending, [.callAbort]))
            case .callDisconnect:
                rows.append(row(.serverCallConnected, type, .callDisconnectTimeoutPending, [.callDisconnectAck]))
            default: rows.append(abort(.serverCallConnected, type))
            }
        }
        // Call_Abort_Pending: only the far end's Call Abort matters (and is not answered).
        for type in all {
            switch type {
            case .callAbort: rows.append(row(.callAbortPending, type, .callAbortTimeoutPending, []))
            default: rows.append(ignore(.callAbortPending, type))
            }
        }
        // Call_Abort_Timeout_Pending and Call_Disconnect_Timeout_Pending: everything is ignored.
        for type in all {
            rows.append(ignore(.callAbortTimeoutPending, type))
            rows.append(ignore(.callDisconnectTimeoutPending, type))
        }
        // Call_Disconnect_Ack_Pending.
        for type in all {
            switch type {
            case .callAbort: rows.append(row(.callDisconnectAckPending, type, .callAbortTimeoutPending, [.callAbort]))
            case .callDisconnect:
                rows.append(row(.callDisconnectAckPending, type, .callDisconnectTimeoutPending, [.callDisconnectAck]))
            case .callDisconnectAck: rows.append(row(.callDisconnectAckPending, type, .serverCallDisconnected, []))
            default: rows.append(ignore(.callDisconnectAckPending, type))
            }
        }
        return rows
    }()

    @Test("transition", arguments: rows)
    func transition(_ row: Row) {
        var server = ServerFixture.machine(in: row.state)
        #expect(server.callState == row.state)
        let actions = server.receive(Self.example(row.message))
        #expect(server.callState == row.next)
        #expect(sentMessages(actions).map(\.messageType) == row.sent)
        #expect((closeReason(actions) != nil) == server.isClosed)
    }

    @Test("the table covers every resting state and message type")
    func coverage() {
        #expect(Self.rows.count == 7 * SSTPMessageType.allCases.count)
    }
}

@Suite("SSTP server state machine: establishment")
struct SSTPServerEstablishmentTests {
    @Test("HTTPS established starts the negotiation timer")
    func httpsEstablished() {
        var server = SSTPServerStateMachine(configuration: ServerFixture.configuration(), nonce: Fixture.serverNonce)
        #expect(server.callState == .serverCallDisconnected)
        #expect(server.httpsEstablished() == [.startTimer(.negotiation, after: .seconds(60))])
        #expect(server.callState == .serverConnectRequestPending)
    }

    @Test("a valid Connect Request: ACK with our offer and nonce, negotiation timer restarted, PPP started")
    func connectRequest() {
        var server = ServerFixture.connectRequestPending()
        let actions = server.receive(.callConnectRequest)
        #expect(
            actions == [
                .send(.callConnectAck(hashProtocols: [.sha1, .sha256], nonce: Fixture.serverNonce)),
                .startTimer(.negotiation, after: .seconds(60)),
                .lowerLayerUp,
            ]
        )
    }

    @Test("Call Connected after authentication connects the call")
    func callConnectedAfterAuthentication() {
        var server = ServerFixture.callConnectedPending()
        #expect(server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK) == [])
        #expect(!server.mayRelay(pppFrame: Fixture.ipFrame))
        let actions = server.receive(.callConnected(Fixture.binding()))
        #expect(
            actions == [
                .cancelTimer(.negotiation), .startTimer(.hello, after: .seconds(60)), .callConnected(.sha256),
            ]
        )
        #expect(server.callState == .serverCallConnected)
        #expect(server.negotiatedHashProtocol == .sha256)
        #expect(server.mayRelay(pppFrame: Fixture.ipFrame))
    }

    @Test("Call Connected before authentication is held, then verified when the HLAK arrives (sstp-client order)")
    func callConnectedBeforeAuthentication() {
        var server = ServerFixture.callConnectedPending()
        #expect(server.receive(.callConnected(Fixture.binding(.sha1))) == [])
        #expect(server.callState == .serverCallConnectedPending)
        #expect(relay(&server, Fixture.lcpFrame))
        #expect(!relay(&server, Fixture.ipFrame))
        let actions = server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK)
        #expect(
            actions == [.cancelTimer(.negotiation), .startTimer(.hello, after: .seconds(60)), .callConnected(.sha1)]
        )
        #expect(relay(&server, Fixture.ipFrame))
    }

    @Test("an Echo Request while a Call Connected is held is answered, not aborted")
    func echoWhileHeld() {
        var server = ServerFixture.callConnectedPending()
        _ = server.receive(.callConnected(Fixture.binding()))
        #expect(server.receive(.echoRequest) == [.send(.echoResponse)])
        #expect(server.callState == .serverCallConnectedPending)
    }

    enum BadBinding: String, CaseIterable, Sendable {
        case wrongNonce, wrongCertificateHash, wrongMAC, unofferedAlgorithm
    }

    static func badCase(_ bad: BadBinding) -> (SSTPServerStateMachine, SSTPCryptoBinding, SSTPCryptoBindingFailure) {
        switch bad {
        case .wrongNonce:
            return (
                ServerFixture.callConnectedPending(),
                Fixture.binding(nonce: [UInt8](repeating: 9, count: 32)),
                .nonceMismatch
            )
        case .wrongCertificateHash:
            let other = SSTPCertificateHashes(certificateDER: Array("a man in the middle".utf8))
            return (ServerFixture.callConnectedPending(), Fixture.binding(hashes: other), .certificateHashMismatch)
        case .wrongMAC:
            return (
                ServerFixture.callConnectedPending(),
                Fixture.binding(hlak: [UInt8](repeating: 0, count: 32)),
                .compoundMACMismatch
            )
        case .unofferedAlgorithm:
            return (
                ServerFixture.callConnectedPending(offered: .sha256), Fixture.binding(.sha1), .hashProtocolNotOffered
            )
        }
    }

    static let expectedAbortPrefix: [SSTPAction] = [.cancelTimer(.negotiation)]

    @Test(
        "a bad crypto binding aborts, before or after authentication, and data never flows",
        arguments: BadBinding.allCases,
        [true, false]
    )
    func badBinding(_ bad: BadBinding, heldUntilAuthentication: Bool) {
        var (server, binding, failure) = Self.badCase(bad)
        let actions: [SSTPAction]
        if heldUntilAuthentication {
            #expect(server.receive(.callConnected(binding)) == [])
            actions = server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK)
        } else {
            _ = server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK)
            actions = server.receive(.callConnected(binding))
        }
        let reason = SSTPAbortReason.cryptoBindingMismatch(failure)
        #expect(reason.statusInfo == SSTPStatusInfo(attributeID: .cryptoBinding, status: .valueNotSupported))
        #expect(
            actions == [
                .cancelTimer(.negotiation),
                .send(.callAbort(reason.statusInfo)),
                .startTimer(.abortStateTimer1, after: .seconds(3)),
            ]
        )
        #expect(server.callState == .callAbortPending)
        #expect(!actions.contains { if case .callConnected = $0 { true } else { false } })
        #expect(!relay(&server, Fixture.ipFrame))
        #expect(!relay(&server, Fixture.lcpFrame))
        // The far end answers, the abort completes, and data still never flowed.
        _ = server.receive(.callAbort(nil))
        #expect(server.timerFired(.abortStateTimer2) == [.closeTransport(.callAborted(reason))])
        #expect(!server.mayRelay(.pppData))
    }

    @Test(
        "a Call Connected without exactly one Crypto Binding aborts with ATTRIB_NOT_SUPPORTED_IN_MSG",
        arguments: [
            SSTPControlMessage(.callConnected),
            SSTPControlMessage(.callConnected, attributes: [.cryptoBinding(Fixture.binding()), .statusInfo(.noError)]),
            SSTPControlMessage(.callConnected, attributes: [.statusInfo(.noError)]),
        ]
    )
    func invalidCallConnected(_ message: SSTPControlMessage) {
        var server = ServerFixture.callConnectedPending()
        let actions = server.receive(message)
        #expect(
            sentMessages(actions)
                == [.callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .attribNotSupportedInMsg))]
        )
        #expect(server.callState == .callAbortPending)
    }

    @Test("data relay by state: nothing before the ACK, control frames while pending, all once connected")
    func relayPolicy() {
        var server = ServerFixture.connectRequestPending()
        #expect(!relay(&server, Fixture.lcpFrame))
        _ = server.receive(.callConnectRequest)
        #expect(server.mayRelay(.pppControl) && !server.mayRelay(.pppData))
        server = ServerFixture.callConnected()
        #expect(server.mayRelay(.pppControl) && server.mayRelay(.pppData))
        _ = server.disconnect()
        #expect(!server.mayRelay(.pppControl) && !server.mayRelay(.pppData))
    }

    @Test(
        "PPP frame classification",
        arguments: [
            (hex("FF 03 C0 21 01"), SSTPPayloadKind?.some(.pppControl)),
            (hex("C0 21 01"), .pppControl),
            (hex("FF 03 C2 23 01"), .pppControl),
            (hex("FF 03 80 21 01"), .pppControl),
            (hex("FF 03 80 57 01"), .pppControl),
            (hex("FF 03 00 21 45"), .pppData),
            (hex("FF 03 00 57 60"), .pppData),
            (hex("21 45 00"), .pppData),
            (hex("FF 03"), nil),
            (hex("C0"), nil),
            ([], nil),
        ]
    )
    func classification(_ frame: [UInt8], _ kind: SSTPPayloadKind?) {
        #expect(SSTPPayloadKind(pppFrame: ByteBuffer(bytes: frame)) == kind)
    }
}

@Suite("SSTP server state machine: NAK")
struct SSTPServerNakTests {
    static let badRequest = SSTPControlMessage(
        .callConnectRequest,
        attributes: [.encapsulatedProtocolID(SSTPEncapsulatedProtocolID(rawValue: 2))]
    )

    @Test("an unsupported protocol is NAKed with the proposed value, up to three times, then aborted")
    func retryLimit() {
        var server = ServerFixture.connectRequestPending()
        let nak = SSTPControlMessage.callConnectNak([
            SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .valueNotSupported, value: [0x00, 0x02])
        ])
        for _ in 0..<3 {
            #expect(server.receive(Self.badRequest) == [.send(nak)])
            #expect(server.callState == .serverConnectRequestPending)
        }
        let actions = server.receive(Self.badRequest)
        #expect(
            actions == [
                .cancelTimer(.negotiation),
                .send(.callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .retryCountExceeded))),
                .startTimer(.abortStateTimer1, after: .seconds(3)),
            ]
        )
        #expect(server.callState == .callAbortPending)
    }

    @Test("a valid request after a NAK is accepted")
    func retrySucceeds() {
        var server = ServerFixture.connectRequestPending()
        _ = server.receive(Self.badRequest)
        #expect(sentMessages(server.receive(.callConnectRequest)).map(\.messageType) == [.callConnectAck])
        #expect(server.callState == .serverCallConnectedPending)
    }

    @Test(
        "NAK Status Info per §3.3.5.2.2",
        arguments: [
            // Status Info with a non-zero status.
            (
                [
                    .encapsulatedProtocolID(.ppp),
                    .statusInfo(SSTPStatusInfo(attributeID: .statusInfo, status: .valueNotSupported)),
                ],
                [SSTPStatusInfo(attributeID: .statusInfo, status: .statusInfoNotSupportedInMsg)]
            ),
            // Duplicate Encapsulated Protocol ID.
            (
                [.encapsulatedProtocolID(.ppp), .encapsulatedProtocolID(.ppp)],
                [SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .duplicateAttribute)]
            ),
            // Unrecognised attribute.
            (
                [.encapsulatedProtocolID(.ppp), .unknown(id: SSTPAttributeID(rawValue: 9), value: [])],
                [SSTPStatusInfo(attributeID: SSTPAttributeID(rawValue: 9), status: .unrecognizedAttribute)]
            ),
            // A known attribute that does not belong in a Connect Request.
            (
                [
                    .encapsulatedProtocolID(.ppp),
                    .cryptoBindingRequest(SSTPCryptoBindingRequest(hashProtocols: .sha1, nonce: Fixture.serverNonce)),
                ],
                [SSTPStatusInfo(attributeID: .cryptoBindingRequest, status: .attribNotSupportedInMsg)]
            ),
            // No Encapsulated Protocol ID.
            (
                [SSTPAttribute](),
                [SSTPStatusInfo(attributeID: .statusInfo, status: .requiredAttributeMissing)]
            ),
        ] as [([SSTPAttribute], [SSTPStatusInfo])]
    )
    func nakContents(_ attributes: [SSTPAttribute], _ expected: [SSTPStatusInfo]) {
        var server = ServerFixture.connectRequestPending()
        #expect(
            server.receive(SSTPControlMessage(.callConnectRequest, attributes: attributes)) == [
                .send(.callConnectNak(expected))
            ]
        )
    }

    @Test("a Connect Request with a wrong attribute length is NAKed with INVALID_ATTRIB_VALUE_LENGTH")
    func invalidLength() throws {
        var parser = SSTPPacketParser()
        parser.append(ByteBuffer(bytes: hex("10 01 00 0F 00 01 00 01 00 01 00 07 00 01 00")))
        var server = ServerFixture.connectRequestPending()
        do {
            _ = try parser.nextPacket()
            Issue.record("expected a message error")
        } catch {
            guard case .invalidMessage(let messageError) = error else { throw error }
            #expect(
                server.receiveInvalidMessage(messageError)
                    == [
                        .send(
                            .callConnectNak([
                                SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .invalidAttribValueLength)
                            ])
                        )
                    ]
            )
        }
    }

    @Test("an invalid message otherwise aborts with INVALID_FRAME_RECEIVED, and is ignored while tearing down")
    func invalidMessage() {
        var parser = SSTPPacketParser()
        parser.append(ByteBuffer(bytes: hex("10 01 00 08 00 0A 00 00 10 01 00 08 00 0A 00 00")))
        var errors: [SSTPMessageError] = []
        for _ in 0..<2 {
            do { _ = try parser.nextPacket() } catch { if case .invalidMessage(let e) = error { errors.append(e) } }
        }
        #expect(errors.count == 2)
        var server = ServerFixture.callConnected()
        let actions = server.receiveInvalidMessage(errors[0])
        #expect(
            sentMessages(actions) == [
                .callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .invalidFrameReceived))
            ]
        )
        #expect(server.receiveInvalidMessage(errors[1]) == [])
        #expect(server.callState == .callAbortPending)
    }
}

/// `receiveDataPacket` through a function, since `#expect` cannot call a mutating method directly.
func relay(_ server: inout SSTPServerStateMachine, _ frame: ByteBuffer) -> Bool {
    server.receiveDataPacket(frame)
}
