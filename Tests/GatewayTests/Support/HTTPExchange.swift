import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// One raw HTTP exchange over a new TCP connection to 127.0.0.1: sends `request` as is and reads until the server
/// closes (the CRL and metrics listeners close after each response).
struct HTTPExchange {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    var body: [UInt8]

    static func send(port: Int, _ request: String, group: any EventLoopGroup) async throws -> HTTPExchange {
        // The request is written from channelActive, on the event loop: on a loaded machine the test task may resume
        // after connect() much later, and the listener closes a connection that sends nothing for 10 s.
        final class Collector: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer
            let bytes = NIOLockedValueBox<[UInt8]>([])
            let done: EventLoopPromise<Void>
            let request: String
            init(done: EventLoopPromise<Void>, request: String) {
                self.done = done
                self.request = request
            }
            func channelActive(context: ChannelHandlerContext) {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
                context.fireChannelActive()
            }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let buffer = unwrapInboundIn(data)
                bytes.withLockedValue { $0 += buffer.readableBytesView }
            }
            func channelInactive(context: ChannelHandlerContext) { done.succeed() }
        }
        let done = group.next().makePromise(of: Void.self)
        let collector = Collector(done: done, request: request)
        do {
            _ = try await ClientBootstrap(group: group)
                .channelInitializer { $0.pipeline.addHandler(collector) }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            done.fail(error)  // a promise must be completed even when the connection never opened
            throw error
        }
        try await done.futureResult.get()
        let raw = collector.bytes.withLockedValue { $0 }
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        let split = try #require(raw.indices.first { raw[$0...].starts(with: separator) })
        let head = String(decoding: raw[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        let status = try #require(statusLine.count >= 2 ? Int(statusLine[1]) : nil)
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        return HTTPExchange(status: status, headers: headers, body: Array(raw[(split + 4)...]))
    }
}
