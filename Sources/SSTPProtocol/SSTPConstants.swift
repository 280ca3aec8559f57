import CryptoPrimitives

// Numbers from MS-SSTP §2.2 (v20240423). The same tables appear in accel-ppp `sstp_prot.h` and SoftEther
// `Proto_SSTP.h`; they agree with the specification.

/// The SSTP version byte (MS-SSTP §2.2.1): major 1 in the upper nibble, minor 0 in the lower one.
public enum SSTPVersion {
    /// > The 8-bit value of the Version field MUST be 0x10 and corresponds to Version 1.0.
    public static let current: UInt8 = 0x10
}

/// SSTP control message types (MS-SSTP §2.2.2, "Message Type").
public enum SSTPMessageType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case callConnectRequest = 0x0001
    case callConnectAck = 0x0002
    case callConnectNak = 0x0003
    case callConnected = 0x0004
    case callAbort = 0x0005
    case callDisconnect = 0x0006
    case callDisconnectAck = 0x0007
    case echoRequest = 0x0008
    case echoResponse = 0x0009

    public var description: String {
        switch self {
        case .callConnectRequest: "SSTP_MSG_CALL_CONNECT_REQUEST"
        case .callConnectAck: "SSTP_MSG_CALL_CONNECT_ACK"
        case .callConnectNak: "SSTP_MSG_CALL_CONNECT_NAK"
        case .callConnected: "SSTP_MSG_CALL_CONNECTED"
        case .callAbort: "SSTP_MSG_CALL_ABORT"
        case .callDisconnect: "SSTP_MSG_CALL_DISCONNECT"
        case .callDisconnectAck: "SSTP_MSG_CALL_DISCONNECT_ACK"
        case .echoRequest: "SSTP_MSG_ECHO_REQUEST"
        case .echoResponse: "SSTP_MSG_ECHO_RESPONSE"
        }
    }
}

/// SSTP attribute identifiers (MS-SSTP §2.2.4, and the AttribID table of §2.2.8).
///
/// A struct rather than an enum: a Status Info attribute names other attributes by ID, and an unknown ID received in
/// a Call Connect Request must be echoed back in the NAK (§3.3.5.2.2).
public struct SSTPAttributeID: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `SSTP_ATTRIB_NO_ERROR`: only meaningful as the AttribID inside a Status Info attribute.
    public static let noError = SSTPAttributeID(rawValue: 0x00)
    /// `SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID` (§2.2.5).
    public static let encapsulatedProtocolID = SSTPAttributeID(rawValue: 0x01)
    /// `SSTP_ATTRIB_STATUS_INFO` (§2.2.8).
    public static let statusInfo = SSTPAttributeID(rawValue: 0x02)
    /// `SSTP_ATTRIB_CRYPTO_BINDING` (§2.2.7).
    public static let cryptoBinding = SSTPAttributeID(rawValue: 0x03)
    /// `SSTP_ATTRIB_CRYPTO_BINDING_REQ` (§2.2.6).
    public static let cryptoBindingRequest = SSTPAttributeID(rawValue: 0x04)

    public var description: String {
        switch self.rawValue {
        case 0x00: "SSTP_ATTRIB_NO_ERROR"
        case 0x01: "SSTP_ATTRIB_ENCAPSULATED_PROTOCOL_ID"
        case 0x02: "SSTP_ATTRIB_STATUS_INFO"
        case 0x03: "SSTP_ATTRIB_CRYPTO_BINDING"
        case 0x04: "SSTP_ATTRIB_CRYPTO_BINDING_REQ"
        default: "attribute 0x\(String(self.rawValue, radix: 16))"
        }
    }
}

