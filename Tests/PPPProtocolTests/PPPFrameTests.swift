import NIOCore
import PPPProtocol
import Testing

struct PPPFrameTests {
    @Test func classifiesFullHeader() throws {
        // sstpc trace (reliablehosting/sstp-client#9): an IPCP frame inside an SSTP data packet.
        let frame = buffer("FF 03 80 21 01 01 00 04")
        let classified = try #require(PPPFrame.classify(frame))
        #expect(classified.protocolNumber == .ipcp)
        #expect(classified.payload.bytesArray == bytes("01 01 00 04"))
    }

    @Test func classifiesWithoutAddressControl() throws {
        // RFC 1661 §6.6 ACFC: the frame starts directly with the protocol field.
        let classified = try #require(PPPFrame.classify(buffer("C0 21 09 01 00 08 00 00 00 00")))
        #expect(classified.protocolNumber == .lcp)
        #expect(classified.payload.readableBytes == 8)
    }

    @Test func classifiesCompressedProtocolField() throws {
        // RFC 1661 §6.5 PFC: IPv4 (0x0021) sent as the single odd byte 0x21, with and without FF 03.
        let withHeader = try #require(PPPFrame.classify(buffer("FF 03 21 45 00")))
        #expect(withHeader.protocolNumber == .ipv4)
        #expect(withHeader.payload.bytesArray == [0x45, 0x00])
        let bare = try #require(PPPFrame.classify(buffer("57 60 00")))
        #expect(bare.protocolNumber == .ipv6)
        #expect(bare.payload.bytesArray == [0x60, 0x00])
        // An odd first byte is always a compressed field, even where a 2-byte one was meant.
        #expect(PPPFrame.classify(buffer("C1 21"))?.protocolNumber.rawValue == 0xC1)
    }

    @Test(arguments: [
        ("", PPPError.Code.truncatedFrame),
        ("FF", .truncatedFrame),
        ("FF 05 C0 21", .badAddressControl),
        ("FF 03", .truncatedFrame),
        ("FF 03 C0", .truncatedFrame),
        ("80 20 00", .badProtocolField),  // even low byte
    ])
    func rejectsMalformedHeaders(hex: String, code: PPPError.Code) throws {
        let frame = buffer(hex)
        #expect(PPPFrame.classify(frame) == nil)
        #expect(throws: PPPError.self) { try PPPFrame.decode(frame) }
        do {
            _ = try PPPFrame.decode(frame)
        } catch {
            #expect(error.code == code)
        }
    }

    @Test func encodesFullForm() {
        let frame = PPPFrame.encode(protocol: .lcp, payload: buffer("09 01 00 08 01 02 03 04"))
        #expect(frame.bytesArray == bytes("FF 03 C0 21 09 01 00 08 01 02 03 04"))
    }

    @Test func encapsulatesInHeadroomWithoutCopy() {
        var packet = ByteBuffer()
        packet.writeBytes([0, 0, 0, 0, 0x45, 0x00, 0x00, 0x14])
        packet.moveReaderIndex(forwardBy: 4)
        PPPFrame.encapsulate(&packet, protocol: .ipv4)
        #expect(packet.bytesArray == bytes("FF 03 00 21 45 00 00 14"))

        var noHeadroom = buffer("60 00 00 00")
        PPPFrame.encapsulate(&noHeadroom, protocol: .ipv6)
        #expect(noHeadroom.bytesArray == bytes("FF 03 00 57 60 00 00 00"))
    }

    @Test func controlProtocolCheck() {
        #expect(PPPProtocolNumber.lcp.isControlProtocol)
        #expect(PPPProtocolNumber.chap.isControlProtocol)
        #expect(PPPProtocolNumber.ipcp.isControlProtocol)
        #expect(PPPProtocolNumber.ccp.isControlProtocol)
        #expect(PPPProtocolNumber(rawValue: 0xC481).isControlProtocol)
        #expect(!PPPProtocolNumber.ipv4.isControlProtocol)
        #expect(!PPPProtocolNumber.ipv6.isControlProtocol)
        #expect(!PPPProtocolNumber(rawValue: 0x8121).isControlProtocol)
    }
}
