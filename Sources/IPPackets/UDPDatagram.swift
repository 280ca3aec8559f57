import NIOCore

/// A UDP datagram (RFC 768): an 8-byte header and its data.
///
///     Source Port | Destination Port | Length | Checksum | data octets ...
///
/// The checksum covers a pseudo header (source and destination address, zero, protocol 17, UDP length), the UDP
/// header and the data (RFC 768, "Fields"). A transmitted checksum of zero means the sender computed none.
public struct UDPDatagram: Hashable, Sendable {
    /// Length of the UDP header.
    public static let headerLength = 8

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The data octets (a slice sharing storage with the parsed packet).
    public var payload: ByteBuffer

    public init(sourcePort: UInt16, destinationPort: UInt16, payload: ByteBuffer) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.payload = payload
    }

    /// Parses the UDP datagram in `message` (an IPv4 payload) sent from `source` to `destination`.
    ///
    /// Throws ``IPPacketError/truncated`` when the buffer is shorter than the header or the Length field, or the
    /// Length field is below 8, and ``IPPacketError/badChecksum`` when a non-zero checksum does not verify. Bytes past
    /// the Length field are ignored.
    public init(parsingUDP message: ByteBuffer, source: UInt32, destination: UInt32) throws(IPPacketError) {
        let start = message.readerIndex
        guard message.readableBytes >= Self.headerLength,
            let length = message.getInteger(at: start + 4, as: UInt16.self),
            Int(length) >= Self.headerLength, Int(length) <= message.readableBytes,
            let datagram = message.getSlice(at: start, length: Int(length))
        else { throw .truncated }
        let transmittedChecksum: UInt16 = message.getInteger(at: start + 6)!
        // RFC 768: "An all zero transmitted checksum value means that the transmitter generated no checksum".
        if transmittedChecksum != 0,
            Self.checksum(datagram, source: source, destination: destination) != 0
        {
            throw .badChecksum
        }
        self.sourcePort = message.getInteger(at: start)!
        self.destinationPort = message.getInteger(at: start + 2)!
        self.payload = message.getSlice(at: start + Self.headerLength, length: Int(length) - Self.headerLength)!
    }

    /// Parses an IPv4 packet carrying a UDP datagram. Returns nil for a well-formed packet of another protocol or a
    /// fragment; throws ``IPPacketError/badChecksum`` for a wrong IPv4 header or UDP checksum, and the errors of
    /// ``IPv4Packet/init(parsing:)`` and ``init(parsingUDP:source:destination:)`` otherwise.
    public static func parseIPv4(_ packet: ByteBuffer) throws(IPPacketError) -> (
        header: IPv4Header, datagram: UDPDatagram
    )? {
        let ipv4 = try IPv4Packet(parsing: packet)
        guard ipv4.isHeaderChecksumValid else { throw .badChecksum }
        guard ipv4.header.protocol == .udp, ipv4.header.fragmentOffset == 0, !ipv4.header.moreFragments else {
            return nil
        }
        let datagram = try UDPDatagram(
            parsingUDP: ipv4.payload, source: ipv4.header.source, destination: ipv4.header.destination)
        return (ipv4.header, datagram)
    }

    /// RFC 768: the internet checksum over the pseudo header and `datagram` (UDP header and data). Over a datagram
    /// that carries a valid checksum this gives 0; over one whose checksum field is zero it gives the value to send
    /// (before the zero-to-all-ones substitution of ``NIOCore/ByteBuffer/writeUDPDatagram(_:source:destination:)``).
    public static func checksum(_ datagram: ByteBuffer, source: UInt32, destination: UInt32) -> UInt16 {
        var sum = InternetChecksum()
        sum.add(word: UInt16(source >> 16))
        sum.add(word: UInt16(truncatingIfNeeded: source))
        sum.add(word: UInt16(destination >> 16))
        sum.add(word: UInt16(truncatingIfNeeded: destination))
        sum.add(word: UInt16(IPProtocol.udp.rawValue))
        sum.add(word: UInt16(truncatingIfNeeded: datagram.readableBytes))
        sum.add(datagram)
        return sum.checksum
    }

    /// Builds a complete IPv4 packet (20-byte header, no options) carrying this datagram with its checksum.
    public func makeIPv4Packet(
        source: UInt32,
        destination: UInt32,
        identification: UInt16 = 0,
        dontFragment: Bool = false,
        timeToLive: UInt8 = 64,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        let udpLength = Self.headerLength + payload.readableBytes
        let header = IPv4Header(
            totalLength: UInt16(IPv4Header.minimumLength + udpLength),
            identification: identification,
            dontFragment: dontFragment,
            timeToLive: timeToLive,
            protocol: .udp,
            source: source,
            destination: destination)
        var buffer = allocator.buffer(capacity: IPv4Header.minimumLength + udpLength)
        buffer.writeIPv4Header(header)
        buffer.writeUDPDatagram(self, source: source, destination: destination)
        return buffer
    }
}

extension ByteBuffer {
    /// Writes a UDP header and the payload with the RFC 768 checksum for the given pseudo-header addresses.
    /// Returns the number of bytes written. The datagram must fit the 16-bit Length field.
    @discardableResult
    public mutating func writeUDPDatagram(_ datagram: UDPDatagram, source: UInt32, destination: UInt32) -> Int {
        let length = UDPDatagram.headerLength + datagram.payload.readableBytes
        precondition(length <= Int(UInt16.max), "UDP datagram of \(length) bytes")
        let start = writerIndex
        var written = writeInteger(datagram.sourcePort)
        written += writeInteger(datagram.destinationPort)
        written += writeInteger(UInt16(length))
        written += writeInteger(UInt16(0))
        written += writeImmutableBuffer(datagram.payload)
        var checksum = UDPDatagram.checksum(
            getSlice(at: start, length: length)!, source: source, destination: destination)
        // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
        if checksum == 0 {
            checksum = 0xFFFF
        }
        setInteger(checksum, at: start + 6)
        return written
    }
}
