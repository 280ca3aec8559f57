import Foundation
import NIOCore
import NIOPosix
import SSTPNIO
import TLSEngine
import Testing

/// `TLSHandler` on both ends of real loopback TCP connections.
@Suite struct TLSHandlerLoopbackTests {
    static let certs: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/certs").path
    static let leafSHA256Hex = "420f66de7b47399ef3c1c0d40b6f80ea6d3f152eb027dc370a2f2a9929ad16c1"

    static func serverContext(maximumVersion: TLSVersion = .tls13) throws -> TLSContext {
        try TLSContext.server(
            certificateChainFile: certs + "/server.pem", privateKeyFile: certs + "/server.key",
            maximumVersion: maximumVersion)
    }

    static func clientContext(ca: String = "ca.pem", version: TLSVersion? = nil) throws -> TLSContext {
        try TLSContext.client(
            trustRootsFile: certs + "/" + ca, verifyPeer: true,
            minimumVersion: version ?? .tls12, maximumVersion: version ?? .tls13)
    }

    /// Starts an echo server; `observer` sees each accepted channel's events.
    static func startServer(
        group: any EventLoopGroup,
        context: TLSContext,
        observer: ChannelObserver,
        closeAfterBytes: Int? = nil
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(
                        EchoHandler(observer: observer, closeAfterBytes: closeAfterBytes))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    static func connect(
        group: any EventLoopGroup,
        to server: any Channel,
        context: TLSContext,
        collector: Collector
    ) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TLSHandler(context: context, serverName: "localhost"), name: "tls")
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(to: server.localAddress!).get()
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func echoesEightMebibytesIn1400ByteWrites(version: TLSVersion) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let observer = ChannelObserver(eventLoop: group.next())
        let server = try await Self.startServer(group: group, context: Self.serverContext(), observer: observer)

        let payload = pattern(count: 8 << 20)
        let loop = group.next()
        let collector = Collector(expectedBytes: payload.count, eventLoop: loop)
        let client = try await Self.connect(
            group: loop, to: server, context: Self.clientContext(version: version), collector: collector)
        collector.timeOut(after: .seconds(60))

        // Written before the handshake finished: the handler holds them until then.
        let writesDone = try await client.eventLoop.submit {
            var futures: [EventLoopFuture<Void>] = []
            var offset = 0
            var count = 0
            while offset < payload.count {
                let end = min(offset + 1400, payload.count)
                let buffer = client.allocator.buffer(bytes: payload[offset..<end])
                futures.append(client.write(buffer))
                offset = end
                count += 1
                if count % 32 == 0 { client.flush() }
            }
            client.flush()
            return EventLoopFuture.andAllSucceed(futures, on: client.eventLoop)
        }.get()
        try await writesDone.get()

        let echoed = try await collector.done.futureResult.get()
        #expect(echoed.count == payload.count)
        #expect(echoed == payload)

        let event = try await collector.handshake.futureResult.get()
        #expect(event.version == (version == .tls12 ? "TLSv1.2" : "TLSv1.3"))
        #expect(hex(event.peerCertificateSHA256 ?? []) == Self.leafSHA256Hex)
        #expect(event.peerCertificateSHA1?.count == 20)
        #expect(try await observer.handshake.futureResult.get().version == event.version)