/// Status values carried in a Status Info attribute (MS-SSTP §2.2.8, "Status").
///
/// A struct so that a status value this implementation does not know still survives parsing and logging.
public struct SSTPStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noError = SSTPStatus(rawValue: 0x0000_0000)
    public static let duplicateAttribute = SSTPStatus(rawValue: 0x0000_0001)
    public static let unrecognizedAttribute = SSTPStatus(rawValue: 0x0000_0002)
    public static let invalidAttribValueLength = SSTPStatus(rawValue: 0x0000_0003)
    public static let valueNotSupported = SSTPStatus(rawValue: 0x0000_0004)
    public static let unacceptedFrameReceived = SSTPStatus(rawValue: 0x0000_0005)
    public static let retryCountExceeded = SSTPStatus(rawValue: 0x0000_0006)
    public static let invalidFrameReceived = SSTPStatus(rawValue: 0x0000_0007)
    public static let negotiationTimeout = SSTPStatus(rawValue: 0x0000_0008)
    public static let attribNotSupportedInMsg = SSTPStatus(rawValue: 0x0000_0009)
    public static let requiredAttributeMissing = SSTPStatus(rawValue: 0x0000_000A)
    public static let statusInfoNotSupportedInMsg = SSTPStatus(rawValue: 0x0000_000B)

    public var description: String {
        switch self.rawValue {
        case 0x00: "ATTRIB_STATUS_NO_ERROR"
        case 0x01: "ATTRIB_STATUS_DUPLICATE_ATTRIBUTE"
        case 0x02: "ATTRIB_STATUS_UNRECOGNIZED_ATTRIBUTE"
        case 0x03: "ATTRIB_STATUS_INVALID_ATTRIB_VALUE_LENGTH"
        case 0x04: "ATTRIB_STATUS_VALUE_NOT_SUPPORTED"
        case 0x05: "ATTRIB_STATUS_UNACCEPTED_FRAME_RECEIVED"
        case 0x06: "ATTRIB_STATUS_RETRY_COUNT_EXCEEDED"
        case 0x07: "ATTRIB_STATUS_INVALID_FRAME_RECEIVED"
        case 0x08: "ATTRIB_STATUS_NEGOTIATION_TIMEOUT"
        case 0x09: "ATTRIB_STATUS_ATTRIB_NOT_SUPPORTED_IN_MSG"
        case 0x0A: "ATTRIB_STATUS_REQUIRED_ATTRIBUTE_MISSING"
        case 0x0B: "ATTRIB_STATUS_STATUS_INFO_NOT_SUPPORTED_IN_MSG"
        default: "status 0x\(String(self.rawValue, radix: 16))"
        }
    }
}

/// The Protocol ID of an Encapsulated Protocol ID attribute (MS-SSTP §2.2.5).
public struct SSTPEncapsulatedProtocolID: RawRepresentable, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `SSTP_ENCAPSULATED_PROTOCOL_PPP`, the only value SSTP version 1 defines.
    public static let ppp = SSTPEncapsulatedProtocolID(rawValue: 0x0001)
}

/// The Hash Protocol Bitmask of a Crypto Binding Request (MS-SSTP §2.2.6) or Crypto Binding (§2.2.7) attribute.
public struct SSTPHashProtocolBitmask: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `CERT_HASH_PROTOCOL_SHA1`.
    public static let sha1 = SSTPHashProtocolBitmask(rawValue: 0x01)
    /// `CERT_HASH_PROTOCOL_SHA256`.
    public static let sha256 = SSTPHashProtocolBitmask(rawValue: 0x02)

    /// The strongest protocol in the set (MS-SSTP §3.2.5.3.2: "If more than one hash protocol is supported, a
    /// stronger one is chosen"), or `nil` if the set names no known protocol.
    public var strongest: SSTPHashProtocol? {
        if self.contains(.sha256) { return .sha256 }
        if self.contains(.sha1) { return .sha1 }
        return nil
    }
}

