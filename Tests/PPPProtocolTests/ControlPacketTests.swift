import NIOCore
import PPPProtocol
import Testing

struct ControlPacketTests {
    /// pppd's LCP Configure-Request: `asyncmap 0, magic 0x1a2b3c4d, pcomp, accomp`.
    static let pppdRequest = "01 01 00 14 02 06 00 00 00 00 05 06 1A 2B 3C 4D 07 02 08 02"

    @Test func parsesAndSerializesConfigureRequest() throws {
        var wire = buffer(Self.pppdRequest)
        let packet = try wire.readControlPacket()
        #expect(packet.code == .configureRequest)
        #expect(packet.identifier == 1)
        #expect(packet.length == 20)
        let options = try packet.options()
        #expect(
            options == [
                ConfigurationOption(type: 2, data: [0, 0, 0, 0]),
                ConfigurationOption(type: 5, data: [0x1A, 0x2B, 0x3C, 0x4D]),
                ConfigurationOption(type: 7),
                ConfigurationOption(type: 8),
            ]
        )
        #expect(options[1].integer(as: UInt32.self) == 0x1A2B_3C4D)

        let built = ControlPacket(code: .configureRequest, identifier: 1, options: options)
        var out = ByteBuffer()
        out.writeControlPacket(built)
        #expect(out.bytesArray == bytes(Self.pppdRequest))
    }

    @Test func ignoresPaddingBeyondLength() throws {
        // RFC 1661 §5: "Octets outside the range of the Length field are treated as padding".
        var wire = buffer("09 02 00 08 00 00 00 00 AA BB CC")
        let packet = try wire.readControlPacket()
        #expect(packet.code == .echoRequest)
        #expect(packet.data.bytesArray == [0, 0, 0, 0])
        #expect(wire.readableBytes == 0)
    }

    @Test(arguments: [
        ("01 01 00", PPPError.Code.truncatedPacket),
        ("01 01 00 03", .badPacketLength),  // Length below the header
        ("01 01 00 09 01 04 05 DC", .badPacketLength),  // Length beyond the frame
    ])
    func rejectsBadLengths(hex: String, code: PPPError.Code) {
        var wire = buffer(hex)
        #expect {
            try wire.readControlPacket()
        } throws: { error in
            (error as? PPPError)?.code == code
        }
    }

    @Test(arguments: [
        "01 01",  // option Length < 2
        "01 00 05 DC",  // option Length 0
        "01 04 05",  // option overruns the packet
        "05",  // a lone Type byte
    ])
    func rejectsMalformedOptions(hex: String) {
        #expect {
            try ConfigurationOption.parseList(buffer(hex))
        } throws: { error in
            (error as? PPPError)?.code == .badOptionLength
        }
    }

    @Test func emptyOptionList() throws {
        var wire = buffer("01 05 00 04")
        let packet = try wire.readControlPacket()
        #expect(try packet.options().isEmpty)
    }
}
