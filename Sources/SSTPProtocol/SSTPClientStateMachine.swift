import NIOCore

/// The client side of an SSTP connection (MS-SSTP §3.2), for `sstp-dial`: call establishment (§3.2.1.1.1), message
/// processing (§3.2.5.3.x) and the common abort and disconnect procedures (§3.1.1.1).
///
/// Like ``SSTPServerStateMachine`` it owns no I/O, clock or randomness; the server certificate hashes (taken from the
/// TLS handshake) are inputs.
public struct SSTPClientStateMachine: Sendable {
    /// Per-connection settings (MS-SSTP §3.2.1).
    public struct Configuration: Sendable, Hashable {
        /// `ClientCertificateHash`: the hashes of the server's leaf certificate as received in the TLS handshake.
        public var serverCertificateHashes: SSTPCertificateHashes
        /// `ClientHashProtocolSupported`.
        public var supportedHashProtocols: SSTPHashProtocolBitmask
        /// How many times to resend the Call Connect Request after a NAK before aborting (§3.2.5.3.3).
        public var maximumNakRetries: Int
        /// Timer durations.
        public var timers: SSTPTimerValues

        public init(
            serverCertificateHashes: SSTPCertificateHashes,
            supportedHashProtocols: SSTPHashProtocolBitmask = [.sha1, .sha256],
            maximumNakRetries: Int = 3,
            timers: SSTPTimerValues = SSTPTimerValues()
        ) {
            precondition(supportedHashProtocols.strongest != nil, "support at least one of SHA-1 and SHA-256")
            precondition(maximumNakRetries >= 0, "the retry limit cannot be negative")
            self.serverCertificateHashes = serverCertificateHashes
            self.supportedHashProtocols = supportedHashProtocols
            self.maximumNakRetries = maximumNakRetries
            self.timers = timers
        }
    }

    private enum State: Sendable {
        case clientCallDisconnected
        case clientConnectRequestSent(nakCount: Int)
        /// `ClientNonce` and `ClientHashProtocolChosen`.
        case clientConnectAckReceived(nonce: [UInt8], hashProtocol: SSTPHashProtocol)
        case clientCallConnected(SSTPHashProtocol)
        case teardown(SSTPTeardownState)
        case closed
    }

