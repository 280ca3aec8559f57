import NIOCore

/// ICMPv6 Echo (RFC 4443 §4.1, §4.2) for link-local addresses over a point-to-point link: enough for a gateway to
/// answer pings to its own link-local address (fe80::<interface identifier>, RFC 5072 §5) without a kernel IPv6
/// interface per session.
public enum ICMPv6Echo {
    public static let echoRequestType: UInt8 = 128
    public static let echoReplyType: UInt8 = 129

    /// The link-local address fe80::/64 with `interfaceIdentifier` (RFC 4291 §2.5.6).
    public static func linkLocalAddress(interfaceIdentifier: UInt64) -> IPv6Address {
        IPv6Address(high: 0xFE80_0000_0000_0000, low: interfaceIdentifier)
    }

    /// If `packet` is an ICMPv6 Echo Request addressed to `address` with a valid checksum, the Echo Reply to send back
    /// (same identifier, sequence and data; addresses swapped; hop limit 64); otherwise nil.
    public static func reply(to packet: ByteBuffer, addressedTo address: IPv6Address) -> ByteBuffer? {
        guard let header = try? IPv6Header(parsing: packet), header.nextHeader == .icmpv6,
            header.destination == address, header.payloadLength >= 8
        else { return nil }
        let start = packet.readerIndex
        let messageLength = Int(header.payloadLength)
        guard packet.getInteger(at: start + IPv6Header.length, as: UInt8.self) == echoRequestType,
            packet.getInteger(at: start + IPv6Header.length + 1, as: UInt8.self) == 0,
            let message = packet.getSlice(at: start + IPv6Header.length, length: messageLength),
            checksum(message, source: header.source, destination: header.destination) == 0
        else { return nil }

        var reply = ByteBuffer()
        reply.reserveCapacity(IPv6Header.length + messageLength)
        reply.writeInteger(UInt32(6) << 28)
        reply.writeInteger(UInt16(messageLength))
        reply.writeInteger(IPProtocol.icmpv6.rawValue)
        reply.writeInteger(UInt8(64))
        reply.writeInteger(header.destination.high)
        reply.writeInteger(header.destination.low)
        reply.writeInteger(header.source.high)
        reply.writeInteger(header.source.low)
        let messageStart = reply.writerIndex
        reply.writeInteger(echoReplyType)
        reply.writeInteger(UInt8(0))
        reply.writeInteger(UInt16(0))
        reply.writeImmutableBuffer(message.getSlice(at: message.readerIndex + 4, length: messageLength - 4)!)
        let sum = checksum(
            reply.getSlice(at: messageStart, length: messageLength)!, source: header.destination,
            destination: header.source)
        reply.setInteger(sum, at: messageStart + 2)
        return reply
    }

    /// An Echo Request (type 128) from `source` to `destination`, hop limit 64.
    public static func request(
        source: IPv6Address, destination: IPv6Address, identifier: UInt16, sequenceNumber: UInt16, payload: ByteBuffer
    ) -> ByteBuffer {
        let messageLength = 8 + payload.readableBytes
        var packet = ByteBuffer()
        packet.reserveCapacity(IPv6Header.length + messageLength)
        packet.writeInteger(UInt32(6) << 28)
        packet.writeInteger(UInt16(messageLength))
        packet.writeInteger(IPProtocol.icmpv6.rawValue)
        packet.writeInteger(UInt8(64))
        packet.writeInteger(source.high)
        packet.writeInteger(source.low)
        packet.writeInteger(destination.high)
        packet.writeInteger(destination.low)
        let messageStart = packet.writerIndex
        packet.writeInteger(echoRequestType)
        packet.writeInteger(UInt8(0))
        packet.writeInteger(UInt16(0))
        packet.writeInteger(identifier)
        packet.writeInteger(sequenceNumber)
        packet.writeImmutableBuffer(payload)
        let sum = checksum(packet.getSlice(at: messageStart, length: messageLength)!, source: source, destination: destination)
        packet.setInteger(sum, at: messageStart + 2)
        return packet
    }

    /// The (identifier, sequence number) of an Echo Reply with a valid checksum, or nil.
    public static func parseReply(_ packet: ByteBuffer) -> (source: IPv6Address, identifier: UInt16, sequenceNumber: UInt16)? {
        guard let header = try? IPv6Header(parsing: packet), header.nextHeader == .icmpv6, header.payloadLength >= 8,
            let message = packet.getSlice(at: packet.readerIndex + IPv6Header.length, length: Int(header.payloadLength)),
            message.getInteger(at: message.readerIndex, as: UInt8.self) == echoReplyType,
            checksum(message, source: header.source, destination: header.destination) == 0,
            let identifier = message.getInteger(at: message.readerIndex + 4, as: UInt16.self),
            let sequence = message.getInteger(at: message.readerIndex + 6, as: UInt16.self)
        else { return nil }
        return (header.source, identifier, sequence)
    }

    /// RFC 4443 §2.3: the internet checksum over the IPv6 pseudo-header (RFC 8200 §8.1) and the ICMPv6 message.
    /// Over a message that carries its checksum, a valid one gives 0.
    public static func checksum(_ message: ByteBuffer, source: IPv6Address, destination: IPv6Address) -> UInt16 {
        var sum = InternetChecksum()
        for half in [source.high, source.low, destination.high, destination.low] {
            sum.add(word: UInt16(truncatingIfNeeded: half >> 48))
            sum.add(word: UInt16(truncatingIfNeeded: half >> 32))
            sum.add(word: UInt16(truncatingIfNeeded: half >> 16))
            sum.add(word: UInt16(truncatingIfNeeded: half))
        }
        let length = UInt32(message.readableBytes)
        sum.add(word: UInt16(truncatingIfNeeded: length >> 16))
        sum.add(word: UInt16(truncatingIfNeeded: length))
        sum.add(word: UInt16(IPProtocol.icmpv6.rawValue))
        sum.add(message)
        return sum.checksum
    }
}
