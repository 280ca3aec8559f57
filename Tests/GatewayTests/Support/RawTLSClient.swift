import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SSTPNIO
import TLSEngine

/// A TLS client that sends arbitrary bytes and records what comes back: for hostile-input tests.
final class RawTLSClient: Sendable {
    let channel: any Channel
    let received: NIOLockedValueBox<[UInt8]>

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0 += buffer.readableBytesView }
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    static func connect(port: Int, group: any EventLoopGroup) async throws -> RawTLSClient {
        let tls = try TLSContext.client(trustRootsFile: Fixtures.caFile, verifyPeer: true)
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: tls, serverName: Fixtures.serverName))
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTLSClient(channel: channel, received: received)
    }

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    var receivedText: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    /// The standard SSTP request head.
    static let sstpRequest = Array(
        ("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: sstp.example.test\r\n"
            + "Content-Length: 18446744073709551615\r\nSSTPCORRELATIONID: {11111111-2222-3333-4444-555555555555}\r\n\r\n")
            .utf8)
}
