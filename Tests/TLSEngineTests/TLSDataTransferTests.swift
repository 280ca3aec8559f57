import NIOCore
import TLSEngine
import Testing

@Suite struct TLSDataTransferTests {
    @Test(arguments: [TLSVersion.tls12, .tls13])
    func dataFlowsBothWays(version: TLSVersion) throws {
        let (client, server) = try connectedPair(version: version)
        try client.writePlaintext(ByteBuffer(string: "hello from client"))
        pump(client, server)
        var received = ByteBuffer()
        #expect(drainPlaintext(server, into: &received).isWantRead)
        #expect(String(buffer: received) == "hello from client")

        try server.writePlaintext(ByteBuffer(string: "hello from server"))
        try server.writePlaintext(ByteBuffer(string: ", twice"))
        pump(server, client)
        var back = ByteBuffer()
        #expect(drainPlaintext(client, into: &back).isWantRead)
        #expect(String(buffer: back) == "hello from server, twice")
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func oneMebibyteIn1400ByteWrites(version: TLSVersion) throws {
        let (client, server) = try connectedPair(version: version)
        let payload = pattern(count: 1 << 20, seed: 7)
        var received = ByteBuffer()
        var offset = 0
        var writes = 0
        while offset < payload.count {
            let end = min(offset + 1400, payload.count)
            try client.writePlaintext(ByteBuffer(bytes: payload[offset..<end]))
            offset = end
            writes += 1
            // Move ciphertext in uneven batches to exercise records split across feeds.
            if writes % 7 == 0 { pump(client, server) }
            if writes % 13 == 0 { _ = drainPlaintext(server, into: &received) }
        }
        pump(client, server)
        #expect(drainPlaintext(server, into: &received).isWantRead)
        #expect(received.readableBytes == payload.count)
        #expect(received.readableBytesView.elementsEqual(payload))

        // And back, as one large write (64 records of 16 KiB).
        try server.writePlaintext(received)
        let ciphertext = try #require(server.takeCiphertext())
        #expect(ciphertext.readableBytes > payload.count)
        #expect(ciphertext.readableBytes < payload.count + 64 * 64)  // record overhead only
        var inbound = ciphertext
        client.feedCiphertext(&inbound)
        var echoed = ByteBuffer()
        #expect(drainPlaintext(client, into: &echoed).isWantRead)
        #expect(echoed.readableBytesView.elementsEqual(payload))
    }

    @Test func readStopsAtMaximumBytes() throws {
        let (client, server) = try connectedPair()
        try client.writePlaintext(ByteBuffer(bytes: pattern(count: 100_000)))
        pump(client, server)
        var received = ByteBuffer()
        guard case .bytes(let first) = server.readPlaintext(into: &received, maximumBytes: 20_000) else {
            Issue.record("no bytes")
            return
        }
        #expect(first >= 20_000 && first < 20_000 + TLSConnection.maximumRecordPlaintext)
        #expect(drainPlaintext(server, into: &received).isWantRead)
        #expect(received.readableBytes == 100_000)
    }

    @Test func writeBeforeHandshakeIsRefused() throws {
        let client = try TLSConnection(context: Fixtures.clientContext())
        let error = #expect(throws: TLSError.self) { try client.writePlaintext(ByteBuffer(string: "early")) }
        #expect(error?.code == .handshakeNotComplete)
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func closeNotifyIsReportedAsClosed(version: TLSVersion) throws {
        let (client, server) = try connectedPair(version: version)
        try client.writePlaintext(ByteBuffer(string: "last words"))
        client.shutdown()
        client.shutdown()  // idempotent
        pump(client, server)
        var received = ByteBuffer()
        guard case .bytes = server.readPlaintext(into: &received) else {
            Issue.record("data before close_notify lost")
            return
        }
        #expect(String(buffer: received) == "last words")
        guard case .closed = server.readPlaintext(into: &received) else {
            Issue.record("close_notify not reported")
            return
        }
        #expect(server.peerClosed)
        #expect(throws: TLSError.self) { try client.writePlaintext(ByteBuffer(string: "after close")) }
    }

    @Test(arguments: [(TLSVersion.tls12, UInt8(21)), (.tls13, UInt8(23))])
    func corruptedRecordIsAProtocolError(version: TLSVersion, alertRecordType: UInt8) throws {
        let (client, server) = try connectedPair(version: version)
        try client.writePlaintext(ByteBuffer(string: "tamper with me"))
        var record = try #require(client.takeCiphertext())
        let last = record.writerIndex - 1
        record.setInteger(record.getInteger(at: last, as: UInt8.self)! ^ 0x01, at: last)
        server.feedCiphertext(&record)
        var received = ByteBuffer()
        guard case .error(let error) = server.readPlaintext(into: &received) else {
            Issue.record("tampered record accepted")
            return
        }
        #expect(error.code == .protocolError)
        #expect(received.readableBytes == 0)
        // A fatal alert goes back to the peer: record type 21 (alert) in TLS 1.2; in TLS 1.3 alerts are encrypted
        // and travel as type 23 (RFC 8446 §5.2).
        let alert = try #require(server.takeCiphertext())
        #expect(alert.getInteger(at: alert.readerIndex, as: UInt8.self) == alertRecordType)
    }
}

extension TLSConnection.ReadResult {
    var isWantRead: Bool { if case .wantRead = self { true } else { false } }
}
