import NIOCore

/// The server side of one SSTP connection: call establishment (MS-SSTP §3.3.1.1.1), message processing
/// (§3.3.5.2.x), and the common abort and disconnect procedures (§3.1.1.1, §3.1.5.1).
///
/// The machine owns no I/O, clock or randomness: the adapter feeds it events and carries out the returned actions in
/// order. Timers are actions plus ``timerFired(_:)``; the Call Connect Acknowledge nonce is an input.
///
/// One deviation from the letter of the specification, taken by accel-ppp and sorz/sstp-server for interop: some
/// clients (sstp-client) send Call Connected before PPP authentication has finished on the server, when the HLAK is
/// not yet known. Such a Call Connected is held in `serverCallConnectedPending` and verified when
/// ``innerAuthenticationCompleted(hlak:)`` arrives. PPP data frames still flow only after verification.
public struct SSTPServerStateMachine: Sendable {
    /// Per-server settings (MS-SSTP §3.3.1 global variables).
    public struct Configuration: Sendable, Hashable {
        /// `ServerHashProtocolSupported`: the hash protocols offered in the Call Connect Acknowledge.
        public var offeredHashProtocols: SSTPHashProtocolBitmask
        /// `ServerCertificateHash`: the hashes of the leaf certificate the clients see.
        public var certificateHashes: SSTPCertificateHashes
        /// How many NAKs to send before aborting with ATTRIB_STATUS_RETRY_COUNT_EXCEEDED (§3.3.5.2.2). Windows
        /// servers "allow a retry count of 3" (MS-SSTP Appendix A <2>).
        public var maximumNakCount: Int
        /// Timer durations.
        public var timers: SSTPTimerValues

        public init(
            certificateHashes: SSTPCertificateHashes,
            offeredHashProtocols: SSTPHashProtocolBitmask = [.sha1, .sha256],
            maximumNakCount: Int = 3,
            timers: SSTPTimerValues = SSTPTimerValues()
        ) {
            // §2.2.6: "The server MUST set at least one bit."
            precondition(offeredHashProtocols.strongest != nil, "offer at least one of SHA-1 and SHA-256")
            precondition(maximumNakCount >= 0, "the NAK limit cannot be negative")
            self.certificateHashes = certificateHashes
            self.offeredHashProtocols = offeredHashProtocols.intersection([.sha1, .sha256])
            self.maximumNakCount = maximumNakCount
            self.timers = timers
        }
    }

    private enum State: Sendable {
        /// Before the HTTPS connection.
        case serverCallDisconnected
        case serverConnectRequestPending(nakCount: Int)
        /// `hlak` arrives with Inner Authentication Completed; `heldBinding` is a Call Connected that came first.
        case serverCallConnectedPending(hlak: [UInt8]?, heldBinding: SSTPCryptoBinding?)
        case serverCallConnected(SSTPHashProtocol)
        case teardown(SSTPTeardownState)
        /// After `.closeTransport` or ``transportClosed()``: every event is ignored. Reported as
        /// `serverCallDisconnected`, where the specification returns after cleanup.
        case closed
    }

    public let configuration: Configuration
    private let nonce: [UInt8]
    private var state: State = .serverCallDisconnected
    private var context: SSTPCallContext
    /// A second key the Compound MAC may be checked with (see ``innerAuthenticationCompleted(hlak:legacyHLAK:)``).
    private var legacyHLAK: [UInt8]?
    /// Whether the binding verified only with the legacy HLAK (logged by the caller).
    public private(set) var verifiedWithLegacyHLAK = false

    /// Why the abort procedure ran, once it has (for logs: the Call Abort's Status Info is coarser).
    public var abortReason: SSTPAbortReason? { self.context.abortReason }

