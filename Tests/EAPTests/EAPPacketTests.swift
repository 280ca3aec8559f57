import EAP
import NIOCore
import Testing

/// Byte vectors laid out from RFC 3748 §4 (Code, Identifier, Length, Type, Type-Data) and §5.
@Suite("EAP packets")
struct EAPPacketTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var packet: EAPPacket
        var testDescription: String { self.name }
    }

    static let vectors = [
        Vector(
            name: "Request/Identity", bytes: [0x01, 0x01, 0x00, 0x05, 0x01],
            packet: .request(identifier: 1, type: .identity)),
        Vector(
            name: "Response/Identity \"alice\"", bytes: [0x02, 0x01, 0x00, 0x0A, 0x01, 0x61, 0x6C, 0x69, 0x63, 0x65],
            packet: .response(identifier: 1, type: .identity, typeData: Array("alice".utf8))),
        Vector(
            name: "Request/EAP-TLS Start", bytes: [0x01, 0x02, 0x00, 0x06, 0x0D, 0x20],
            packet: .request(identifier: 2, type: .tls, typeData: [0x20])),
        Vector(
            name: "Response/Nak proposing EAP-TLS", bytes: [0x02, 0x02, 0x00, 0x06, 0x03, 0x0D],
            packet: .response(identifier: 2, type: .nak, typeData: [0x0D])),
        Vector(
            name: "Request/Notification", bytes: [0x01, 0x09, 0x00, 0x07, 0x02, 0x68, 0x69],
            packet: .request(identifier: 9, type: .notification, typeData: Array("hi".utf8))),
        Vector(name: "Success", bytes: [0x03, 0x07, 0x00, 0x04], packet: .success(identifier: 7)),
        Vector(name: "Failure", bytes: [0x04, 0xFF, 0x00, 0x04], packet: .failure(identifier: 255)),
    ]

    @Test("parse(vector) == value and serialize(value) == vector", arguments: vectors)
    func roundTrip(_ vector: Vector) throws {
        #expect(try EAPPacket(bytes: vector.bytes) == vector.packet)
        #expect(vector.packet.bytes == vector.bytes)
        #expect(vector.packet.length == vector.bytes.count)
    }

    @Test("Identity and Nak accessors")
    func accessors() throws {
        #expect(try EAPPacket(bytes: Self.vectors[1].bytes).identityString == "alice")
        #expect(try EAPPacket(bytes: Self.vectors[3].bytes).nakProposedTypes == [.tls])
        // Nak with 0: "no alternative" (RFC 3748 §5.3.1).
        #expect(EAPPacket.response(identifier: 1, type: .nak, typeData: [0]).nakProposedTypes == [])
    }

    @Test("octets beyond Length are padding and ignored (RFC 3748 §4)")
    func padding() throws {
        var buffer = ByteBuffer(bytes: [0x03, 0x07, 0x00, 0x04, 0x00, 0x00])
        #expect(try buffer.readEAPPacket() == .success(identifier: 7))
        #expect(buffer.readableBytes == 2)
    }

    @Test("malformed packets throw typed errors")
    func malformed() {
        expectEAPError(.truncatedPacket) { try EAPPacket(bytes: [0x01, 0x01, 0x00]) }
        expectEAPError(.truncatedPacket) {
            try EAPPacket(bytes: [0x01, 0x01, 0x00, 0x09, 0x01])
        }
        expectEAPError(.unknownCode) { try EAPPacket(bytes: [0x05, 0x01, 0x00, 0x04]) }
        expectEAPError(.invalidLength) { try EAPPacket(bytes: [0x01, 0x01, 0x00, 0x04]) }
        expectEAPError(.invalidLength) {
            try EAPPacket(bytes: [0x03, 0x01, 0x00, 0x05, 0x00])
        }
        expectEAPError(.invalidLength) { try EAPPacket(bytes: [0x02, 0x01, 0x00, 0x00]) }
    }
}
