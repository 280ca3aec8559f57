import NIOCore

/// An SSTP control message (MS-SSTP §2.2.2): a message type and its attributes.
///
/// This is the wire-level view: the parser guarantees each attribute is well formed, but which attributes a message
/// carries is judged by the state machines, because the specification answers a bad Call Connect Request with a NAK
/// and every other bad message with a Call Abort.
public struct SSTPControlMessage: Sendable, Hashable {
    /// The size of the fixed part: SSTP header, Message Type, Num Attributes.
    public static let fixedLength = 8

    public var messageType: SSTPMessageType
    public var attributes: [SSTPAttribute]

    public init(_ messageType: SSTPMessageType, attributes: [SSTPAttribute] = []) {
        self.messageType = messageType
        self.attributes = attributes
    }

    /// The total length of the packet on the wire, SSTP header included.
    public var length: Int {
        self.attributes.reduce(Self.fixedLength) { $0 + $1.length }
    }
}

extension SSTPControlMessage {
    /// A Call Connect Request (§2.2.9) asking for PPP: `10 01 00 0E 00 01 00 01 00 01 00 06 00 01`.
    public static let callConnectRequest = SSTPControlMessage(
        .callConnectRequest,
        attributes: [.encapsulatedProtocolID(.ppp)]
    )

    /// A Call Connect Acknowledge (§2.2.10) carrying the server's hash protocols and nonce.
    public static func callConnectAck(hashProtocols: SSTPHashProtocolBitmask, nonce: [UInt8]) -> SSTPControlMessage {
        SSTPControlMessage(
            .callConnectAck,
            attributes: [.cryptoBindingRequest(SSTPCryptoBindingRequest(hashProtocols: hashProtocols, nonce: nonce))]
        )
    }

    /// A Call Connect Negative Acknowledgment (§2.2.12): "MUST have one or more Status Info attributes. This message
    /// MUST NOT have any other attribute."
    public static func callConnectNak(_ statusInfos: [SSTPStatusInfo]) -> SSTPControlMessage {
        precondition(!statusInfos.isEmpty, "a Call Connect NAK carries at least one Status Info")
        return SSTPControlMessage(.callConnectNak, attributes: statusInfos.map { .statusInfo($0) })
    }

    /// A Call Connected message (§2.2.11) carrying the crypto binding.
    public static func callConnected(_ binding: SSTPCryptoBinding) -> SSTPControlMessage {
        SSTPControlMessage(.callConnected, attributes: [.cryptoBinding(binding)])
    }

    /// A Call Abort (§2.2.13), with or without a Status Info.
    public static func callAbort(_ statusInfo: SSTPStatusInfo?) -> SSTPControlMessage {
        SSTPControlMessage(.callAbort, attributes: statusInfo.map { [.statusInfo($0)] } ?? [])
    }

    /// A Call Disconnect (§2.2.14) with the Status Info it SHOULD have (AttribID and Status zero).
    public static let callDisconnect = SSTPControlMessage(.callDisconnect, attributes: [.statusInfo(.noError)])

    /// A Call Disconnect Acknowledge (§2.2.15), length 8.
    public static let callDisconnectAck = SSTPControlMessage(.callDisconnectAck)

    /// An Echo Request (§2.2.15): `10 01 00 08 00 08 00 00`.
    public static let echoRequest = SSTPControlMessage(.echoRequest)

    /// An Echo Response (§2.2.15), length 8.
    public static let echoResponse = SSTPControlMessage(.echoResponse)

    /// The first Status Info attribute, if any (Call Abort and Call Disconnect carry at most one).
    public var statusInfo: SSTPStatusInfo? {
        for attribute in self.attributes {
            if case .statusInfo(let info) = attribute { return info }
        }
        return nil
    }
}

/// An SSTP packet (MS-SSTP §2.2.1): a data packet carrying one PPP frame, or a control message.
public enum SSTPPacket: Sendable, Hashable {
    /// A data packet (§2.2.3). The payload is a slice of the received bytes; it is not copied.
    case data(ByteBuffer)
    /// A control packet (§2.2.2).
    case control(SSTPControlMessage)

    /// The SSTP header length.
    public static let headerLength = 4
    /// The largest packet the 12-bit Length field can describe.
    public static let maximumLength = 0x0FFF
    /// The largest PPP frame one data packet carries: 4095 − 4 = 4091 (MS-SSTP §3.1.5.2, the SSTP MRU).
    public static let maximumDataPayloadLength = maximumLength - headerLength
}
