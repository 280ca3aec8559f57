import NIOCore

/// What a state machine asks its adapter to do. Actions are returned in the order they must be carried out.
public enum SSTPAction: Sendable, Hashable {
    /// Send a control message to the far end.
    case send(SSTPControlMessage)
    /// Start `timer`, replacing it if it is already running; report expiry with `timerFired(_:)`.
    case startTimer(SSTPTimer, after: Duration)
    /// Cancel `timer`. (The machines also ignore a late expiry of a timer they cancelled.)
    case cancelTimer(SSTPTimer)
    /// "Lower Link Up" (MS-SSTP §3.1.7.1): start the PPP state machine. From now on PPP control frames may be
    /// relayed; see `mayRelay(_:)`.
    case lowerLayerUp
    /// The crypto binding is complete: on the server it has been verified, on the client it has been sent. PPP data
    /// frames may be relayed from now on.
    case callConnected(SSTPHashProtocol)
    /// Close the HTTPS connection and tell PPP the lower layer is down ("Lower Link Down", §3.1.7.1). The reason is
    /// for logging. No other action follows.
    case closeTransport(SSTPCloseReason)
}

/// The state names of MS-SSTP §3.1.1, §3.2.1 and §3.3.1, for logging and tests.
///
/// The four `...InProgress` states are transient in the specification: entering one sends a message and moves on
/// at once, so a machine never rests in them and `state` never reports them. They are listed for completeness.
public enum SSTPCallState: Sendable, Hashable, CaseIterable {
    case serverCallDisconnected
    case serverConnectRequestPending
    case serverCallConnectedPending
    case serverCallConnected
    case clientCallDisconnected
    case clientConnectRequestSent
    case clientConnectAckReceived
    case clientCallConnected
    case callAbortInProgress1
    case callAbortInProgress2
    case callAbortPending
    case callAbortTimeoutPending
    case callDisconnectInProgress1
    case callDisconnectInProgress2
    case callDisconnectAckPending
    case callDisconnectTimeoutPending
}

/// Why we started the abort procedure (MS-SSTP §3.1.5.1), and so what the Call Abort's Status Info says.
public enum SSTPAbortReason: Sendable, Hashable, CustomStringConvertible {
    /// The negotiation timer expired (§3.2.6.1, §3.3.6.1).
    case negotiationTimeout
    /// Too many unacceptable Call Connect Requests (§3.3.5.2.2) or NAKs (§3.2.5.3.3).
    case retryCountExceeded
    /// A control packet could not be parsed (§3.3.5.2.1).
    case invalidMessage(SSTPMessageError.Code, attributeID: SSTPAttributeID?)
    /// A well-formed message that is not allowed in the current state.
    case unexpectedMessage(SSTPMessageType)
    /// A Call Connected without exactly one Crypto Binding attribute (§3.3.5.2.3).
    case invalidCallConnected
    /// The crypto binding did not verify (§3.3.5.2.3).
    case cryptoBindingMismatch(SSTPCryptoBindingFailure)
    /// A Call Connect Acknowledge without a Crypto Binding Request, or with no hash protocol we support
    /// (§3.2.5.3.2).
    case invalidCallConnectAck

    /// The Status Info attribute our Call Abort carries.
    public var statusInfo: SSTPStatusInfo {
        switch self {
        case .negotiationTimeout:
            SSTPStatusInfo(attributeID: .statusInfo, status: .negotiationTimeout)
        case .retryCountExceeded:
            // §3.3.5.2.2: "The Attribute ID is set to SSTP_ATTRIB_STATUS_INFO and the status field is set to
            // ATTRIB_STATUS_RETRY_COUNT_EXCEEDED."
            SSTPStatusInfo(attributeID: .statusInfo, status: .retryCountExceeded)
        case .invalidMessage(.invalidAttributeLength, let attributeID?):
            SSTPStatusInfo(attributeID: attributeID, status: .invalidAttribValueLength)
        case .invalidMessage:
            SSTPStatusInfo(attributeID: .statusInfo, status: .invalidFrameReceived)
        case .unexpectedMessage:
            SSTPStatusInfo(attributeID: .statusInfo, status: .unacceptedFrameReceived)
        case .invalidCallConnected:
            // §3.3.5.2.3: "the crypto binding attribute is not present OR an invalid length is given [...]"
            SSTPStatusInfo(attributeID: .statusInfo, status: .attribNotSupportedInMsg)
        case .cryptoBindingMismatch:
            // §3.3.5.2.3: "The nonce is not matching OR the certificate does not match OR the hash algorithm does
            // not match OR the Compound MAC is invalid."
            SSTPStatusInfo(attributeID: .cryptoBinding, status: .valueNotSupported)
        case .invalidCallConnectAck:
            SSTPStatusInfo(attributeID: .cryptoBindingRequest, status: .valueNotSupported)
        }
    }