    /// - Parameters:
    ///   - nonce: 32 fresh random bytes for this connection's Call Connect Acknowledge (§2.2.6); the same nonce is
    ///     used if the client retries after a NAK.
    public init(configuration: Configuration, nonce: [UInt8]) {
        precondition(nonce.count == SSTPCryptoBindingRequest.nonceLength, "an SSTP nonce is 32 bytes")
        self.configuration = configuration
        self.nonce = nonce
        self.context = SSTPCallContext(timerValues: configuration.timers)
    }

    /// The current state, named as in the specification.
    public var callState: SSTPCallState {
        switch self.state {
        case .serverCallDisconnected, .closed: .serverCallDisconnected
        case .serverConnectRequestPending: .serverConnectRequestPending
        case .serverCallConnectedPending: .serverCallConnectedPending
        case .serverCallConnected: .serverCallConnected
        case .teardown(let teardown): teardown.callState
        }
    }

    /// The verified hash protocol once the call is connected.
    public var negotiatedHashProtocol: SSTPHashProtocol? {
        if case .serverCallConnected(let hashProtocol) = self.state { return hashProtocol }
        return nil
    }

    /// Whether the machine has asked for (or been told of) the end of the connection.
    public var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    // MARK: Events

    /// The HTTPS connection is up and the SSTP_DUPLEX_POST request was accepted (§3.3.7.2, §3.3.2.1: the
    /// negotiation timer also bounds the wait for the Call Connect Request).
    public mutating func httpsEstablished() -> [SSTPAction] {
        guard case .serverCallDisconnected = self.state else {
            preconditionFailure("httpsEstablished() called twice")
        }
        var actions: [SSTPAction] = []
        self.context.startTimer(.negotiation, into: &actions)
        self.state = .serverConnectRequestPending(nakCount: 0)
        return actions
    }

    /// A control message arrived.
    public mutating func receive(_ message: SSTPControlMessage) -> [SSTPAction] {
        self.context.packetReceivedSinceHello = true
        let teardown: SSTPTeardownState?
        switch self.state {
        case .serverCallDisconnected:
            preconditionFailure("SSTP message before httpsEstablished()")
        case .closed:
            return []
        case .teardown(let current):
            teardown = current
        case .serverConnectRequestPending, .serverCallConnectedPending, .serverCallConnected:
            teardown = nil
        }

        switch message.messageType {
        case .callAbort:
            return self.apply(self.context.receiveCallAbort(message.statusInfo, in: teardown))
        case .callDisconnect:
            return self.apply(self.context.receiveCallDisconnect(message.statusInfo, in: teardown))
        case .callDisconnectAck:
            return self.apply(self.context.receiveCallDisconnectAck(in: teardown))
        case .callConnectRequest, .callConnectAck, .callConnectNak, .callConnected, .echoRequest, .echoResponse:
            break
        }

        switch self.state {
        case .serverCallDisconnected, .closed:
            preconditionFailure("handled above")
        case .teardown:
            // §3.3.5.2.2, .3, .7, .8: in Call_Abort_Timeout_Pending, Call_Abort_Pending, Call_Disconnect_Ack_Pending
            // and Call_Disconnect_Timeout_Pending, "Ignore the message."
            return []
        case .serverConnectRequestPending(let nakCount):
            guard message.messageType == .callConnectRequest else { break }
            return self.receiveCallConnectRequest(message, nakCount: nakCount)
        case .serverCallConnectedPending(let hlak, let heldBinding):
            switch message.messageType {
            case .callConnected where heldBinding == nil:
                return self.receiveCallConnected(message, hlak: hlak)
            case .echoRequest where heldBinding != nil:
                // The client sent Call Connected and so believes the call is up; answer its Hello rather than
                // abort while we wait for our PPP authentication to finish.
                return [.send(.echoResponse)]
            default:
                break
            }
        case .serverCallConnected:
            switch message.messageType {
            case .echoRequest:
                // §3.3.5.2.7: "Restart the Hello timer. Send an SSTP_MSG_ECHO_RESPONSE message." The restart is the
                // packet-received flag set above.
                return [.send(.echoResponse)]
            case .echoResponse:
                self.context.echoResponseReceived()
                return []
            default:
                break
            }
        }
        // "Else if CurrentState has any other value": the abort procedure.
        return self.apply(self.context.abort(.unexpectedMessage(message.messageType)))
    }

