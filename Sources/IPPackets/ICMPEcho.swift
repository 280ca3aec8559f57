import NIOCore

/// An ICMP Echo or Echo Reply message (RFC 792, "Echo or Echo Reply Message"):
///
///     Type (8 = echo, 0 = echo reply) | Code (0) | Checksum | Identifier | Sequence Number | Data ...
///
/// The checksum covers the whole ICMP message (RFC 792: "the 16-bit one's complement of the one's complement sum
/// of the ICMP message starting with the ICMP Type").
public struct ICMPEcho: Hashable, Sendable {
    /// The ICMP Type of an echo message.
    public enum Kind: UInt8, Hashable, Sendable {
        case echoReply = 0
        case echoRequest = 8
    }

    /// Length of the ICMP echo header (type, code, checksum, identifier, sequence number).
    public static let headerLength = 8

    public var kind: Kind
    public var identifier: UInt16
    public var sequenceNumber: UInt16
    /// The Data field (for Linux ping: a timestamp then bytes 0x10, 0x11, ...).
    public var payload: ByteBuffer

    public init(kind: Kind, identifier: UInt16, sequenceNumber: UInt16, payload: ByteBuffer) {
        self.kind = kind
        self.identifier = identifier
        self.sequenceNumber = sequenceNumber
        self.payload = payload
    }

    /// Parses an ICMP message (the IPv4 payload) and verifies its checksum.
    public init(parsingICMP message: ByteBuffer) throws(IPPacketError) {
        let start = message.readerIndex
        guard message.readableBytes >= Self.headerLength,
            let type = message.getInteger(at: start, as: UInt8.self),
            let code = message.getInteger(at: start + 1, as: UInt8.self)
        else { throw .truncated }
        guard let kind = Kind(rawValue: type), code == 0 else { throw .notICMPEcho }
        guard InternetChecksum.checksum(of: message) == 0 else { throw .badChecksum }
        self.kind = kind
        self.identifier = message.getInteger(at: start + 4)!
        self.sequenceNumber = message.getInteger(at: start + 6)!
        self.payload = message.getSlice(
            at: start + Self.headerLength, length: message.readableBytes - Self.headerLength)!
    }

    /// Parses a whole IPv4 packet carrying an ICMP echo message. Throws ``IPPacketError/badChecksum`` if either the
    /// IPv4 header or the ICMP checksum is wrong, and ``IPPacketError/notICMPEcho`` for other protocols, other
    /// ICMP types, or fragments.
    public static func parseIPv4(_ packet: ByteBuffer) throws(IPPacketError) -> (header: IPv4Header, echo: ICMPEcho) {
        let ipv4 = try IPv4Packet(parsing: packet)
        guard ipv4.isHeaderChecksumValid else { throw .badChecksum }
        guard ipv4.header.protocol == .icmp, ipv4.header.fragmentOffset == 0, !ipv4.header.moreFragments else {
            throw .notICMPEcho
        }
        return (ipv4.header, try ICMPEcho(parsingICMP: ipv4.payload))
    }

    /// Builds a complete IPv4 packet (20-byte header, no options) carrying this message.
    public func makeIPv4Packet(
        source: UInt32,
        destination: UInt32,
        identification: UInt16 = 0,
        dontFragment: Bool = true,
        timeToLive: UInt8 = 64,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        let icmpLength = Self.headerLength + payload.readableBytes
        let header = IPv4Header(
            totalLength: UInt16(IPv4Header.minimumLength + icmpLength),
            identification: identification,
            dontFragment: dontFragment,
            timeToLive: timeToLive,
            protocol: .icmp,
            source: source,
            destination: destination)
        var buffer = allocator.buffer(capacity: IPv4Header.minimumLength + icmpLength)
        buffer.writeIPv4Header(header)
        buffer.writeICMPEcho(self)
        return buffer
    }
}

extension ByteBuffer {
    /// Writes an ICMP echo message with its checksum. Returns the number of bytes written.
    @discardableResult
    public mutating func writeICMPEcho(_ echo: ICMPEcho) -> Int {
        var checksum = InternetChecksum()
        checksum.add(word: UInt16(echo.kind.rawValue) << 8)
        checksum.add(word: echo.identifier)
        checksum.add(word: echo.sequenceNumber)
        checksum.add(echo.payload)
        var written = writeInteger(echo.kind.rawValue)
        written += writeInteger(UInt8(0))
        written += writeInteger(checksum.checksum)
        written += writeInteger(echo.identifier)
        written += writeInteger(echo.sequenceNumber)
        written += writeImmutableBuffer(echo.payload)
        return written
    }
}
