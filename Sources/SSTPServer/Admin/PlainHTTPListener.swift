import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small plain-HTTP/1.1 listener for sstpd's side services (the CRL distribution point, the metrics endpoint):
/// one request per connection, answered from its head by a route closure, `Connection: close` on every response,
/// a connection idle for 10 s closed, malformed requests answered 400 by NIOHTTP1.
final class PlainHTTPListener: Sendable {
    /// What a request gets. For HEAD the body is not sent, but Content-Length still says its size.
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        var body: [UInt8] = []
    }

    typealias Route = @Sendable (_ head: HTTPRequestHead, _ peer: SocketAddress?) -> Response

    let name: String
    let host: String
    let port: Int
    let group: any EventLoopGroup
    let logger: Logger
    let route: Route
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    init(name: String, host: String, port: Int, group: any EventLoopGroup, logger: Logger, route: @escaping Route) {
        self.name = name
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.route = route
    }

    /// The path of a request URI without its query string.
    static func path(of uri: String) -> String {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
    }

    /// Binds the listener; returns the bound address.
    func start() async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(PlainHTTPRequestHandler(listener: self, peer: channel.remoteAddress))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        guard let address = bound.localAddress else { throw ServerConfiguration.Error("\(name) listener has no address") }
        return address
    }

    /// Closes the listener (connections in progress finish on their own). Idempotent.
    func close() async {
        let bound = channel.withLockedValue { value -> (any Channel)? in
            defer { value = nil }
            return value
        }
        try? await bound?.close()
    }
}

/// One connection to a `PlainHTTPListener`.
final class PlainHTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let listener: PlainHTTPListener
    private let peer: SocketAddress?
    private var responded = false

    init(listener: PlainHTTPListener, peer: SocketAddress?) {
        self.listener = listener
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Answer on the head: these endpoints take no body, and the connection closes after the response.
        guard case .head(let head) = unwrapInboundIn(data), !responded else { return }
        responded = true
        let response = listener.route(head, peer)
        var headers = HTTPHeaders(response.headers)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Server", value: "sstpd")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
            promise: nil)
        if head.method != .HEAD && !response.body.isEmpty {
            let body = context.channel.allocator.buffer(bytes: response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        listener.logger.debug("\(listener.name) connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
