import NIOCore
import SSTPProtocol
import Testing

/// Wire vectors, both directions: parse(bytes) == value and serialize(value) == bytes.
///
/// Provenance: the Call Connect Request, both Call Connect Acknowledges and both Call Connected messages are the
/// byte dumps of MS-SSTP §4.7 (v20240423). The others are written by hand from the layouts of §2.2.8 and
/// §2.2.12–§2.2.15.
@Suite("SSTP control messages")
struct SSTPControlMessageTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var message: SSTPControlMessage
        var testDescription: String { self.name }
    }

    static let specNonceSHA256 = hex("412B489AEBD7ECC7D08966F26BE7CD72B231A0E9210D7C91B308862B0344C435")
    static let specNonceSHA1 = hex("0F1A2D58D4A3E3000FAD3CE4906E07B707AA9E441CCEAC5CBD7B2CC1C9D86CDF")

    static let vectors: [Vector] = [
        Vector(
            name: "Call Connect Request (§4.7)",
            bytes: hex("10 01 00 0E 00 01 00 01 00 01 00 06 00 01"),
            message: .callConnectRequest
        ),
        Vector(
            name: "Call Connect Ack, SHA-256 (§4.7)",
            bytes: hex(
                """
                10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 02
                41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72
                B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35
                """
            ),
            message: .callConnectAck(hashProtocols: .sha256, nonce: specNonceSHA256)
        ),
        Vector(
            name: "Call Connect Ack, SHA-1 (§4.7)",
            bytes: hex(
                """
                10 01 00 30 00 02 00 01 00 04 00 28 00 00 00 01
                0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7
                07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF
                """
            ),
            message: .callConnectAck(hashProtocols: .sha1, nonce: specNonceSHA1)
        ),
        Vector(
            name: "Call Connected, SHA-256 (§4.7)",
            bytes: hex(
                """
                10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 02
                41 2B 48 9A EB D7 EC C7 D0 89 66 F2 6B E7 CD 72
                B2 31 A0 E9 21 0D 7C 91 B3 08 86 2B 03 44 C4 35
                79 93 EF 31 4C 49 3D AC E9 F0 2D 60 E7 E6 1C 84
                B6 69 0A AF E9 D7 AE EA 92 CB BE 8A D5 99 42 2D
                52 A6 8E FD 8C FF BF 52 77 0B 8F 0F E8 EC 73 71
                65 83 AF 6D 61 1E B6 D1 79 B3 B2 08 40 98 54 49
                """
            ),
            message: .callConnected(
                SSTPCryptoBinding(
                    hashProtocol: .sha256,
                    nonce: specNonceSHA256,
                    certificateHash: hex("7993EF314C493DACE9F02D60E7E61C84B6690AAFE9D7AEEA92CBBE8AD599422D"),
                    compoundMAC: hex("52A68EFD8CFFBF52770B8F0FE8EC73716583AF6D611EB6D179B3B20840985449")
                )
            )
        ),
        Vector(
            name: "Call Connected, SHA-1 (§4.7)",
            bytes: hex(
                """
                10 01 00 70 00 04 00 01 00 03 00 68 00 00 00 01
                0F 1A 2D 58 D4 A3 E3 00 0F AD 3C E4 90 6E 07 B7
                07 AA 9E 44 1C CE AC 5C BD 7B 2C C1 C9 D8 6C DF
                58 26 B6 29 BD A5 9B 8E 6F D8 DC D2 62 2F D3 4C
                53 48 05 A5 00 00 00 00 00 00 00 00 00 00 00 00
                69 91 5D D5 83 D8 06 2F EF 16 F6 1D B2 F0 32 90
                EC 27 CB 6C 00 00 00 00 00 00 00 00 00 00 00 00
                """
            ),
            message: .callConnected(
                SSTPCryptoBinding(
                    hashProtocol: .sha1,
                    nonce: specNonceSHA1,
                    certificateHash: hex("5826B629BDA59B8E6FD8DCD2622FD34C534805A5 000000000000000000000000"),
                    compoundMAC: hex("69915DD583D8062FEF16F61DB2F03290EC27CB6C 000000000000000000000000")
                )
            )
        ),
        Vector(
            name: "Call Connect NAK, protocol 2 not supported",
            bytes: hex("10 01 00 16 00 03 00 01 00 02 00 0E 00 00 00 01 00 00 00 04 00 02"),
            message: .callConnectNak([
                SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .valueNotSupported, value: [0x00, 0x02])
            ])
        ),
        Vector(
            name: "Call Abort, negotiation timeout",
            bytes: hex("10 01 00 14 00 05 00 01 00 02 00 0C 00 00 00 02 00 00 00 08"),
            message: .callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .negotiationTimeout))
        ),
        Vector(
            name: "Call Abort without Status Info",
            bytes: hex("10 01 00 08 00 05 00 00"),
            message: .callAbort(nil)
        ),
        Vector(
            name: "Call Disconnect with NO_ERROR",
            bytes: hex("10 01 00 14 00 06 00 01 00 02 00 0C 00 00 00 00 00 00 00 00"),
            message: .callDisconnect
        ),
        Vector(name: "Call Disconnect Ack", bytes: hex("10 01 00 08 00 07 00 00"), message: .callDisconnectAck),
        Vector(name: "Echo Request", bytes: hex("10 01 00 08 00 08 00 00"), message: .echoRequest),
        Vector(name: "Echo Response", bytes: hex("10 01 00 08 00 09 00 00"), message: .echoResponse),
        Vector(
            name: "Connect Request with an unknown attribute 0x07",
            bytes: hex("10 01 00 14 00 01 00 02 00 01 00 06 00 01 00 07 00 06 AB CD"),
            message: SSTPControlMessage(
                .callConnectRequest,
                attributes: [
                    .encapsulatedProtocolID(.ppp), .unknown(id: SSTPAttributeID(rawValue: 7), value: [0xAB, 0xCD]),
                ]
            )
        ),
    ]

    @Test("parse(vector) == message", arguments: vectors)
    func parses(_ vector: Vector) throws {
        #expect(try parseControl(vector.bytes) == vector.message)
    }

    @Test("serialize(message) == vector", arguments: vectors)
    func serializes(_ vector: Vector) {
        #expect(serialize(vector.message) == vector.bytes)
        #expect(vector.message.length == vector.bytes.count)
    }

    @Test("data packet carrying an LCP frame, both directions")
    func dataPacket() throws {
        let bytes = hex("10 00 00 0C FF 03 C0 21 01 01 00 04")
        guard case .data(let payload) = try parseOne(bytes) else {
            Issue.record("not a data packet")
            return
        }
        #expect(Array(payload.readableBytesView) == hex("FF 03 C0 21 01 01 00 04"))

        var buffer = ByteBuffer()
        let written = buffer.writeSSTPDataPacket(ByteBuffer(bytes: hex("FF 03 C0 21 01 01 00 04")))
        #expect(written == 12)
        #expect(Array(buffer.readableBytesView) == bytes)
    }

    @Test("the hash protocol bitmask picks the stronger protocol")
    func strongestHashProtocol() {
        #expect(SSTPHashProtocolBitmask([.sha1, .sha256]).strongest == .sha256)
        #expect(SSTPHashProtocolBitmask.sha1.strongest == .sha1)
        #expect(SSTPHashProtocolBitmask(rawValue: 0x04).strongest == nil)
        #expect(SSTPHashProtocol(bitmask: [.sha1, .sha256]) == nil)
        #expect(SSTPHashProtocol(bitmask: .sha1) == .sha1)
    }
}

@Suite("SSTP data packets built from a datagram")
struct SSTPDataPacketFromDatagramTests {
    @Test("header, FF 03, protocol and payload in one packet (MS-SSTP §2.2.3)")
    func vector() {
        var buffer = ByteBuffer()
        let written = buffer.writeSSTPDataPacket(pppProtocol: 0x0021, payload: ByteBuffer(bytes: [0x45, 0x00]))
        #expect(written)
        #expect(Array(buffer.readableBytesView) == [0x10, 0x00, 0x00, 0x0A, 0xFF, 0x03, 0x00, 0x21, 0x45, 0x00])
    }

    @Test("a datagram that would exceed 4095 bytes is refused and nothing is written")
    func tooLarge() {
        var buffer = ByteBuffer()
        let tooLarge = buffer.writeSSTPDataPacket(pppProtocol: 0x0021, payload: ByteBuffer(repeating: 0, count: 4088))
        #expect(!tooLarge)
        #expect(buffer.readableBytes == 0)
        let largest = buffer.writeSSTPDataPacket(pppProtocol: 0x0021, payload: ByteBuffer(repeating: 0, count: 4087))
        #expect(largest)
        #expect(buffer.readableBytes == 4095)
    }
}