    /// A control packet could not be parsed (``SSTPParseError/invalidMessage(_:)``).
    ///
    /// A Call Connect Request with a wrong attribute length is NAKed with ATTRIB_STATUS_INVALID_ATTRIB_VALUE_LENGTH
    /// (§3.3.5.2.2, condition 2); in a teardown state the packet is ignored; otherwise the abort procedure runs
    /// (§3.3.5.2.1).
    public mutating func receiveInvalidMessage(_ error: SSTPMessageError) -> [SSTPAction] {
        self.context.packetReceivedSinceHello = true
        switch self.state {
        case .serverCallDisconnected:
            preconditionFailure("SSTP message before httpsEstablished()")
        case .closed, .teardown:
            return []
        case .serverConnectRequestPending(let nakCount)
        where error.messageType == .callConnectRequest && error.code == .invalidAttributeLength:
            return self.nak([error.statusInfo], nakCount: nakCount)
        case .serverConnectRequestPending, .serverCallConnectedPending, .serverCallConnected:
            return self.apply(self.context.abort(.invalidMessage(error.code, attributeID: error.attributeID)))
        }
    }

    /// A data packet arrived. Returns whether to hand its PPP frame to PPP (§3.3.7.2): control frames from
    /// `serverCallConnectedPending` on, data frames only in `serverCallConnected`; everything else is dropped.
    ///
    /// Cheap: no allocation, no actions. Every packet counts as liveness for the Hello timer.
    public mutating func receiveDataPacket(_ pppFrame: ByteBuffer) -> Bool {
        self.context.packetReceivedSinceHello = true
        return self.mayRelay(pppFrame: pppFrame)
    }

    /// Whether a PPP frame may be sent to or delivered from the client now (§3.3.7.1, §3.3.7.2).
    public func mayRelay(pppFrame: ByteBuffer) -> Bool {
        guard let kind = SSTPPayloadKind(pppFrame: pppFrame) else { return false }
        return self.mayRelay(kind)
    }

    /// Whether PPP frames of `kind` may be relayed now, in either direction.
    ///
    /// > Until a valid Call Connected message is received, the server MUST allow only PPP control frames to flow
    /// > through, and all PPP data frames will be ignored (or discarded). (§3.3.5.2.3)
    public func mayRelay(_ kind: SSTPPayloadKind) -> Bool {
        switch self.state {
        case .serverCallConnectedPending: kind == .pppControl
        case .serverCallConnected: true
        case .serverCallDisconnected, .serverConnectRequestPending, .teardown, .closed: false
        }
    }

    /// PPP authentication finished ("Inner Authentication Completed", §3.3.7.1) with this HLAK (32 bytes; see
    /// ``SSTPCryptoBinding/higherLayerAuthenticationKey(from:)``; server side MS-CHAPv2:
    /// MasterReceiveKey ‖ MasterSendKey). A Call Connected that arrived earlier is verified now.
    ///
    /// - Parameter legacyHLAK: an opt-in second key for one known client defect: sstp-client with pppd 2.4.x keeps
    ///   only 16 bytes of each EAP-TLS MPPE key and so keys its Compound MAC with MSK[0..<16] ‖ MSK[32..<48]
    ///   instead of the MSK[0..<32] MS-SSTP §3.2.5.2.2 and RFC 5216 give. When set, a Compound MAC that does not
    ///   verify with `hlak` is checked once more with it (both come from the same inner authentication, so the
    ///   binding still ties the outer TLS to it), and ``verifiedWithLegacyHLAK`` says which one matched.
    public mutating func innerAuthenticationCompleted(hlak: [UInt8], legacyHLAK: [UInt8]? = nil) -> [SSTPAction] {
        self.legacyHLAK = legacyHLAK
        switch self.state {
        case .serverCallDisconnected, .serverConnectRequestPending:
            preconditionFailure("PPP cannot authenticate before Lower Link Up")
        case .serverCallConnectedPending(_, let heldBinding?):
            return self.verify(heldBinding, hlak: hlak)
        case .serverCallConnectedPending(_, nil):
            self.state = .serverCallConnectedPending(hlak: hlak, heldBinding: nil)
            return []
        case .serverCallConnected, .teardown, .closed:
            return []
        }
    }