        // Client close sends close_notify; the server answers and closes too, with no error.
        try await client.close()
        try await observer.closed.futureResult.get()
        #expect(try await observer.errors.get().isEmpty)
        #expect(try await collector.errorsSeen().isEmpty)
        try await server.close()
    }

    @Test func wrongTrustRootClosesBothChannels() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let observer = ChannelObserver(eventLoop: group.next())
        let server = try await Self.startServer(group: group, context: Self.serverContext(), observer: observer)
        let collector = Collector(expectedBytes: 1, eventLoop: group.next())
        let client = try await Self.connect(
            group: group, to: server, context: Self.clientContext(ca: "other-ca.pem"), collector: collector)
        try await client.closeFuture.get()
        try await observer.closed.futureResult.get()
        let clientErrors = try await collector.errorsSeen()
        #expect(clientErrors.map(\.code) == [.certificateVerificationFailed])
        let serverErrors = try await observer.errors.get()
        #expect(serverErrors.map(\.code) == [.handshakeFailed])
        try await server.close()
    }

    @Test func plainTextClientIsRejected() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let observer = ChannelObserver(eventLoop: group.next())
        let server = try await Self.startServer(group: group, context: Self.serverContext(), observer: observer)
        let client = try await ClientBootstrap(group: group).connect(to: server.localAddress!).get()
        try await client.writeAndFlush(
            client.allocator.buffer(
                string: "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"))
        try await observer.closed.futureResult.get()
        try await client.closeFuture.get()
        #expect(try await observer.errors.get().map(\.code) == [.handshakeFailed])
        try await server.close()
    }

    @Test(arguments: [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
    func opensslSClientGetsAnEcho(flag: String, version: String) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let observer = ChannelObserver(eventLoop: group.next())
        let message = "hello over \(version)\n"
        let server = try await Self.startServer(
            group: group, context: Self.serverContext(), observer: observer, closeAfterBytes: message.utf8.count)
        let port = server.localAddress!.port!

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "s_client", "-connect", "127.0.0.1:\(port)", flag, "-CAfile", Self.certs + "/ca.pem",
            // -quiet implies -ign_eof: s_client keeps reading after stdin EOF until the server closes (it does
            // after echoing `message`); otherwise it would quit before the echo arrives.
            "-verify_return_error", "-verify_hostname", "localhost", "-quiet",
        ]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        try? stdin.fileHandleForWriting.write(contentsOf: Data(message.utf8))
        try stdin.fileHandleForWriting.close()
        let output = ((try? stdout.fileHandleForReading.readToEnd()) ?? Data())
        _ = ((try? stderr.fileHandleForReading.readToEnd()) ?? Data())
        process.waitUntilExit()
        #expect(String(decoding: output, as: UTF8.self) == message)
        let event = try await observer.handshake.futureResult.get()
        #expect(event.version == version)
        try await observer.closed.futureResult.get()
        #expect(try await observer.errors.get().isEmpty)
        try await server.close()
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func flushCoalescesWritesIntoFullRecordsAndOneBuffer(version: TLSVersion) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let observer = ChannelObserver(eventLoop: group.next())
        let server = try await Self.startServer(group: group, context: Self.serverContext(), observer: observer)
        let collector = Collector(expectedBytes: 100 * 1400, eventLoop: group.next())
        let recorder = WriteRecorder()
        let client = try await Self.connect(
            group: group, to: server, context: Self.clientContext(version: version), collector: collector)
        try await client.pipeline.addHandler(recorder, position: .first)
        collector.timeOut(after: .seconds(30))
        _ = try await collector.handshake.futureResult.get()

        let (writes, flushes, records, promises) = try await client.eventLoop.submit {
            recorder.reset()
            var futures: [EventLoopFuture<Void>] = []
            for index in 0..<100 {
                futures.append(client.write(client.allocator.buffer(bytes: pattern(count: 1400, seed: UInt32(index)))))
            }
            client.flush()
            return (recorder.writes, recorder.flushes, recorder.recordLengths, futures)
        }.get()
        // ONE ciphertext buffer for the whole flush, holding ceil(140000 / 16384) = 9 records, all but the last full.
        #expect(writes == 1)
        #expect(flushes == 1)
        #expect(records.count == 9)
        let overhead = version == .tls13 ? 5 + 1 + 16 : 5 + 8 + 16  // header + (type | explicit nonce) + GCM tag
        #expect(records.dropLast().allSatisfy { $0 == 16_384 + overhead })
        #expect(records.last == 140_000 - 8 * 16_384 + overhead)
        try await EventLoopFuture.andAllSucceed(promises, on: client.eventLoop).get()
        let echoed = try await collector.done.futureResult.get()
        #expect(echoed == (0..<100).flatMap { pattern(count: 1400, seed: UInt32($0)) })
        try await client.close()
        try await server.close()
    }

    @Test func peerDroppingTCPWithoutCloseNotifyIsBenign() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let observer = ChannelObserver(eventLoop: group.next())
        let server = try await Self.startServer(group: group, context: Self.serverContext(), observer: observer)
        let collector = Collector(expectedBytes: 5, eventLoop: group.next())
        let client = try await Self.connect(
            group: group, to: server, context: Self.clientContext(), collector: collector)
        try await client.writeAndFlush(client.allocator.buffer(string: "hello"))
        #expect(try await collector.done.futureResult.get() == Array("hello".utf8))
        // Remove TLS from the client so that close() sends a bare FIN.
        try await client.pipeline.removeHandler(name: "tls")
        try await client.close()
        try await observer.closed.futureResult.get()
        #expect(try await observer.errors.get().isEmpty)
        try await server.close()
    }
}
