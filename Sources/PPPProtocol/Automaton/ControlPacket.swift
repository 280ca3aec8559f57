public import NIOCore

/// The Code field of an LCP-like control packet (RFC 1661 §5).
public struct ControlCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// RFC 1661 §5.1.
    public static let configureRequest = ControlCode(rawValue: 1)
    /// RFC 1661 §5.2.
    public static let configureAck = ControlCode(rawValue: 2)
    /// RFC 1661 §5.3.
    public static let configureNak = ControlCode(rawValue: 3)
    /// RFC 1661 §5.4.
    public static let configureReject = ControlCode(rawValue: 4)
    /// RFC 1661 §5.5.
    public static let terminateRequest = ControlCode(rawValue: 5)
    /// RFC 1661 §5.5.
    public static let terminateAck = ControlCode(rawValue: 6)
    /// RFC 1661 §5.6.
    public static let codeReject = ControlCode(rawValue: 7)
    /// LCP only (RFC 1661 §5.7).
    public static let protocolReject = ControlCode(rawValue: 8)
    /// LCP only (RFC 1661 §5.8).
    public static let echoRequest = ControlCode(rawValue: 9)
    /// LCP only (RFC 1661 §5.8).
    public static let echoReply = ControlCode(rawValue: 10)
    /// LCP only (RFC 1661 §5.9).
    public static let discardRequest = ControlCode(rawValue: 11)
    /// LCP only (RFC 1570 §2.1); Windows RAS sends these ("MSRASV5.20").
    public static let identification = ControlCode(rawValue: 12)
    /// LCP only (RFC 1570 §2.2).
    public static let timeRemaining = ControlCode(rawValue: 13)

    public var description: String { "code \(self.rawValue)" }
}

/// One control packet of LCP, IPCP or IPV6CP (RFC 1661 §5):
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Code      |  Identifier   |            Length             |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |    Data ...
/// ```
public struct ControlPacket: Hashable, Sendable {
    /// RFC 1661 §5: the 4-byte Code/Identifier/Length header.
    public static let headerLength = 4

    public var code: ControlCode
    public var identifier: UInt8
    /// The Data field (Length − 4 bytes; padding beyond Length is not part of it).
    public var data: ByteBuffer

    public init(code: ControlCode, identifier: UInt8, data: ByteBuffer = ByteBuffer()) {
        self.code = code
        self.identifier = identifier
        self.data = data
    }

    /// A Configure-Request/Ack/Nak/Reject carrying `options`.
    public init(code: ControlCode, identifier: UInt8, options: [ConfigurationOption]) {
        var data = ByteBuffer()
        for option in options { data.writeConfigurationOption(option) }
        self.init(code: code, identifier: identifier, data: data)
    }

    /// The Data field parsed as a list of configuration options (RFC 1661 §6).
    public func options() throws(PPPError) -> [ConfigurationOption] {
        try ConfigurationOption.parseList(self.data)
    }

    /// The packet's wire length (header plus data).
    public var length: Int { Self.headerLength + self.data.readableBytes }
}

extension ByteBuffer {
    /// Reads one control packet that fills the rest of a frame's Information field.
    ///
    /// RFC 1661 §5: "Octets outside the range of the Length field are treated as padding and are ignored on
    /// reception. If a packet is received with an invalid Length field, the packet is silently discarded."
    public mutating func readControlPacket() throws(PPPError) -> ControlPacket {
        let available = self.readableBytes
        guard available >= ControlPacket.headerLength,
            let code = self.getInteger(at: self.readerIndex, as: UInt8.self),
            let identifier = self.getInteger(at: self.readerIndex + 1, as: UInt8.self),
            let length = self.getInteger(at: self.readerIndex + 2, as: UInt16.self)
        else { throw .truncatedPacket(length: available) }
        guard Int(length) >= ControlPacket.headerLength, Int(length) <= available else {
            throw .badPacketLength(declared: Int(length), available: available)
        }
        self.moveReaderIndex(forwardBy: ControlPacket.headerLength)
        let data = self.readSlice(length: Int(length) - ControlPacket.headerLength)!
        self.moveReaderIndex(forwardBy: self.readableBytes)  // padding
        return ControlPacket(code: ControlCode(rawValue: code), identifier: identifier, data: data)
    }

    /// Writes a control packet with its computed Length.
    @discardableResult
    public mutating func writeControlPacket(_ packet: ControlPacket) -> Int {
        self.writeInteger(packet.code.rawValue) + self.writeInteger(packet.identifier)
            + self.writeInteger(UInt16(truncatingIfNeeded: packet.length)) + self.writeImmutableBuffer(packet.data)
    }
}
