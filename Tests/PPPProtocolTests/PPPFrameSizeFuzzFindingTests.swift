import NIOCore
import PPPProtocol
import Testing

/// Frames a PPP session sends must fit one SSTP data packet (4091 bytes, `PPPFrame.maximumFrameSize`): the connection
/// handlers write them with `writeSSTPDataPacket(_:)`, whose precondition stops the whole process otherwise. Found
/// with the `ppp-session` fuzz harness's frame-size invariant (docs/fuzzing.md, findings 1 and 2); the inputs are also
/// in Fuzz/Regressions/ppp-session/.
struct PPPFrameSizeFuzzFindingTests {
    static func sentFrames(_ actions: [PPPAction]) -> [ByteBuffer] {
        actions.compactMap { action in
            if case .sendFrame(let frame) = action { return frame }
            return nil
        }
    }

    /// The gateway with LCP Opened after the peer asked for the largest MRU SSTP allows, 4091 (`01 04 0F FB`).
    static func serverWithLargestPeerMRU() throws -> PPPSession {
        let server = try PPPSessionTests.openedServer(peerRequest: "01 01 00 0E 01 04 0F FB 05 06 33 33 33 33")
        #expect(server.lcpPolicy.peerMRU == 4091)
        return server
    }

    /// Finding 1: an LCP packet with an unknown Code, as long as one SSTP data packet allows (4087 bytes), was
    /// Code-Rejected whole: a 4091-byte packet in a 4095-byte frame.
    @Test func codeRejectOfTheLongestPacketFitsOneSSTPPacket() throws {
        var server = try Self.serverWithLargestPeerMRU()
        let frame = bytes("FF 03 C0 21 20 01 0F F7") + [UInt8](repeating: 0x41, count: 4083)
        #expect(frame.count == PPPFrame.maximumFrameSize)
        let sent = Self.sentFrames(server.receiveFrame(ByteBuffer(bytes: frame)))
        try #require(sent.count == 1)
        #expect(sent[0].readableBytes == PPPFrame.maximumFrameSize)
        #expect(Array(sent[0].bytesArray.prefix(5)) == bytes("FF 03 C0 21 07"))
    }

    /// Finding 1: a frame of an unknown protocol with a one-byte (compressed) Protocol field leaves 4088 bytes of
    /// information, which Protocol-Reject copied up to the peer's MRU: a 4095-byte frame.
    @Test func protocolRejectOfTheLongestFrameFitsOneSSTPPacket() throws {
        var server = try Self.serverWithLargestPeerMRU()
        let frame = bytes("FF 03 09") + [UInt8](repeating: 0x42, count: 4088)
        let sent = Self.sentFrames(server.receiveFrame(ByteBuffer(bytes: frame)))
        try #require(sent.count == 1)
        #expect(sent[0].readableBytes == PPPFrame.maximumFrameSize)
        #expect(Array(sent[0].bytesArray.prefix(5)) == bytes("FF 03 C0 21 08"))
        #expect(Array(sent[0].bytesArray[6..<10]) == bytes("0F F7 00 09"))
    }

    @Test func echoReplyToTheLongestEchoRequestFitsOneSSTPPacket() throws {
        var server = try Self.serverWithLargestPeerMRU()
        let frame = bytes("FF 03 C0 21 09 02 0F F7 AA BB CC DD") + [UInt8](repeating: 0x43, count: 4079)
        let sent = Self.sentFrames(server.receiveFrame(ByteBuffer(bytes: frame)))
        try #require(sent.count == 1)
        #expect(sent[0].readableBytes <= PPPFrame.maximumFrameSize)
        #expect(Array(sent[0].bytesArray.prefix(5)) == bytes("FF 03 C0 21 0A"))
    }

    /// Finding 2: without Address and Control (accepted before ACFC is negotiated) a Configure-Request can be 4089
    /// bytes; the Configure-Reject repeating its unknown options was 4093 bytes. It is discarded now.
    @Test func configureRequestTooLongToAnswerIsDiscarded() {
        var server = SessionPair().server
        _ = server.lowerLayerUp()
        var options: [UInt8] = []
        for _ in 0..<16 { options += [0x42, 0xFF] + [UInt8](repeating: 0x11, count: 253) }
        options += [0x43, 0x05, 0x01, 0x02, 0x03]
        let frame = bytes("C0 21 01 05 0F F9") + options
        #expect(frame.count == PPPFrame.maximumFrameSize)
        #expect(Self.sentFrames(server.receiveFrame(ByteBuffer(bytes: frame))).isEmpty)
        // An ordinary request is still answered.
        let answer = Self.sentFrames(server.receiveFrame(buffer("FF 03 C0 21 01 06 00 08 42 04 01 02")))
        #expect(answer.map(\.bytesArray) == [bytes("FF 03 C0 21 04 06 00 08 42 04 01 02")])
    }

    /// Finding 2: `sstp-dial` (the peer role) Naks every Authentication-Protocol option it does not want with the
    /// 5-byte MS-CHAPv2 option; 2040 empty ones (2 bytes each) and one more in a 4091-byte frame gave a 10213-byte
    /// Nak.
    @Test func nakLongerThanTheRequestIsNotSent() {
        var peer = PPPSession(configuration: PPPSessionConfiguration(lcp: .peer(magicNumber: 0x2222_2222)))
        _ = peer.lowerLayerUp()
        let options: [UInt8] = (0..<4080).map { $0 % 2 == 0 ? 0x03 : 0x02 } + [0x03, 0x03, 0x00]
        let frame = bytes("FF 03 C0 21 01 06 0F F7") + options
        #expect(frame.count == PPPFrame.maximumFrameSize)
        let sent = Self.sentFrames(peer.receiveFrame(ByteBuffer(bytes: frame)))
        #expect(sent.allSatisfy { $0.readableBytes <= PPPFrame.maximumFrameSize })
        #expect(sent.isEmpty)
    }
}
