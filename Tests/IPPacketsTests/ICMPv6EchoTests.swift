import IPPackets
import NIOCore
import Testing

@Suite("ICMPv6 echo on link-local addresses")
struct ICMPv6EchoTests {
    // fe80::1 -> fe80::2, Echo Request id 0x1234 seq 1 data "abcd", hop limit 64; checksum 0xABB8 computed
    // independently (RFC 4443 §2.3 pseudo-header sum, by a separate script).
    static let request = "60000000000c3a40fe800000000000000000000000000001fe800000000000000000000000000002"
        + "8000abb81234000161626364"
    // The reply the gateway must send: addresses swapped, type 129, checksum 0xAAB8.
    static let reply = "60000000000c3a40fe800000000000000000000000000002fe800000000000000000000000000001"
        + "8100aab81234000161626364"

    static func buffer(_ hex: String) -> ByteBuffer {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return ByteBuffer(bytes: bytes)
    }

    @Test("an echo request to our link-local address gets the exact reply")
    func reply() throws {
        let ours = ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 2)
        let reply = try #require(ICMPv6Echo.reply(to: Self.buffer(Self.request), addressedTo: ours))
        #expect(reply == Self.buffer(Self.reply))
    }

    @Test("requests to another address, with a bad checksum, or truncated get no reply")
    func refusals() {
        let ours = ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 2)
        #expect(ICMPv6Echo.reply(to: Self.buffer(Self.request), addressedTo: ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 3)) == nil)
        var corrupted = Self.buffer(Self.request)
        corrupted.setInteger(UInt8(0x62), at: corrupted.writerIndex - 1)
        #expect(ICMPv6Echo.reply(to: corrupted, addressedTo: ours) == nil)
        let truncated = Self.buffer(String(Self.request.dropLast(8)))
        #expect(ICMPv6Echo.reply(to: truncated, addressedTo: ours) == nil)
        // An echo reply is not answered.
        #expect(ICMPv6Echo.reply(to: Self.buffer(Self.reply), addressedTo: ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 1)) == nil)
    }

    @Test("the request builder produces the vector; the reply parser reads it back")
    func builderAndParser() throws {
        let built = ICMPv6Echo.request(
            source: ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 1),
            destination: ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 2), identifier: 0x1234, sequenceNumber: 1,
            payload: ByteBuffer(string: "abcd"))
        #expect(built == Self.buffer(Self.request))
        let parsed = try #require(ICMPv6Echo.parseReply(Self.buffer(Self.reply)))
        #expect(parsed.source == ICMPv6Echo.linkLocalAddress(interfaceIdentifier: 2))
        #expect(parsed.identifier == 0x1234)
        #expect(parsed.sequenceNumber == 1)
        #expect(ICMPv6Echo.parseReply(Self.buffer(Self.request)) == nil)
    }
}
