/// The one error type of `EAP`: malformed EAP packets (RFC 3748 §4) and EAP-TLS framing errors (RFC 5216 §3.1).
///
/// Diagnostics describe shapes (lengths, codes, flags), never identities or key material.
public struct EAPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncatedPacket, invalidLength, unknownCode, missingFlags, messageTooLong
            case missingLengthOnFirstFragment, inconsistentLength, lengthMismatch, truncatedLengthField
            case unexpectedFragment, emptyFragment, unexpectedStart
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Fewer bytes than the 4-byte header or the Length field (RFC 3748 §4: such a packet "MUST be silently
        /// discarded").
        public static let truncatedPacket = Code(.truncatedPacket)
        /// The Length is impossible for the Code (below 5 for Request/Response, not 4 for Success/Failure).
        public static let invalidLength = Code(.invalidLength)
        /// A Code other than 1–4 (RFC 3748 §4: "MUST be silently discarded").
        public static let unknownCode = Code(.unknownCode)
        /// An EAP-TLS packet without its Flags octet.
        public static let missingFlags = Code(.missingFlags)
        /// A message announced (L flag) or received longer than the reassembly cap.
        public static let messageTooLong = Code(.messageTooLong)
        /// RFC 5216 §3.1: L "MUST be set for the first fragment of a fragmented TLS message": M without L.
        public static let missingLengthOnFirstFragment = Code(.missingLengthOnFirstFragment)
        /// A later fragment repeats L with a different TLS Message Length.
        public static let inconsistentLength = Code(.inconsistentLength)
        /// The reassembled data does not match the TLS Message Length (too much, or the last fragment came early).
        public static let lengthMismatch = Code(.lengthMismatch)
        /// The L flag without the 4-octet TLS Message Length.
        public static let truncatedLengthField = Code(.truncatedLengthField)
        /// Data instead of an ACK while our own fragmented message still awaits acknowledgements.
        public static let unexpectedFragment = Code(.unexpectedFragment)
        /// A non-final fragment without data (it would never make progress).
        public static let emptyFragment = Code(.emptyFragment)
        /// The S (start) flag where it is not allowed (in a Response, or with data).
        public static let unexpectedStart = Code(.unexpectedStart)

        public var description: String {
            switch self.base {
            case .truncatedPacket: "truncatedPacket"
            case .invalidLength: "invalidLength"
            case .unknownCode: "unknownCode"
            case .missingFlags: "missingFlags"
            case .messageTooLong: "messageTooLong"
            case .missingLengthOnFirstFragment: "missingLengthOnFirstFragment"
            case .inconsistentLength: "inconsistentLength"
            case .lengthMismatch: "lengthMismatch"
            case .truncatedLengthField: "truncatedLengthField"
            case .unexpectedFragment: "unexpectedFragment"
            case .emptyFragment: "emptyFragment"
            case .unexpectedStart: "unexpectedStart"
            }
        }
    }

    public let code: Code
    private let diagnostic: String

    private init(_ code: Code, _ diagnostic: String) {
        self.code = code
        self.diagnostic = diagnostic
    }

    public var description: String { "EAPError.\(self.code): \(self.diagnostic)" }

    @inline(never)
    static func truncatedPacket(need: Int, have: Int) -> EAPError {
        EAPError(.truncatedPacket, "need \(need) bytes, have \(have)")
    }

    @inline(never)
    static func invalidLength(_ length: Int, code: UInt8) -> EAPError {
        EAPError(.invalidLength, "Length \(length) impossible for Code \(code)")
    }

    @inline(never)
    static func unknownCode(_ code: UInt8) -> EAPError { EAPError(.unknownCode, "Code \(code)") }

    @inline(never)
    static func missingFlags() -> EAPError { EAPError(.missingFlags, "empty EAP-TLS Type-Data") }

    @inline(never)
    static func messageTooLong(_ length: Int, maximum: Int) -> EAPError {
        EAPError(.messageTooLong, "\(length) octets, maximum \(maximum)")
    }

    @inline(never)
    static func missingLengthOnFirstFragment() -> EAPError {
        EAPError(.missingLengthOnFirstFragment, "first fragment has M but not L")
    }

    @inline(never)
    static func inconsistentLength(announced: Int, repeated: Int) -> EAPError {
        EAPError(.inconsistentLength, "announced \(announced), repeated as \(repeated)")
    }

    @inline(never)
    static func lengthMismatch(announced: Int, received: Int) -> EAPError {
        EAPError(.lengthMismatch, "announced \(announced), received \(received)")
    }

    @inline(never)
    static func truncatedLengthField() -> EAPError {
        EAPError(.truncatedLengthField, "L set, fewer than 4 octets follow")
    }

    @inline(never)
    static func unexpectedFragment() -> EAPError {
        EAPError(.unexpectedFragment, "data while our fragments await ACKs")
    }

    @inline(never)
    static func emptyFragment() -> EAPError { EAPError(.emptyFragment, "M set without data") }

    @inline(never)
    static func unexpectedStart() -> EAPError { EAPError(.unexpectedStart, "S flag not allowed here") }
}
