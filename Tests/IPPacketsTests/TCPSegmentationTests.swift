import IPPackets
import NIOCore
import Testing

/// The vectors were computed apart from this code (a Python script with `struct` and the RFC 1071 sum, following
/// tcp_gso_segment's rules); each checksum in them verifies.
@Suite struct TCPSegmentationTests {
    static let allocator = ByteBufferAllocator()

    /// 10.77.0.9:443 → 10.78.0.2:50000, seq 0x01020304, flags CWR|ACK|PSH|FIN, id 0x1234, DF, payload "0123456789".
    static let superIPv4 = ByteBuffer(
        hex: """
            4500 0032 1234 4000 4006 13ed 0a4d 0009 0a4e 0002
            01bb c350 0102 0304 0a0b 0c0d 5099 ffff b668 0000
            3031 3233 3435 3637 3839
            """)
    /// Cut with an MSS of 4: ids 0x1234...0x1236, seq +0/+4/+8, CWR only first, PSH and FIN only last.
    static let segmentsIPv4 = [
        ByteBuffer(hex: "4500002c12344000400613f30a4d00090a4e000201bbc350010203040a0b0c0d5090ffff591d000030313233"),
        ByteBuffer(hex: "4500002c12354000400613f20a4d00090a4e000201bbc350010203080a0b0c0d5010ffff5191000034353637"),
        ByteBuffer(hex: "4500002a12364000400613f30a4d00090a4e000201bbc3500102030c0a0b0c0d5019ffff83b900003839"),
    ]
    /// fd00::9:443 → fd00::2:50001, seq 0xfffffffc (wraps), ACK|PSH, payload "abcdefghij".
    static let superIPv6 = ByteBuffer(
        hex: """
            6000 0000 001e 0640 fd00 0000 0000 0000 0000 0000 0000 0009
            fd00 0000 0000 0000 0000 0000 0000 0002
            01bb c351 ffff fffc 0000 0001 5018 03e8 f1c3 0000 6162 6364 6566 6768 696a
            """)
    static let segmentsIPv6 = [
        ByteBuffer(
            hex: "60000000001a0640fd000000000000000000000000000009fd000000000000000000000000000002"
                + "01bbc351fffffffc00000001501003e8c2a20000616263646566"),
        ByteBuffer(
            hex: "6000000000180640fd000000000000000000000000000009fd000000000000000000000000000002"
                + "01bbc3510000000200000001501803e81bf200006768696a"),
    ]

    @Test("the virtio_net_hdr's 10 little-endian bytes parse and write back")
    func virtioHeaderBytes() throws {
        let bytes = ByteBuffer(hex: "01 81 3400 a805 1400 1000")
        let header = try VirtioNetHeader(parsing: bytes)
        #expect(header.needsChecksumCompletion)
        #expect(header.gsoType.withoutECN == .tcpv4 && header.gsoType.rawValue & VirtioNetHeader.GSOType.ecnFlag != 0)
        #expect(header.headerLength == 52 && header.gsoSize == 1448)
        #expect(header.checksumStart == 20 && header.checksumOffset == 16)
        var written = ByteBuffer()
        #expect(written.writeVirtioNetHeader(header) == 10)
        #expect(written == bytes)
        #expect(throws: IPPacketError.truncated) { try VirtioNetHeader(parsing: ByteBuffer(hex: "0000 0000 0000 0000 00")) }
        #expect(bytes.withUnsafeReadableBytes { VirtioNetHeader(bytes: $0) } == header)
        #expect(ByteBuffer(hex: "0000 0000 0000 0000 00").withUnsafeReadableBytes { VirtioNetHeader(bytes: $0) } == nil)
    }

    @Test("an IPv4 super-packet cut at an MSS of 4 gives the kernel's three segments, byte for byte")
    func ipv4Segments() throws {
        let header = VirtioNetHeader(
            flags: VirtioNetHeader.needsChecksum, gsoType: VirtioNetHeader.GSOType(rawValue: 0x81), headerLength: 40,
            gsoSize: 4, checksumStart: 20, checksumOffset: 16)
        let packets = try TCPSegmentation.packets(
            from: Self.superIPv4, header: header, maximumPacketSize: 1400, allocator: Self.allocator)
        #expect(packets == Self.segmentsIPv4)
    }

