/// The one error type of the PPP core: malformed frames, packets and options.
///
/// RFC 1661 treats every one of these as "silently discard"; the type exists so that parsers can say *why*
/// (for logs and tests). Diagnostics never contain payload bytes.
public struct PPPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, stable for matching in tests and metrics.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case truncatedFrame, badAddressControl, badProtocolField
            case truncatedPacket, badPacketLength, badOptionLength
        }
        private let base: Base

        /// The frame is shorter than its header.
        public static let truncatedFrame = Code(base: .truncatedFrame)
        /// The frame starts with 0xFF but is not followed by 0x03 (RFC 1662 §3.1).
        public static let badAddressControl = Code(base: .badAddressControl)
        /// The protocol field is not a valid (odd, RFC 1661 §2) value.
        public static let badProtocolField = Code(base: .badProtocolField)
        /// The control packet is shorter than its 4-byte header.
        public static let truncatedPacket = Code(base: .truncatedPacket)
        /// The Length field is below 4 or beyond the received data (RFC 1661 §5).
        public static let badPacketLength = Code(base: .badPacketLength)
        /// A configuration option has Length < 2 or overruns the packet (RFC 1661 §6).
        public static let badOptionLength = Code(base: .badOptionLength)

        public var description: String { self.base.rawValue }
    }

    public let code: Code
    private let detail: String

    private init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "PPPError.\(self.code): \(self.detail)" }

    @inline(never) static func truncatedFrame(length: Int) -> PPPError {
        PPPError(.truncatedFrame, "frame of \(length) bytes has no complete header")
    }
    @inline(never) static func badAddressControl(control: UInt8) -> PPPError {
        PPPError(.badAddressControl, "address 0xFF followed by control \(control), expected 0x03")
    }
    @inline(never) static func badProtocolField(_ value: UInt16) -> PPPError {
        PPPError(.badProtocolField, "protocol field \(value) is not a valid protocol number")
    }
    @inline(never) static func truncatedPacket(length: Int) -> PPPError {
        PPPError(.truncatedPacket, "control packet of \(length) bytes has no complete header")
    }
    @inline(never) static func badPacketLength(declared: Int, available: Int) -> PPPError {
        PPPError(.badPacketLength, "Length \(declared) with \(available) bytes available")
    }
    @inline(never) static func badOptionLength(type: UInt8, declared: Int, available: Int) -> PPPError {
        PPPError(.badOptionLength, "option \(type) Length \(declared) with \(available) bytes available")
    }
}
