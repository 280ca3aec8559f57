import IPPackets
import NIOCore
import Testing

@Suite struct InternetChecksumTests {
    /// RFC 1071 §3 numerical example: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, so the checksum is 220d.
    @Test func rfc1071Example() {
        var checksum = InternetChecksum()
        checksum.add(ByteBuffer(hex: "0001 f203 f4f5 f6f7"))
        #expect(checksum.sum == 0xDDF2)
        #expect(checksum.checksum == 0x220D)
    }

    @Test func splitAcrossOddChunksEqualsWhole() {
        let whole = ByteBuffer(hex: "0001 f203 f4f5 f6f7 ab")
        var split = InternetChecksum()
        split.add(ByteBuffer(hex: "00 01f2"))
        split.add(ByteBuffer(hex: "03f4 f5"))
        split.add(ByteBuffer(hex: "f6f7ab"))
        #expect(split.checksum == InternetChecksum.checksum(of: whole))
        // An odd trailing byte is padded with zero: ab -> ab00.
        #expect(InternetChecksum.checksum(of: whole) == ~UInt16(0xDDF2 + 0xAB00 - 0xFFFF))
    }

    @Test func dataIncludingItsChecksumVerifiesToZero() {
        #expect(InternetChecksum.checksum(of: PingVectors.request.getSlice(at: 0, length: 20)!) == 0)
        #expect(InternetChecksum.checksum(of: PingVectors.request.getSlice(at: 20, length: 64)!) == 0)
        #expect(InternetChecksum.checksum(of: PingVectors.reply.getSlice(at: 20, length: 64)!) == 0)
    }
}