    public let configuration: Configuration
    private var state: State = .clientCallDisconnected
    private var context: SSTPCallContext

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.context = SSTPCallContext(timerValues: configuration.timers)
    }

    /// The current state, named as in the specification.
    public var callState: SSTPCallState {
        switch self.state {
        case .clientCallDisconnected, .closed: .clientCallDisconnected
        case .clientConnectRequestSent: .clientConnectRequestSent
        case .clientConnectAckReceived: .clientConnectAckReceived
        case .clientCallConnected: .clientCallConnected
        case .teardown(let teardown): teardown.callState
        }
    }

    /// The hash protocol chosen from the server's offer, once known.
    public var chosenHashProtocol: SSTPHashProtocol? {
        switch self.state {
        case .clientConnectAckReceived(_, let hashProtocol), .clientCallConnected(let hashProtocol): hashProtocol
        default: nil
        }
    }

    /// Whether the machine has asked for (or been told of) the end of the connection.
    public var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }

    // MARK: Events

    /// The HTTPS session is up and the server answered `200` (§3.2.4.1): "MUST send a Call Connect Request message
    /// with the Encapsulated Protocol ID that corresponds to PPP", and start the negotiation timer (§3.2.2.1).
    public mutating func httpsEstablished() -> [SSTPAction] {
        guard case .clientCallDisconnected = self.state else {
            preconditionFailure("httpsEstablished() called twice")
        }
        var actions: [SSTPAction] = [.send(.callConnectRequest)]
        self.context.startTimer(.negotiation, into: &actions)
        self.state = .clientConnectRequestSent(nakCount: 0)
        return actions
    }

    /// A control message arrived.
    public mutating func receive(_ message: SSTPControlMessage) -> [SSTPAction] {
        self.context.packetReceivedSinceHello = true
        let teardown: SSTPTeardownState?
        switch self.state {
        case .clientCallDisconnected:
            preconditionFailure("SSTP message before httpsEstablished()")
        case .closed:
            return []
        case .teardown(let current):
            teardown = current
        case .clientConnectRequestSent, .clientConnectAckReceived, .clientCallConnected:
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
        case .clientCallDisconnected, .closed:
            preconditionFailure("handled above")
        case .teardown:
            // §3.2.5.3.2, .3, .7, .8: ignored in the four teardown states.
            return []
        case .clientConnectRequestSent(let nakCount):
            switch message.messageType {
            case .callConnectAck: return self.receiveCallConnectAck(message)
            case .callConnectNak: return self.receiveCallConnectNak(nakCount: nakCount)
            default: break
            }
        case .clientConnectAckReceived:
            break
        case .clientCallConnected:
            switch message.messageType {
            case .echoRequest:
                // §3.2.5.3.7: "Restart the Hello timer. Send an SSTP_MSG_ECHO_RESPONSE message."
                return [.send(.echoResponse)]
            case .echoResponse:
                self.context.echoResponseReceived()
                return []
            default:
                break
            }
        }
        return self.apply(self.context.abort(.unexpectedMessage(message.messageType)))
    }

    /// A control packet could not be parsed: the abort procedure (§3.2.5.3.1), unless already tearing down.
    public mutating func receiveInvalidMessage(_ error: SSTPMessageError) -> [SSTPAction] {
        self.context.packetReceivedSinceHello = true
        switch self.state {
        case .clientCallDisconnected:
            preconditionFailure("SSTP message before httpsEstablished()")
        case .closed, .teardown:
            return []
        case .clientConnectRequestSent, .clientConnectAckReceived, .clientCallConnected:
            return self.apply(self.context.abort(.invalidMessage(error.code, attributeID: error.attributeID)))
        }
    }

    /// A data packet arrived; returns whether to hand its PPP frame to PPP (§3.2.7.2).
    public mutating func receiveDataPacket(_ pppFrame: ByteBuffer) -> Bool {
        self.context.packetReceivedSinceHello = true
        return self.mayRelay(pppFrame: pppFrame)
    }

    /// Whether a PPP frame may be sent or delivered now (§3.2.7.1, §3.2.7.2).
    public func mayRelay(pppFrame: ByteBuffer) -> Bool {
        guard let kind = SSTPPayloadKind(pppFrame: pppFrame) else { return false }
        return self.mayRelay(kind)
    }

    /// Control frames flow in `clientConnectAckReceived` and `clientCallConnected`, data frames only in the latter.
    public func mayRelay(_ kind: SSTPPayloadKind) -> Bool {
        switch self.state {
        case .clientConnectAckReceived: kind == .pppControl
        case .clientCallConnected: true
        case .clientCallDisconnected, .clientConnectRequestSent, .teardown, .closed: false
        }
    }

    /// PPP authentication finished (§3.2.7.1) with this HLAK (client side MS-CHAPv2: MasterSendKey ‖
    /// MasterReceiveKey; EAP-TLS: the first 32 bytes of the MSK). Sends Call Connected with the crypto binding.
    public mutating func innerAuthenticationCompleted(hlak: [UInt8]) -> [SSTPAction] {
        switch self.state {
        case .clientCallDisconnected, .clientConnectRequestSent:
            preconditionFailure("PPP cannot authenticate before Lower Link Up")
        case .clientConnectAckReceived(let nonce, let hashProtocol):
            let binding = SSTPCryptoBinding.make(
                hashProtocol: hashProtocol,
                nonce: nonce,
                certificateHashes: self.configuration.serverCertificateHashes,
                hlak: hlak
            )
            var actions: [SSTPAction] = []
            self.context.cancelTimer(.negotiation, into: &actions)
            actions.append(.send(.callConnected(binding)))
            self.context.startHello(into: &actions)
            actions.append(.callConnected(hashProtocol))
            self.state = .clientCallConnected(hashProtocol)
            return actions
        case .clientCallConnected, .teardown, .closed:
            return []
        }
    }

    /// A timer started by an earlier action expired.
    public mutating func timerFired(_ timer: SSTPTimer) -> [SSTPAction] {
        guard self.context.timerExpired(timer) else { return [] }
        switch (timer, self.state) {
        case (.negotiation, .clientConnectRequestSent), (.negotiation, .clientConnectAckReceived):
            // §3.2.6.1: the abort procedure.
            return self.apply(self.context.abort(.negotiationTimeout))
        case (.hello, .clientCallConnected):
            return self.apply(self.context.helloTimerExpired())
        case (.abortStateTimer1, .teardown), (.abortStateTimer2, .teardown), (.disconnectStateTimer1, .teardown),
            (.disconnectStateTimer2, .teardown):
            return self.apply(self.context.teardownTimerExpired(timer))
        default:
            return []
        }
    }

    /// The user hangs up or PPP finished (§3.2.4.2, "Disconnect SSTP Tunnel Event").
    public mutating func disconnect() -> [SSTPAction] {
        switch self.state {
        case .clientCallDisconnected:
            self.state = .closed
            return [.closeTransport(.callDisconnected(acknowledged: false))]
        case .teardown, .closed:
            return []
        case .clientConnectRequestSent, .clientConnectAckReceived, .clientCallConnected:
            return self.apply(self.context.disconnect())
        }
    }

    /// PPP went down: disconnect the SSTP call (§3.2.4.2).
    public mutating func pppLinkDown() -> [SSTPAction] {
        self.disconnect()
    }

    /// The HTTPS connection is gone; returns the timer cancellations.
    /// Why the call is ending, once a teardown started (for example `.callDisconnectedByPeer` after the server's
    /// Call Disconnect), even if the transport closed before the teardown finished.
    public var closeReason: SSTPCloseReason? { self.context.recordedCloseReason }

    public mutating func transportClosed() -> [SSTPAction] {
        var actions: [SSTPAction] = []
        self.context.cancelAllTimers(into: &actions)
        self.state = .closed
        return actions
    }

    // MARK: Message processing

    /// §3.2.5.3.2 in Client_Connect_Request_Sent.
    private mutating func receiveCallConnectAck(_ message: SSTPControlMessage) -> [SSTPAction] {
        // "The Crypto Binding Request Attribute is present. At least one hash protocol is selected by the server
        // [...] At least one of the hash protocols [...] is a hash protocol supported by the client."
        guard message.attributes.count == 1, case .cryptoBindingRequest(let request) = message.attributes[0],
            let hashProtocol = request.hashProtocols.intersection(self.configuration.supportedHashProtocols).strongest
        else {
            return self.apply(self.context.abort(.invalidCallConnectAck))
        }
        // "Trigger PPP to start PPP state machine. Start relaying PPP control frames [...] Store the nonce [...]
        // Start the negotiation timer."
        var actions: [SSTPAction] = []
        self.context.startTimer(.negotiation, into: &actions)
        actions.append(.lowerLayerUp)
        self.state = .clientConnectAckReceived(nonce: request.nonce, hashProtocol: hashProtocol)
        return actions
    }

    /// §3.2.5.3.3 in Client_Connect_Request_Sent: resend and restart the negotiation timer, or abort.
    private mutating func receiveCallConnectNak(nakCount: Int) -> [SSTPAction] {
        guard nakCount < self.configuration.maximumNakRetries else {
            return self.apply(self.context.abort(.retryCountExceeded))
        }
        var actions: [SSTPAction] = [.send(.callConnectRequest)]
        self.context.startTimer(.negotiation, into: &actions)
        self.state = .clientConnectRequestSent(nakCount: nakCount + 1)
        return actions
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