/// One hash protocol, as chosen for a crypto binding (MS-SSTP §2.2.7, §3.2.5.2).
public enum SSTPHashProtocol: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sha1 = 0x01
    case sha256 = 0x02

    /// The hash (and HMAC) function of this protocol.
    public var hashFunction: HashFunction {
        switch self {
        case .sha1: .sha1
        case .sha256: .sha256
        }
    }

    /// The digest (and Compound MAC) length: 20 or 32 bytes.
    public var digestLength: Int { self.hashFunction.digestLength }

    /// The single-bit bitmask naming this protocol.
    public var bitmask: SSTPHashProtocolBitmask { SSTPHashProtocolBitmask(rawValue: self.rawValue) }

    /// The protocol a Crypto Binding attribute's bitmask names, if it names exactly one known protocol.
    public init?(bitmask: SSTPHashProtocolBitmask) {
        switch bitmask {
        case .sha1: self = .sha1
        case .sha256: self = .sha256
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .sha1: "SHA-1"
        case .sha256: "SHA-256"
        }
    }
}

/// The SSTP timers (MS-SSTP §3.1.2, §3.2.2.1, §3.3.2.1), named after the specification.
///
/// A state machine starts and cancels timers by returning actions. Starting a timer that is already running
/// restarts it.
public enum SSTPTimer: Sendable, Hashable, CaseIterable {
    /// The negotiation timer (§3.2.2.1, §3.3.2.1).
    case negotiation
    /// The Hello timer (§3.1.2.3).
    case hello
    /// `TIMER_VAL_ABORT_STATE_TIMER_1` (§3.1.2.1): we sent Call Abort and wait for the far end's.
    case abortStateTimer1
    /// `TIMER_VAL_ABORT_STATE_TIMER_2` (§3.1.2.1): a short delay so the far end receives our Call Abort.
    case abortStateTimer2
    /// `TIMER_VAL_DISCONNECT_STATE_TIMER_1` (§3.1.2.2): we sent Call Disconnect and wait for its Ack.
    case disconnectStateTimer1
    /// `TIMER_VAL_DISCONNECT_STATE_TIMER_2` (§3.1.2.2): a short delay so the far end receives our Ack.
    case disconnectStateTimer2
}

/// Timer durations; the defaults are the values the specification says timers SHOULD have.
public struct SSTPTimerValues: Sendable, Hashable {
    /// §3.2.2.1 / §3.3.2.1: "This timer SHOULD be set to 60 seconds."
    public var negotiation: Duration
    /// §3.1.2.3: "The Hello timer SHOULD be set to 60 seconds."
    public var hello: Duration
    /// §3.1.2.1: "The first timer SHOULD be set at 3 seconds. The second timer SHOULD be set to 1 second."
    public var abortStateTimer1: Duration
    public var abortStateTimer2: Duration
    /// §3.1.2.2: "The first timer SHOULD be set to 5 seconds. The second timer SHOULD be set to 1 second."
    public var disconnectStateTimer1: Duration
    public var disconnectStateTimer2: Duration

    public init(
        negotiation: Duration = .seconds(60),
        hello: Duration = .seconds(60),
        abortStateTimer1: Duration = .seconds(3),
        abortStateTimer2: Duration = .seconds(1),
        disconnectStateTimer1: Duration = .seconds(5),
        disconnectStateTimer2: Duration = .seconds(1)
    ) {
        self.negotiation = negotiation
        self.hello = hello
        self.abortStateTimer1 = abortStateTimer1
        self.abortStateTimer2 = abortStateTimer2
        self.disconnectStateTimer1 = disconnectStateTimer1
        self.disconnectStateTimer2 = disconnectStateTimer2
    }

    /// The duration of `timer`.
    public func duration(of timer: SSTPTimer) -> Duration {
        switch timer {
        case .negotiation: self.negotiation
        case .hello: self.hello
        case .abortStateTimer1: self.abortStateTimer1
        case .abortStateTimer2: self.abortStateTimer2
        case .disconnectStateTimer1: self.disconnectStateTimer1
        case .disconnectStateTimer2: self.disconnectStateTimer2
        }
    }
}