    public var description: String {
        switch self {
        case .negotiationTimeout: "negotiation timeout"
        case .retryCountExceeded: "retry count exceeded"
        case .invalidMessage(let code, _): "invalid message (\(code))"
        case .unexpectedMessage(let type): "unexpected \(type)"
        case .invalidCallConnected: "Call Connected without a valid Crypto Binding attribute"
        case .cryptoBindingMismatch(let failure): "crypto binding failed: \(failure)"
        case .invalidCallConnectAck: "Call Connect Acknowledge without an acceptable Crypto Binding Request"
        }
    }
}

/// Why a state machine asked to close the connection.
public enum SSTPCloseReason: Sendable, Hashable, CustomStringConvertible {
    /// We ran the abort procedure.
    case callAborted(SSTPAbortReason)
    /// The far end sent Call Abort first.
    case callAbortedByPeer(SSTPStatusInfo?)
    /// We sent Call Disconnect; `acknowledged` is false if TIMER_VAL_DISCONNECT_STATE_TIMER_1 expired first.
    case callDisconnected(acknowledged: Bool)
    /// The far end sent Call Disconnect first.
    case callDisconnectedByPeer(SSTPStatusInfo?)
    /// Nothing was received for two Hello intervals, the second after an Echo Request (§3.1.2.3: "abort the
    /// connection without sending a Call Abort packet").
    case helloTimeout

    public var description: String {
        switch self {
        case .callAborted(let reason): "aborted: \(reason)"
        case .callAbortedByPeer(let info): "aborted by peer" + (info.map { " (\($0.status))" } ?? "")
        case .callDisconnected(let acknowledged): acknowledged ? "disconnected" : "disconnected (no acknowledgement)"
        case .callDisconnectedByPeer(let info): "disconnected by peer" + (info.map { " (\($0.status))" } ?? "")
        case .helloTimeout: "hello timeout"
        }
    }
}

/// Whether a PPP frame is a control frame (LCP, authentication, NCPs) or a data frame (MS-SSTP §3.1.7.1, "Check PPP
/// frame type"); the state machines relay data frames only once the call is connected (§3.3.5.2.3, §3.3.7.2).
public enum SSTPPayloadKind: Sendable, Hashable {
    case pppControl
    case pppData

    /// Classifies a PPP frame as carried in an SSTP data packet (no HDLC flag, escaping or FCS).
    ///
    /// A leading Address/Control `FF 03` is skipped. By RFC 1661 §2, protocol numbers 0x8000 and above are
    /// control protocols (NCPs 8xxx–bxxx, link control cxxx–fxxx); the rest carry data. A compressed (1-byte,
    /// odd) protocol field is always below 0x100, so data.
    ///
    /// - Returns: `nil` for a frame too short to carry a protocol field.
    public init?(pppFrame: ByteBuffer) {
        var index = pppFrame.readerIndex
        let end = pppFrame.writerIndex
        if end - index >= 2, pppFrame.getInteger(at: index, as: UInt16.self) == 0xFF03 {
            index += 2
        }
        guard index < end, let first = pppFrame.getInteger(at: index, as: UInt8.self) else { return nil }
        if first & 0x01 == 0x01 {
            self = .pppData
            return
        }
        guard index + 1 < end else { return nil }
        self = first >= 0x80 ? .pppControl : .pppData
    }
}
