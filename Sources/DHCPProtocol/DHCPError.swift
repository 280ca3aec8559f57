/// The one error type of the DHCP core: malformed DHCP messages and option values.
///
/// A server silently ignores such messages; the type exists so that parsers can say *why* (for logs and tests).
/// Diagnostics carry lengths and codes, never payload bytes.
public struct DHCPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, stable for matching in tests and metrics.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case truncatedMessage, messageTooLong, badOperation, badHardwareAddressLength, badMagicCookie
            case optionOverrun, missingEndOption, optionOverloadUnsupported, badOptionValue
        }
        private let base: Base

        /// Fewer than the 236 fixed octets plus the 4-octet magic cookie (RFC 2131 §2, §3).
        public static let truncatedMessage = Code(base: .truncatedMessage)
        /// Longer than ``DHCPMessage/maximumLength``.
        public static let messageTooLong = Code(base: .messageTooLong)
        /// 'op' is neither BOOTREQUEST (1) nor BOOTREPLY (2) (RFC 2131 §2, Table 1).
        public static let badOperation = Code(base: .badOperation)
        /// 'hlen' exceeds the 16 octets of 'chaddr'.
        public static let badHardwareAddressLength = Code(base: .badHardwareAddressLength)
        /// The options field does not start with 99.130.83.99 (RFC 2131 §3).
        public static let badMagicCookie = Code(base: .badMagicCookie)
        /// An option's length octet is missing or its data runs past the message (RFC 2132 §2).
        public static let optionOverrun = Code(base: .optionOverrun)
        /// The options field has no End option (255) (RFC 2132 §3.2).
        public static let missingEndOption = Code(base: .missingEndOption)
        /// The message uses Option Overload (52, RFC 2132 §9.3), which this implementation does not support.
        public static let optionOverloadUnsupported = Code(base: .optionOverloadUnsupported)
        /// An option's data does not have the length or encoding its definition requires.
        public static let badOptionValue = Code(base: .badOptionValue)

        public var description: String { self.base.rawValue }
    }

    public let code: Code
    private let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "DHCPError.\(self.code): \(self.detail)" }

    @inline(never) static func truncatedMessage(length: Int) -> DHCPError {
        DHCPError(.truncatedMessage, "message of \(length) bytes is shorter than the fixed fields and magic cookie")
    }
    @inline(never) static func messageTooLong(length: Int) -> DHCPError {
        DHCPError(.messageTooLong, "message of \(length) bytes exceeds \(DHCPMessage.maximumLength)")
    }
    @inline(never) static func badOperation(_ op: UInt8) -> DHCPError {
        DHCPError(.badOperation, "op \(op) is neither BOOTREQUEST nor BOOTREPLY")
    }
    @inline(never) static func badHardwareAddressLength(_ hlen: UInt8) -> DHCPError {
        DHCPError(.badHardwareAddressLength, "hlen \(hlen) exceeds the 16 octets of chaddr")
    }
    @inline(never) static func badMagicCookie(_ cookie: UInt32) -> DHCPError {
        DHCPError(.badMagicCookie, "magic cookie 0x\(String(cookie, radix: 16)) is not 99.130.83.99")
    }
    @inline(never) static func optionOverrun(code: UInt8, offset: Int) -> DHCPError {
        DHCPError(.optionOverrun, "option \(code) at options offset \(offset) runs past the message")
    }
    @inline(never) static func missingEndOption() -> DHCPError {
        DHCPError(.missingEndOption, "options field has no End option")
    }
    @inline(never) static func optionOverloadUnsupported() -> DHCPError {
        DHCPError(.optionOverloadUnsupported, "Option Overload (52) is not supported")
    }
    @inline(never) static func badOptionValue(code: UInt8, length: Int, reason: String) -> DHCPError {
        DHCPError(.badOptionValue, "option \(code) with \(length) data bytes: \(reason)")
    }
}
