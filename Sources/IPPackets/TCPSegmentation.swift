import NIOCore

/// Finishes what a TUN device with offloads leaves undone (``VirtioNetHeader``): cuts a TCP super-packet into
/// segments of at most a given IP size, and completes checksums the kernel left partial, so that every packet sent
/// to an SSTP client is an ordinary IP packet.
///
/// Segmenting follows what the kernel's own software GSO does for TCP (net/ipv4/tcp_offload.c,
/// `tcp_gso_segment`; net/ipv4/af_inet.c, `inet_gso_segment`):
/// - every segment gets a copy of the IP and TCP headers, with the IP length fields set for its payload;
/// - IPv4: the Identification of segment *k* is the super-packet's plus *k*, and the header checksum is recomputed;
/// - TCP: the Sequence Number advances by the payload before the segment; FIN and PSH stay only on the last
///   segment and CWR only on the first; the checksum is computed over the pseudo header (RFC 9293 §3.1), the TCP
///   header and the segment's payload.
public enum TCPSegmentation {
    /// Why a packet could not be segmented.
    public enum Failure: Error, Hashable, Sendable {
        /// Shorter than its headers say, or a header field is out of range.
        case malformed
        /// A GSO type this does not segment (UDP fragmentation offload), or a TCP segment type that does not match
        /// the IP version, or IPv6 extension headers before TCP.
        case unsupported
        /// The headers alone leave no room for payload within `maximumPacketSize`.
        case packetSizeTooSmall
    }

