import NIOCore
import SSTPProtocol
import Testing

@Suite("SSTP packet parser")
struct SSTPPacketParserTests {
    /// Three packets back to back: a Call Connect Request, a data packet, an Echo Request.
    static let stream = hex(
        """
        10 01 00 0E 00 01 00 01 00 01 00 06 00 01
        10 00 00 0C FF 03 C0 21 01 01 00 04
        10 01 00 08 00 08 00 00
        """
    )

    static let expected: [SSTPPacket] = [
        .control(.callConnectRequest),
        .data(ByteBuffer(bytes: hex("FF 03 C0 21 01 01 00 04"))),
        .control(.echoRequest),
    ]

    static func drain(_ parser: inout SSTPPacketParser) throws -> [SSTPPacket] {
        var packets: [SSTPPacket] = []
        while let packet = try parser.nextPacket() {
            packets.append(packet)
        }
        return packets
    }

    @Test("one byte at a time")
    func byteAtATime() throws {
        var parser = SSTPPacketParser()
        var packets: [SSTPPacket] = []
        for byte in Self.stream {
            parser.append(ByteBuffer(bytes: [byte]))
            packets += try Self.drain(&parser)
        }
        #expect(packets == Self.expected)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("all at once, and in every two-way split", arguments: 0...stream.count)
    func split(at index: Int) throws {
        var parser = SSTPPacketParser()
        parser.append(ByteBuffer(bytes: Self.stream[..<index]))
        var packets = try Self.drain(&parser)
        parser.append(ByteBuffer(bytes: Self.stream[index...]))
        packets += try Self.drain(&parser)
        #expect(packets == Self.expected)
    }

    @Test("a long stream in 7-byte chunks: every packet, never more than one partial packet held")
    func boundedBuffer() throws {
        let packet = hex("10 00 00 0C FF 03 00 21 45 00 00 14")
        let stream = [UInt8]((0..<2000).flatMap { _ in packet })
        var parser = SSTPPacketParser()
        var count = 0
        var index = 0
        while index < stream.count {
            let end = min(index + 7, stream.count)
            parser.append(ByteBuffer(bytes: stream[index..<end]))
            index = end
            while try parser.nextPacket() != nil { count += 1 }
            #expect(parser.bufferedByteCount < packet.count)
        }
        #expect(count == 2000)
    }

    @Test("a data packet is a slice of the received buffer, not a copy")
    func dataIsNotCopied() throws {
        let received = ByteBuffer(bytes: Self.stream)
        var parser = SSTPPacketParser()
        parser.append(received)
        let packets = try Self.drain(&parser)
        guard case .data(let payload) = packets[1] else {
            Issue.record("expected a data packet")
            return
        }
        let payloadAddress = payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let receivedAddress = received.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(payloadAddress == receivedAddress + 14 + 4)
    }

    @Test("reserved bits of the header and attribute lengths are ignored")
    func reservedBitsMasked() throws {
        // Byte 1 = 0xFF (7 reserved bits set, C = 1); length word 0xF00E; attribute length word 0xA006.
        let message = try parseControl(hex("10 FF F0 0E 00 01 00 01 00 01 A0 06 00 01"))
        #expect(message == .callConnectRequest)
    }

    @Test(
        "framing errors",
        arguments: [
            (hex("11 01 00 08 00 08 00 00"), SSTPFramingError.Code.unsupportedVersion),
            (hex("20 00 00 08 00 00 00 00"), .unsupportedVersion),
            (hex("10 01 00 03"), .lengthTooShort),
            (hex("10 00 F0 00"), .lengthTooShort),
        ]
    )
    func framingErrors(_ bytes: [UInt8], _ code: SSTPFramingError.Code) throws {
        var parser = SSTPPacketParser()
        parser.append(ByteBuffer(bytes: bytes))
        #expect(throws: SSTPParseError.self) { try parser.nextPacket() }
        do {
            _ = try parser.nextPacket()
            Issue.record("a failed parser must keep failing")
        } catch {
            guard case .framing(let framing) = error else {
                Issue.record("expected a framing error, got \(error)")
                return
            }
            #expect(framing.code == code)
        }
    }

    @Test("a length above the configured maximum is rejected from the header alone")
    func lengthTooLong() {
        var parser = SSTPPacketParser(maximumPacketLength: 1500)
        parser.append(ByteBuffer(bytes: hex("10 00 05 DD")))  // 1501
        do {
            _ = try parser.nextPacket()
            Issue.record("expected a framing error")
        } catch {
            guard case .framing(let framing) = error else {
                Issue.record("expected a framing error")
                return
            }
            #expect(framing.code == .lengthTooLong)
        }
    }

    @Test("a header is checked before the rest of the packet arrives")
    func headerCheckedEarly() {
        var parser = SSTPPacketParser()
        parser.append(ByteBuffer(bytes: hex("10 00 0F FF")))  // announces 4095 bytes; none of them has arrived
        #expect(throws: Never.self) { try parser.nextPacket() }
        var bad = SSTPPacketParser()
        bad.append(ByteBuffer(bytes: hex("11 00 0F FF")))
        #expect(throws: SSTPParseError.self) { try bad.nextPacket() }
    }

    @Test(
        "message errors",
        arguments: [
            // Control packet too short for Message Type and Num Attributes.
            (hex("10 01 00 06 00 01"), SSTPMessageError.Code.truncatedControlPacket, nil as UInt8?),
            // Message type 0x000A.
            (hex("10 01 00 08 00 0A 00 00"), .unknownMessageType, nil),
            // Attribute length 0x0010 runs past the packet.
            (hex("10 01 00 0E 00 01 00 01 00 01 00 10 00 01"), .attributeOverrun, 0x01),
            // Attribute header cut short.
            (hex("10 01 00 0A 00 01 00 01 00 01"), .attributeOverrun, 0x01),
            // Attribute length 2, below its own header.
            (hex("10 01 00 0E 00 01 00 01 00 01 00 02 00 01"), .attributeTooShort, 0x01),
            // Num Attributes 2, one present.
            (hex("10 01 00 0E 00 01 00 02 00 01 00 06 00 01"), .attributeCountMismatch, nil),
            // Num Attributes 1, none present (Echo Request).
            (hex("10 01 00 08 00 08 00 01"), .attributeCountMismatch, nil),
            // Encapsulated Protocol ID of length 7.
            (hex("10 01 00 0F 00 01 00 01 00 01 00 07 00 01 00"), .invalidAttributeLength, 0x01),
            // Status Info of length 8 (< 12).
            (hex("10 01 00 10 00 05 00 01 00 02 00 08 00 00 00 02"), .invalidAttributeLength, 0x02),
            // Crypto Binding Request of length 0x24 instead of 0x28.
            (
                hex("10 01 00 2C 00 02 00 01 00 04 00 24 00 00 00 03") + [UInt8](repeating: 0, count: 28),
                .invalidAttributeLength, 0x04
            ),
            // Crypto Binding of length 0x6C instead of 0x68.
            (
                hex("10 01 00 74 00 04 00 01 00 03 00 6C 00 00 00 02") + [UInt8](repeating: 0, count: 100),
                .invalidAttributeLength, 0x03
            ),
        ]
    )
    func messageErrors(_ bytes: [UInt8], _ code: SSTPMessageError.Code, _ attributeID: UInt8?) throws {
        var parser = SSTPPacketParser()
        // The bad packet is followed by a good one: the stream stays usable.
        parser.append(ByteBuffer(bytes: bytes + hex("10 01 00 08 00 08 00 00")))
        do {
            _ = try parser.nextPacket()
            Issue.record("expected a message error")
        } catch {
            guard case .invalidMessage(let messageError) = error else {
                Issue.record("expected a message error, got \(error)")
                return
            }
            #expect(messageError.code == code)
            #expect(messageError.attributeID?.rawValue == attributeID)
        }
        #expect(try parser.nextPacket() == .control(.echoRequest))
    }

    @Test("a wrong attribute length in a Connect Request names the attribute for the NAK")
    func invalidLengthStatusInfo() {
        var parser = SSTPPacketParser()
        parser.append(ByteBuffer(bytes: hex("10 01 00 0F 00 01 00 01 00 01 00 07 00 01 00")))
        do {
            _ = try parser.nextPacket()
        } catch {
            guard case .invalidMessage(let messageError) = error else { return }
            #expect(messageError.messageType == .callConnectRequest)
            #expect(
                messageError.statusInfo
                    == SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .invalidAttribValueLength)
            )
            return
        }
        Issue.record("expected a message error")
    }
}