    @Test("the client's MRU cuts smaller than the MSS when it is the tighter bound")
    func mruBoundsTheSegment() throws {
        let header = VirtioNetHeader(gsoType: .tcpv4, gsoSize: 1448)
        // 44 bytes of IP: 40 of headers and 4 of payload, the same cut as an MSS of 4.
        let packets = try TCPSegmentation.packets(
            from: Self.superIPv4, header: header, maximumPacketSize: 44, allocator: Self.allocator)
        #expect(packets == Self.segmentsIPv4)
        #expect(throws: TCPSegmentation.Failure.packetSizeTooSmall) {
            try TCPSegmentation.packets(
                from: Self.superIPv4, header: header, maximumPacketSize: 40, allocator: Self.allocator)
        }
    }

    @Test("an IPv6 super-packet: payload lengths set, the sequence number wraps, FIN/PSH only on the last")
    func ipv6Segments() throws {
        let header = VirtioNetHeader(gsoType: .tcpv6, gsoSize: 6)
        let packets = try TCPSegmentation.packets(
            from: Self.superIPv6, header: header, maximumPacketSize: 1400, allocator: Self.allocator)
        #expect(packets == Self.segmentsIPv6)
    }

    @Test("a super-packet that fits in one segment comes out as itself with valid checksums")
    func oneSegment() throws {
        let header = VirtioNetHeader(gsoType: .tcpv4, gsoSize: 1448)
        let packets = try TCPSegmentation.packets(
            from: Self.superIPv4, header: header, maximumPacketSize: 1400, allocator: Self.allocator)
        #expect(packets == [Self.superIPv4])
    }

    @Test("a partial UDP checksum (pseudo header's sum in the field) is completed; other packets pass untouched")
    func partialChecksumCompleted() throws {
        let partial = ByteBuffer(hex: "45000027000700004011661a0a4d00090a4e000214e90009001314ca68656c6c6f2c2073737470")
        let done = ByteBuffer(hex: "45000027000700004011661a0a4d00090a4e000214e9000900138e4a68656c6c6f2c2073737470")
        let header = VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, checksumStart: 20, checksumOffset: 6)
        #expect(try TCPSegmentation.packets(from: partial, header: header, maximumPacketSize: 1400, allocator: Self.allocator) == [done])
        #expect(try TCPSegmentation.packets(from: done, header: .none, maximumPacketSize: 1400, allocator: Self.allocator) == [done])
        let pastTheEnd = VirtioNetHeader(flags: VirtioNetHeader.needsChecksum, checksumStart: 20, checksumOffset: 30)
        #expect(throws: TCPSegmentation.Failure.malformed) {
            try TCPSegmentation.packets(from: partial, header: pastTheEnd, maximumPacketSize: 1400, allocator: Self.allocator)
        }
    }

    @Test("a 64 KiB super-packet: every segment's IP and TCP checksums verify and the payload is whole, in order")
    func largeSuperPacket() throws {
        let payload = (0..<65_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var packet = ByteBuffer(hex: "4500 0000 abcd 4000 4006 0000 0a4d 0009 0a4e 0002 01bb c350 0000 0001 0000 0000 5018 ffff 0000 0000")
        packet.writeBytes(payload)
        packet.setInteger(UInt16(packet.readableBytes), at: 2)
        let packets = try TCPSegmentation.packets(
            from: packet, header: VirtioNetHeader(gsoType: .tcpv4, gsoSize: 1448), maximumPacketSize: 1400,
            allocator: Self.allocator)
        #expect(packets.count == (65_000 + 1359) / 1360)
        var rejoined: [UInt8] = []
        for (index, segment) in packets.enumerated() {
            #expect(segment.readableBytes <= 1400)
            #expect(InternetChecksum.checksum(of: segment.getSlice(at: 0, length: 20)!) == 0, "IPv4 header \(index)")
            var tcp = InternetChecksum()
            tcp.add(segment.getSlice(at: 12, length: 8)!)
            tcp.add(word: 6)
            tcp.add(word: UInt16(segment.readableBytes - 20))
            tcp.add(segment.getSlice(at: 20, length: segment.readableBytes - 20)!)
            #expect(tcp.checksum == 0, "TCP checksum of segment \(index)")
            #expect(segment.getInteger(at: 4, as: UInt16.self) == 0xabcd &+ UInt16(index))
            #expect(segment.getInteger(at: 24, as: UInt32.self) == 1 + UInt32(index * 1360))
            rejoined += segment.getBytes(at: 40, length: segment.readableBytes - 40)!
        }
        #expect(rejoined == payload)
    }

    @Test("malformed or unsupported super-packets are refused, not cut")
    func refusals() {
        func cut(_ packet: ByteBuffer, _ type: VirtioNetHeader.GSOType) throws(TCPSegmentation.Failure) {
            _ = try TCPSegmentation.packets(
                from: packet, header: VirtioNetHeader(gsoType: type, gsoSize: 4), maximumPacketSize: 1400,
                allocator: Self.allocator)
        }
        #expect(throws: TCPSegmentation.Failure.unsupported) { try cut(Self.superIPv4, .udp) }
        #expect(throws: TCPSegmentation.Failure.unsupported) { try cut(Self.superIPv4, .tcpv6) }
        #expect(throws: TCPSegmentation.Failure.unsupported) { try cut(Self.superIPv6, .tcpv4) }
        #expect(throws: TCPSegmentation.Failure.malformed) { try cut(Self.superIPv4.getSlice(at: 0, length: 45)!, .tcpv4) }
        #expect(throws: TCPSegmentation.Failure.malformed) { try cut(ByteBuffer(), .tcpv4) }
        var badOffset = Self.superIPv4
        badOffset.setInteger(UInt8(0x40), at: 32)  // TCP data offset 4 words
        #expect(throws: TCPSegmentation.Failure.malformed) { try cut(badOffset, .tcpv4) }
        var udp = Self.superIPv4
        udp.setInteger(UInt8(17), at: 9)
        #expect(throws: TCPSegmentation.Failure.malformed) { try cut(udp, .tcpv4) }
    }
}