    /// The packets to send for one packet read from the TUN device (its ``VirtioNetHeader`` already removed).
    ///
    /// - A packet with no GSO type is returned as it is, its checksum completed if the header asks for that.
    /// - A TCP super-packet is cut into segments whose payload is at most `gsoSize` bytes and whose IP packet is at
    ///   most `maximumPacketSize` bytes (the client's MRU), written one after another into one buffer from
    ///   `allocator`; the returned packets are slices of it.
    public static func packets(
        from packet: ByteBuffer, header: VirtioNetHeader, maximumPacketSize: Int, allocator: ByteBufferAllocator
    ) throws(Failure) -> [ByteBuffer] {
        let type = header.gsoType.withoutECN
        if type == .none {
            guard header.needsChecksumCompletion else { return [packet] }
            var completed = packet
            try completeChecksum(&completed, header: header)
            return [completed]
        }
        guard type == .tcpv4 || type == .tcpv6 else { throw .unsupported }
        let layout = try Layout(packet)
        guard layout.isIPv4 == (type == .tcpv4) else { throw .unsupported }

        let payloadLength = packet.readableBytes - layout.headersLength
        var segmentPayload = maximumPacketSize - layout.headersLength
        if header.gsoSize > 0 { segmentPayload = min(segmentPayload, Int(header.gsoSize)) }
        guard segmentPayload > 0 else { throw .packetSizeTooSmall }
        let count = max(1, (payloadLength + segmentPayload - 1) / segmentPayload)

        var output = allocator.buffer(capacity: count * layout.headersLength + payloadLength)
        // Every segment is written before any slice is taken: a write after a slice would copy the buffer.
        packet.withUnsafeReadableBytes { source in
            for index in 0..<count {
                let offset = index * segmentPayload
                let length = min(segmentPayload, payloadLength - offset)
                let start = output.writerIndex
                output.writeBytes(UnsafeRawBufferPointer(rebasing: source[0..<layout.headersLength]))
                output.writeBytes(
                    UnsafeRawBufferPointer(
                        rebasing: source[(layout.headersLength + offset)..<(layout.headersLength + offset + length)]))
                output.withUnsafeMutableReadableBytes { all in
                    let segment = UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + layout.headersLength + length)])
                    layout.rewrite(
                        segment, index: index, isLast: index == count - 1, payloadOffset: offset, payloadLength: length)
                }
            }
        }
        var packets: [ByteBuffer] = []
        packets.reserveCapacity(count)
        var start = output.readerIndex
        for index in 0..<count {
            let length = layout.headersLength + min(segmentPayload, payloadLength - index * segmentPayload)
            packets.append(output.getSlice(at: start, length: length)!)
            start += length
        }
        return packets
    }

    /// Completes a checksum the kernel left partial (``VirtioNetHeader/needsChecksum``): the one's complement sum
    /// from `checksumStart` to the end, whose checksum field already holds the pseudo header's sum, is complemented
    /// and stored at `checksumStart + checksumOffset` (a UDP checksum of zero is sent as 0xFFFF, RFC 768).
    public static func completeChecksum(_ packet: inout ByteBuffer, header: VirtioNetHeader) throws(Failure) {
        let completed = packet.withUnsafeMutableReadableBytes { bytes in completeChecksum(in: bytes, header: header) }
        guard completed else { throw .malformed }
    }

    /// ``completeChecksum(_:header:)`` on bytes in place (a whole IP packet); false if the offsets lie outside it.
    public static func completeChecksum(in bytes: UnsafeMutableRawBufferPointer, header: VirtioNetHeader) -> Bool {
        let start = Int(header.checksumStart)
        let field = start + Int(header.checksumOffset)
        guard start < bytes.count, field + 2 <= bytes.count, bytes.count >= 10 else { return false }
        let isUDP = bytes[0] >> 4 == 4 ? bytes[9] == IPProtocol.udp.rawValue : bytes[6] == IPProtocol.udp.rawValue
        var sum = InternetChecksum()
        sum.add(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        var checksum = sum.checksum
        if checksum == 0 && isUDP { checksum = 0xFFFF }
        bytes[field] = UInt8(checksum >> 8)
        bytes[field + 1] = UInt8(checksum & 0xFF)
        return true
    }

    /// Where the headers of a TCP packet are.
    struct Layout {
        var isIPv4: Bool
        var ipHeaderLength: Int
        var tcpHeaderLength: Int
        var headersLength: Int { ipHeaderLength + tcpHeaderLength }
        var identification: UInt16
        var sequenceNumber: UInt32

        init(_ packet: ByteBuffer) throws(Failure) {
            let base = packet.readerIndex
            guard let first = packet.getInteger(at: base, as: UInt8.self) else { throw .malformed }
            switch first >> 4 {
            case 4:
                isIPv4 = true
                ipHeaderLength = Int(first & 0x0F) * 4
                guard ipHeaderLength >= IPv4Header.minimumLength, packet.readableBytes >= ipHeaderLength,
                    packet.getInteger(at: base + 9, as: UInt8.self) == IPProtocol.tcp.rawValue,
                    let totalLength = packet.getInteger(at: base + 2, as: UInt16.self),
                    Int(totalLength) == packet.readableBytes
                else { throw .malformed }
                identification = packet.getInteger(at: base + 4, as: UInt16.self)!
            case 6:
                isIPv4 = false
                ipHeaderLength = IPv6Header.length
                guard packet.readableBytes >= ipHeaderLength,
                    let payloadLength = packet.getInteger(at: base + 4, as: UInt16.self),
                    Int(payloadLength) + ipHeaderLength == packet.readableBytes
                else { throw .malformed }
                guard packet.getInteger(at: base + 6, as: UInt8.self) == IPProtocol.tcp.rawValue else {
                    throw .unsupported
                }
                identification = 0
            default:
                throw .malformed
            }
            guard let offsetByte = packet.getInteger(at: base + ipHeaderLength + 12, as: UInt8.self) else {
                throw .malformed
            }
            tcpHeaderLength = Int(offsetByte >> 4) * 4
            guard tcpHeaderLength >= 20, packet.readableBytes >= ipHeaderLength + tcpHeaderLength else {
                throw .malformed
            }
            sequenceNumber = packet.getInteger(at: base + ipHeaderLength + 4, as: UInt32.self)!
        }

        /// Fixes the copied headers of segment `index` in place.
        func rewrite(
            _ segment: UnsafeMutableRawBufferPointer, index: Int, isLast: Bool, payloadOffset: Int, payloadLength: Int
        ) {
            func put16(_ value: UInt16, at offset: Int) {
                segment[offset] = UInt8(value >> 8)
                segment[offset + 1] = UInt8(value & 0xFF)
            }
            let tcp = ipHeaderLength
            let tcpLength = tcpHeaderLength + payloadLength
            var pseudo = InternetChecksum()
            if isIPv4 {
                put16(UInt16(ipHeaderLength + tcpLength), at: 2)
                put16(identification &+ UInt16(truncatingIfNeeded: index), at: 4)
                put16(0, at: 10)
                var header = InternetChecksum()
                header.add(UnsafeRawBufferPointer(rebasing: segment[0..<ipHeaderLength]))
                put16(header.checksum, at: 10)
                pseudo.add(UnsafeRawBufferPointer(rebasing: segment[12..<20]))
            } else {
                put16(UInt16(tcpLength), at: 4)
                pseudo.add(UnsafeRawBufferPointer(rebasing: segment[8..<40]))
            }
            pseudo.add(word: UInt16(IPProtocol.tcp.rawValue))
            pseudo.add(word: UInt16(tcpLength))

            let sequence = sequenceNumber &+ UInt32(truncatingIfNeeded: payloadOffset)
            segment[tcp + 4] = UInt8(sequence >> 24)
            segment[tcp + 5] = UInt8((sequence >> 16) & 0xFF)
            segment[tcp + 6] = UInt8((sequence >> 8) & 0xFF)
            segment[tcp + 7] = UInt8(sequence & 0xFF)
            var flags = segment[tcp + 13]
            if !isLast { flags &= ~(0x01 | 0x08) }  // FIN, PSH
            if index > 0 { flags &= ~0x80 }  // CWR
            segment[tcp + 13] = flags
            put16(0, at: tcp + 16)
            pseudo.add(UnsafeRawBufferPointer(rebasing: segment[tcp...]))
            put16(pseudo.checksum, at: tcp + 16)
        }
    }
}
