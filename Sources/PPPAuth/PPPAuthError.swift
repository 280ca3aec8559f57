/// The one error type of `PPPAuth`: malformed MS-CHAPv2 packets and messages.
///
/// Diagnostics describe shapes (lengths, codes), never names, challenges, hashes or keys.
public struct PPPAuthError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncatedPacket, invalidLength, unsupportedCode, invalidValueSize, nameTooLong
            case malformedSuccessMessage, malformedFailureMessage
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Fewer bytes than the CHAP header or its Length field require.
        public static let truncatedPacket = Code(.truncatedPacket)
        /// The Length field is impossible for the packet's Code.
        public static let invalidLength = Code(.invalidLength)
        /// A CHAP Code MS-CHAPv2 does not use here (e.g. 7, Change-Password).
        public static let unsupportedCode = Code(.unsupportedCode)
        /// Value-Size is not 16 (Challenge) or 49 (Response).
        public static let invalidValueSize = Code(.invalidValueSize)
        /// The Name field exceeds 256 octets (RFC 2759 §4 "0-to-256-char UserName").
        public static let nameTooLong = Code(.nameTooLong)
        /// A Success message is not `S=<40 uppercase hex>` optionally followed by ` M=<text>`.
        public static let malformedSuccessMessage = Code(.malformedSuccessMessage)
        /// A Failure message lacks `E=` or has an unparsable `E=`, `R=`, `C=` or `V=` field.
        public static let malformedFailureMessage = Code(.malformedFailureMessage)

        public var description: String {
            switch self.base {
            case .truncatedPacket: "truncatedPacket"
            case .invalidLength: "invalidLength"
            case .unsupportedCode: "unsupportedCode"
            case .invalidValueSize: "invalidValueSize"
            case .nameTooLong: "nameTooLong"
            case .malformedSuccessMessage: "malformedSuccessMessage"
            case .malformedFailureMessage: "malformedFailureMessage"
            }
        }
    }

    public let code: Code
    private let diagnostic: String

    private init(_ code: Code, _ diagnostic: String) {
        self.code = code
        self.diagnostic = diagnostic
    }

    public var description: String { "PPPAuthError.\(self.code): \(self.diagnostic)" }

    @inline(never)
    static func truncatedPacket(need: Int, have: Int) -> PPPAuthError {
        PPPAuthError(.truncatedPacket, "need \(need) bytes, have \(have)")
    }

    @inline(never)
    static func invalidLength(_ length: Int, code: UInt8) -> PPPAuthError {
        PPPAuthError(.invalidLength, "Length \(length) impossible for code \(code)")
    }

    @inline(never)
    static func unsupportedCode(_ code: UInt8) -> PPPAuthError {
        PPPAuthError(.unsupportedCode, "code \(code)")
    }

    @inline(never)
    static func invalidValueSize(_ size: UInt8, expected: Int) -> PPPAuthError {
        PPPAuthError(.invalidValueSize, "Value-Size \(size), expected \(expected)")
    }

    @inline(never)
    static func nameTooLong(_ length: Int) -> PPPAuthError {
        PPPAuthError(.nameTooLong, "Name is \(length) octets, maximum 256")
    }

    @inline(never)
    static func malformedSuccessMessage(_ why: String) -> PPPAuthError {
        PPPAuthError(.malformedSuccessMessage, why)
    }

    @inline(never)
    static func malformedFailureMessage(_ why: String) -> PPPAuthError {
        PPPAuthError(.malformedFailureMessage, why)
    }
}
