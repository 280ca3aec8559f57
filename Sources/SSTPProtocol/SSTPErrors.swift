// MS-SSTP §3.1.5.1 distinguishes two kinds of bad input, and the caller must react differently to each:
//
// > If the delineation fails because of an unsupported or unrecognized packet format, then the connection MUST be
// > forcefully aborted without sending a message to the SSTP far end. [...] If an invalid SSTP message is received,
// > the SSTP state machine aborts processing using the following procedure [Call Abort].
//
// Hence two error types: `SSTPFramingError` (drop TCP, send nothing) and `SSTPMessageError` (the stream is still in
// sync; feed the error to the state machine, which runs the abort procedure). Neither is Equatable on purpose:
// compare `code`s, since diagnostics are free text. Diagnostics never contain key material or nonces.

/// The byte stream cannot be split into SSTP packets (MS-SSTP §3.1.5.1): close the connection without sending.
public struct SSTPFramingError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// The Version byte is not 0x10.
        case unsupportedVersion
        /// The Length field is smaller than the 4-byte header.
        case lengthTooShort
        /// The Length field is larger than the configured maximum.
        case lengthTooLong
    }

    public let code: Code
    private let diagnostic: String

    private init(_ code: Code, _ diagnostic: String) {
        self.code = code
        self.diagnostic = diagnostic
    }

    @inline(never)
    static func unsupportedVersion(_ version: UInt8) -> SSTPFramingError {
        SSTPFramingError(.unsupportedVersion, "version byte 0x\(String(version, radix: 16)), expected 0x10")
    }

    @inline(never)
    static func lengthTooShort(_ length: Int) -> SSTPFramingError {
        SSTPFramingError(.lengthTooShort, "packet length \(length) is shorter than the SSTP header")
    }

    @inline(never)
    static func lengthTooLong(_ length: Int, maximum: Int) -> SSTPFramingError {
        SSTPFramingError(.lengthTooLong, "packet length \(length) exceeds the maximum \(maximum)")
    }

    public var description: String { "SSTPFramingError.\(self.code): \(self.diagnostic)" }
}

/// A control packet was delineated but is not a valid SSTP message (MS-SSTP §3.3.5.2.1): run the abort procedure
/// (or, for a Call Connect Request, NAK it; see ``SSTPServerStateMachine/receiveInvalidMessage(_:)``).
public struct SSTPMessageError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: Sendable, Hashable {
        /// The control packet is too short for Message Type and Num Attributes.
        case truncatedControlPacket
        /// The Message Type is not one of §2.2.2's.
        case unknownMessageType
        /// An attribute's Length is below the 4-byte attribute header.
        case attributeTooShort
        /// An attribute's Length runs past the end of the packet.
        case attributeOverrun
        /// Num Attributes does not match the attributes present.
        case attributeCountMismatch
        /// A known attribute has the wrong length (§2.2.5–§2.2.8 fix them).
        case invalidAttributeLength
    }

    public let code: Code
    /// The message type, when it could be read and is known.
    public let messageType: SSTPMessageType?
    /// The attribute at fault, for attribute-level errors.
    public let attributeID: SSTPAttributeID?
    private let diagnostic: String

    private init(_ code: Code, messageType: SSTPMessageType?, attributeID: SSTPAttributeID?, _ diagnostic: String) {
        self.code = code
        self.messageType = messageType
        self.attributeID = attributeID
        self.diagnostic = diagnostic
    }

    /// The Status Info to report this error with, in a Call Abort or a Call Connect NAK (§2.2.8, §3.3.5.2.2).
    public var statusInfo: SSTPStatusInfo {
        switch self.code {
        case .invalidAttributeLength:
            SSTPStatusInfo(attributeID: self.attributeID ?? .statusInfo, status: .invalidAttribValueLength)
        case .truncatedControlPacket, .unknownMessageType, .attributeTooShort, .attributeOverrun,
            .attributeCountMismatch:
            SSTPStatusInfo(attributeID: .statusInfo, status: .invalidFrameReceived)
        }
    }

    @inline(never)
    static func truncatedControlPacket(length: Int) -> SSTPMessageError {
        SSTPMessageError(
            .truncatedControlPacket,
            messageType: nil,
            attributeID: nil,
            "control packet of \(length) bytes"
        )
    }

    @inline(never)
    static func unknownMessageType(_ rawValue: UInt16) -> SSTPMessageError {
        SSTPMessageError(
            .unknownMessageType,
            messageType: nil,
            attributeID: nil,
            "message type 0x\(String(rawValue, radix: 16))"
        )
    }

    @inline(never)
    static func attributeTooShort(_ type: SSTPMessageType, _ id: SSTPAttributeID, length: Int) -> SSTPMessageError {
        SSTPMessageError(
            .attributeTooShort,
            messageType: type,
            attributeID: id,
            "\(id) with length \(length) in \(type)"
        )
    }

    @inline(never)
    static func attributeOverrun(
        _ type: SSTPMessageType,
        _ id: SSTPAttributeID,
        length: Int,
        remaining: Int
    )
        -> SSTPMessageError
    {
        SSTPMessageError(
            .attributeOverrun,
            messageType: type,
            attributeID: id,
            "\(id) with length \(length) but \(remaining) bytes left in \(type)"
        )
    }

    @inline(never)
    static func attributeCountMismatch(_ type: SSTPMessageType, declared: Int, found: Int) -> SSTPMessageError {
        SSTPMessageError(
            .attributeCountMismatch,
            messageType: type,
            attributeID: nil,
            "\(type) declares \(declared) attributes, carries \(found)"
        )
    }

    @inline(never)
    static func invalidAttributeLength(_ type: SSTPMessageType, _ id: SSTPAttributeID, length: Int) -> SSTPMessageError
    {
        SSTPMessageError(
            .invalidAttributeLength,
            messageType: type,
            attributeID: id,
            "\(id) with length \(length) in \(type)"
        )
    }

    public var description: String { "SSTPMessageError.\(self.code): \(self.diagnostic)" }
}

/// What ``SSTPPacketParser/nextPacket()`` throws.
public enum SSTPParseError: Error, Sendable {
    /// The stream is unusable: close the connection without sending anything (§3.1.5.1).
    case framing(SSTPFramingError)
    /// One control packet was invalid; the stream is still in sync and the parser can continue.
    case invalidMessage(SSTPMessageError)
}