    /// A timer started by an earlier action expired.
    public mutating func timerFired(_ timer: SSTPTimer) -> [SSTPAction] {
        guard self.context.timerExpired(timer) else { return [] }
        switch (timer, self.state) {
        case (.negotiation, .serverConnectRequestPending), (.negotiation, .serverCallConnectedPending):
            // §3.3.6.1: the abort procedure.
            return self.apply(self.context.abort(.negotiationTimeout))
        case (.hello, .serverCallConnected):
            return self.apply(self.context.helloTimerExpired())
        case (.abortStateTimer1, .teardown), (.abortStateTimer2, .teardown), (.disconnectStateTimer1, .teardown),
            (.disconnectStateTimer2, .teardown):
            return self.apply(self.context.teardownTimerExpired(timer))
        default:
            // Timers are cancelled on every transition that makes them meaningless.
            return []
        }
    }

    /// Disconnect the call gracefully: an administrator's request or shutdown (§3.3.4), or PPP having finished
    /// (see ``pppLinkDown()``). Sends Call Disconnect and waits for the acknowledgement.
    public mutating func disconnect() -> [SSTPAction] {
        switch self.state {
        case .serverCallDisconnected:
            self.state = .closed
            return [.closeTransport(.callDisconnected(acknowledged: false))]
        case .teardown, .closed:
            return []
        case .serverConnectRequestPending, .serverCallConnectedPending, .serverCallConnected:
            return self.apply(self.context.disconnect())
        }
    }

    /// PPP went down (LCP closed, authentication failed): the SSTP call is disconnected (§3.2.4.2: "After the PPP is
    /// torn down, SSTP is triggered to bring down the SSTP tunnel").
    public mutating func pppLinkDown() -> [SSTPAction] {
        self.disconnect()
    }

    /// The HTTPS connection is gone (§3.1.7.2: "clean up the call-related information without any over-the-wire
    /// interaction"). Returns the timer cancellations; PPP must be told the lower layer is down.
    public mutating func transportClosed() -> [SSTPAction] {
        var actions: [SSTPAction] = []
        self.context.cancelAllTimers(into: &actions)
        self.state = .closed
        return actions
    }

    // MARK: Message processing

    /// §3.3.5.2.2 in Server_Connect_Request_Pending.
    private mutating func receiveCallConnectRequest(_ message: SSTPControlMessage, nakCount: Int) -> [SSTPAction] {
        var rejected: [SSTPStatusInfo] = []
        var protocolIDCount = 0
        for attribute in message.attributes {
            switch attribute {
            case .encapsulatedProtocolID(let protocolID):
                protocolIDCount += 1
                if protocolIDCount > 1 {
                    rejected.append(SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .duplicateAttribute))
                } else if protocolID != .ppp {
                    // §2.2.8: "AttribValue = the value proposed by the client".
                    let proposed = [UInt8(protocolID.rawValue >> 8), UInt8(protocolID.rawValue & 0xFF)]
                    rejected.append(
                        SSTPStatusInfo(
                            attributeID: .encapsulatedProtocolID,
                            status: .valueNotSupported,
                            value: proposed
                        )
                    )
                }
            case .statusInfo(let info) where info.status != .noError:
                rejected.append(SSTPStatusInfo(attributeID: .statusInfo, status: .statusInfoNotSupportedInMsg))
            case .statusInfo:
                break
            case .cryptoBinding, .cryptoBindingRequest:
                rejected.append(SSTPStatusInfo(attributeID: attribute.id, status: .attribNotSupportedInMsg))
            case .unknown(let id, _):
                rejected.append(SSTPStatusInfo(attributeID: id, status: .unrecognizedAttribute))
            }
        }
        if protocolIDCount == 0 {
            // Condition 6 names SSTP_ATTRIB_STATUS_INFO as the Attribute ID; followed to the letter.
            rejected.append(SSTPStatusInfo(attributeID: .statusInfo, status: .requiredAttributeMissing))
        }
        guard rejected.isEmpty else {
            return self.nak(rejected, nakCount: nakCount)
        }

