import Logging
import NIOCore
import NIOHTTP1

/// The admin HTTP listener: `GET /metrics` (Prometheus text exposition format 0.0.4) and `GET /healthz`.
///
/// Plain HTTP/1.1 without authentication, so bind it to loopback or a management network (docs/metrics.md).
/// GET and HEAD only (405 otherwise), 404 for other paths, one request per connection (`Connection: close`
/// on every response), and a connection idle for 10 s is closed. The exposition text comes from a closure, so
/// this type knows nothing about what it serves and the composition decides what a scrape collects.
public final class AdminHTTPServer: Sendable {
    /// The media type of the Prometheus text format.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    public var host: String { listener.host }
    public var port: Int { listener.port }
    let metrics: @Sendable () -> String
    private let listener: PlainHTTPListener

    /// - Parameters:
    ///   - host: the address to bind (`"127.0.0.1"` keeps the metrics on the host).
    ///   - port: the TCP port; 0 asks the kernel for a free one (tests).
    ///   - metrics: produces the exposition text; called on an event loop for each scrape, so keep it cheap.
    public init(
        host: String, port: Int, group: any EventLoopGroup, logger: Logger,
        metrics: @escaping @Sendable () -> String
    ) {
        self.metrics = metrics
        self.listener = PlainHTTPListener(
            name: "admin HTTP", host: host, port: port, group: group, logger: logger
        ) { head, peer in
            let response = Self.respond(method: head.method, uri: head.uri, metrics: metrics)
            if response.status != .ok {
                logger.debug(
                    "admin request refused",
                    metadata: [
                        "peer": "\(peer.map { "\($0)" } ?? "?")", "method": "\(head.method)", "uri": "\(head.uri)",
                        "status": "\(response.status.code)",
                    ])
            }
            return PlainHTTPListener.Response(
                status: response.status, headers: response.headers, body: Array(response.body.utf8))
        }
    }

    /// Binds the listener; returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let address = try await listener.start()
        listener.logger.notice("serving metrics", metadata: ["address": "\(address)", "path": "/metrics"])
        return address
    }

    /// Closes the listener (connections in progress finish on their own). Idempotent.
    public func close() async {
        await listener.close()
    }

    /// What a request gets: status, extra headers and body. Pure, so the routing reads on its own.
    struct Response {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        var body: String = ""
    }

    /// Routes one request head.
    func respond(method: HTTPMethod, uri: String) -> Response {
        Self.respond(method: method, uri: uri, metrics: metrics)
    }

    static func respond(method: HTTPMethod, uri: String, metrics: () -> String) -> Response {
        guard method == .GET || method == .HEAD else {
            return Response(status: .methodNotAllowed, headers: [("Allow", "GET, HEAD")])
        }
        switch PlainHTTPListener.path(of: uri) {
        case "/metrics":
            return Response(status: .ok, headers: [("Content-Type", Self.metricsContentType)], body: metrics())
        case "/healthz":
            return Response(status: .ok, headers: [("Content-Type", "text/plain; charset=utf-8")], body: "ok\n")
        default:
            return Response(status: .notFound)
        }
    }
}
