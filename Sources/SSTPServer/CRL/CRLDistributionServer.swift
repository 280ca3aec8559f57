import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves the CRL at its distribution point over plain HTTP (RFC 5280 §4.2.1.13: an http URI answering with the
/// DER CRL, RFC 2585 §4.2 media type `application/pkix-crl`).
///
/// Windows' SSTP client checks revocation of the server certificate and fails with 0x80092013
/// (CRYPT_E_REVOCATION_OFFLINE) when it cannot fetch the CRL named in the certificate; this listener lets the
/// gateway host that URL itself. The file is re-read whenever its size or modification time changes, so
/// `sstpctl crl` (or a revocation) takes effect without a restart. GET and HEAD on the configured path only;
/// every response closes the connection; a connection that does not finish its request in 10 s is closed.
public final class CRLDistributionServer: Sendable {
    public let host: String
    public let port: Int
    public let path: String
    let file: CRLFile
    let group: any EventLoopGroup
    let logger: Logger
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    public init(host: String, port: Int, path: String, file: String, group: any EventLoopGroup, logger: Logger) {
        self.host = host
        self.port = port
        self.path = path
        self.file = CRLFile(path: file)
        self.group = group
        self.logger = logger
    }

    /// Binds the listener; returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(CRLRequestHandler(server: self, peer: channel.remoteAddress))
                }
            }
        let bound = try await bootstrap.bind(host: host, port: port).get()
        channel.withLockedValue { $0 = bound }
        guard let address = bound.localAddress else { throw ServerConfiguration.Error("CRL listener has no address") }
        logger.notice("serving the CRL", metadata: ["address": "\(address)", "path": "\(path)", "file": "\(file.path)"])
        return address
    }

    public func close() async {
        let bound = channel.withLockedValue { value -> (any Channel)? in
            defer { value = nil }
            return value
        }
        try? await bound?.close()
    }
}

/// The served CRL, as DER, cached until the file's size or modification time changes.
final class CRLFile: Sendable {
    let path: String
    private struct Cached {
        var size: Int
        var modified: Date
        var der: [UInt8]
    }
    private let cache = NIOLockedValueBox<Cached?>(nil)

    init(path: String) { self.path = path }

    enum Failure: Error, CustomStringConvertible {
        case unreadable(String)
        case notACRL
        var description: String {
            switch self {
            case .unreadable(let reason): "cannot read the CRL file: \(reason)"
            case .notACRL: "the file holds no PEM X509 CRL and does not look like a DER one"
            }
        }
    }

    /// The current DER bytes (a stat per call; a read only when the file changed).
    func der() throws(Failure) -> [UInt8] {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw .unreadable("\(error.localizedDescription)")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let modified = attributes[.modificationDate] as? Date ?? .distantPast
        if let cached = cache.withLockedValue({ $0 }), cached.size == size, cached.modified == modified {
            return cached.der
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("read failed") }
        let der = try Self.decode(Array(data))
        cache.withLockedValue { $0 = Cached(size: size, modified: modified, der: der) }
        return der
    }

    /// PEM (`-----BEGIN X509 CRL-----`, the first block) → DER; DER (an ASN.1 SEQUENCE) as is.
    static func decode(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        if bytes.first == 0x30 { return bytes }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let begin = text.range(of: "-----BEGIN X509 CRL-----"),
            let end = text.range(of: "-----END X509 CRL-----", range: begin.upperBound..<text.endIndex),
            let der = Data(
                base64Encoded: text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }),
            der.first == 0x30
        else { throw .notACRL }
        return Array(der)
    }
}

/// One HTTP connection to the CRL listener.
final class CRLRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: CRLDistributionServer
    private let peer: SocketAddress?
    private var responded = false

    init(server: CRLDistributionServer, peer: SocketAddress?) {
        self.server = server
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !responded else { return }
        responded = true
        let requestPath = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let metadata: Logger.Metadata = [
            "peer": "\(peer.map { "\($0)" } ?? "?")", "method": "\(head.method)", "uri": "\(head.uri)",
        ]
        guard head.method == .GET || head.method == .HEAD else {
            server.logger.info("CRL request refused: method not allowed", metadata: metadata)
            respond(context, .methodNotAllowed, body: [], extra: [("Allow", "GET, HEAD")])
            return
        }
        guard requestPath == server.path else {
            server.logger.info("CRL request refused: unknown path", metadata: metadata)
            respond(context, .notFound, body: [])
            return
        }
        do {
            let der = try server.file.der()
            server.logger.debug("CRL served", metadata: metadata.merging(["bytes": "\(der.count)"]) { $1 })
            respond(
                context, .ok, body: head.method == .HEAD ? [] : der, contentLength: der.count,
                extra: [("Content-Type", "application/pkix-crl"), ("Cache-Control", "max-age=300")])
        } catch {
            server.logger.error("CRL unavailable", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            respond(context, .serviceUnavailable, body: [])
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.info("CRL connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func respond(
        _ context: ChannelHandlerContext, _ status: HTTPResponseStatus, body: [UInt8], contentLength: Int? = nil,
        extra: [(String, String)] = []
    ) {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Length", value: "\(contentLength ?? body.count)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Server", value: "sstpd")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