        // "The server MUST: Start the negotiation timer. Respond with an SSTP_MSG_CALL_CONNECT_ACK message. Change
        // CurrentState to Server_Call_Connected_Pending." and SHOULD "Request the PPP layer to start the FSM."
        var actions: [SSTPAction] = [
            .send(.callConnectAck(hashProtocols: self.configuration.offeredHashProtocols, nonce: self.nonce))
        ]
        self.context.startTimer(.negotiation, into: &actions)
        actions.append(.lowerLayerUp)
        self.state = .serverCallConnectedPending(hlak: nil, heldBinding: nil)
        return actions
    }

    /// Sends a NAK, or aborts once the NAK budget is spent (§3.3.5.2.2).
    private mutating func nak(_ statusInfos: [SSTPStatusInfo], nakCount: Int) -> [SSTPAction] {
        guard nakCount < self.configuration.maximumNakCount else {
            return self.apply(self.context.abort(.retryCountExceeded))
        }
        self.state = .serverConnectRequestPending(nakCount: nakCount + 1)
        return [.send(.callConnectNak(statusInfos))]
    }

    /// §3.3.5.2.3 in Server_Call_Connected_Pending, for the first Call Connected.
    private mutating func receiveCallConnected(_ message: SSTPControlMessage, hlak: [UInt8]?) -> [SSTPAction] {
        // "A Crypto Binding attribute is present", and nothing else is allowed (§2.2.11).
        guard message.attributes.count == 1, case .cryptoBinding(let binding) = message.attributes[0] else {
            return self.apply(self.context.abort(.invalidCallConnected))
        }
        guard let hlak else {
            self.state = .serverCallConnectedPending(hlak: nil, heldBinding: binding)
            return []
        }
        return self.verify(binding, hlak: hlak)
    }

    /// Verifies the crypto binding and connects the call, or aborts.
    private mutating func verify(_ binding: SSTPCryptoBinding, hlak: [UInt8]) -> [SSTPAction] {
        var result = binding.verify(
            nonce: self.nonce,
            offeredHashProtocols: self.configuration.offeredHashProtocols,
            certificateHashes: self.configuration.certificateHashes,
            hlak: hlak
        )
        if case .failure(.compoundMACMismatch) = result, let legacyHLAK = self.legacyHLAK {
            result = binding.verify(
                nonce: self.nonce,
                offeredHashProtocols: self.configuration.offeredHashProtocols,
                certificateHashes: self.configuration.certificateHashes,
                hlak: legacyHLAK
            )
            if case .success = result { self.verifiedWithLegacyHLAK = true }
        }
        switch result {
        case .success(let hashProtocol):
            var actions: [SSTPAction] = []
            self.context.cancelTimer(.negotiation, into: &actions)
            self.context.startHello(into: &actions)
            actions.append(.callConnected(hashProtocol))
            self.state = .serverCallConnected(hashProtocol)
            return actions
        case .failure(let failure):
            // "If any of the preceding checks fail, the server MUST start the abort processing procedure."
            return self.apply(self.context.abort(.cryptoBindingMismatch(failure)))
        }
    }

    private mutating func apply(_ transition: SSTPTeardownTransition) -> [SSTPAction] {
        switch transition {
        case .ignore:
            return []
        case .stay(let actions):
            return actions
        case .enter(let teardown, let actions):
            self.state = .teardown(teardown)
            return actions
        case .close(let actions):
            self.state = .closed
            return actions
        }
    }
}
