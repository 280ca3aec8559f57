import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin HTTP listener: `GET /metrics` (Prometheus text exposition format 0.0.4) and `GET /healthz`.
///
/// Plain HTTP/1.1 without authentication, so bind it to loopback or a management network (docs/metrics.md).
/// GET and HEAD only (405 otherwise), 404 for other paths, one request per connection (`Connection: close`
/// on every response), and a connection idle for 10 s is closed. The exposition text comes from a closure, so
/// this type knows nothing about what it serves and the composition decides what a scrape collects.
public final class AdminHTTPServer: Sendable {
    /// The media type of the Prometheus text format.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    public let host: String
    public let port: Int
    let group: any EventLoopGroup
    let logger: Logger
    let metrics: @Sendable () -> String
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    /// - Parameters:
    ///   - host: the address to bind (`"127.0.0.1"` keeps the metrics on the host).
    ///   - port: the TCP port; 0 asks the kernel for a free one (tests).
    ///   - metrics: produces the exposition text; called on an event loop for each scrape, so keep it cheap.
    public init(
        host: String, port: Int, group: any EventLoopGroup, logger: Logger,
        metrics: @escaping @Sendable () -> String
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.metrics = metrics
    }

    /// Binds the listener; returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(AdminRequestHandler(server: self, peer: channel.remoteAddress))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        guard let address = bound.localAddress else {
            throw ServerConfiguration.Error("admin HTTP listener has no address")
        }
        logger.notice("serving metrics", metadata: ["address": "\(address)", "path": "/metrics"])
        return address
    }

    /// Closes the listener (connections in progress finish on their own). Idempotent.
    public func close() async {
        let bound = channel.withLockedValue { value -> (any Channel)? in
            defer { value = nil }
            return value
        }
        try? await bound?.close()
    }

    /// What a request gets: status, extra headers and body. Pure, so the routing reads on its own.
    struct Response {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        var body: String = ""
    }

    /// Routes one request head.
    func respond(method: HTTPMethod, uri: String) -> Response {
        guard method == .GET || method == .HEAD else {
            return Response(status: .methodNotAllowed, headers: [("Allow", "GET, HEAD")])
        }
        let path =
            uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        switch path {
        case "/metrics":
            return Response(status: .ok, headers: [("Content-Type", Self.metricsContentType)], body: metrics())
        case "/healthz":
            return Response(status: .ok, headers: [("Content-Type", "text/plain; charset=utf-8")], body: "ok\n")
        default:
            return Response(status: .notFound)
        }
    }
}

/// One HTTP connection to the admin listener.
final class AdminRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: AdminHTTPServer
    private let peer: SocketAddress?
    private var responded = false

    init(server: AdminHTTPServer, peer: SocketAddress?) {
        self.server = server
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Answer on the head: the admin endpoints take no body, and the connection closes after the response.
        guard case .head(let head) = unwrapInboundIn(data), !responded else { return }
        responded = true
        let response = server.respond(method: head.method, uri: head.uri)
        if response.status != .ok {
            server.logger.debug(
                "admin request refused",
                metadata: [
                    "peer": "\(peer.map { "\($0)" } ?? "?")", "method": "\(head.method)", "uri": "\(head.uri)",
                    "status": "\(response.status.code)",
                ])
        }
        let body = ByteBuffer(string: response.body)
        var headers = HTTPHeaders(response.headers)
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Server", value: "sstpd")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))),
            promise: nil)
        if head.method != .HEAD && body.readableBytes > 0 {
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
        server.logger.debug("admin connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
