import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Serves the CRL at its distribution point over plain HTTP (RFC 5280 §4.2.1.13: an http URI answering with the
/// DER CRL, RFC 2585 §4.2 media type `application/pkix-crl`).
///
/// Windows' SSTP client checks revocation of the server certificate and fails with 0x80092013
/// (CRYPT_E_REVOCATION_OFFLINE) when it cannot fetch the CRL named in the certificate; this listener lets the
/// gateway host that URL itself. The file is re-read whenever its size or modification time changes, so
/// `sstpctl crl` (or a revocation) takes effect without a restart. GET and HEAD on the configured path only;
/// every response closes the connection; a connection that does not finish its request in 10 s is closed.
public final class CRLDistributionServer: Sendable {
    public var host: String { listener.host }
    public var port: Int { listener.port }
    public let path: String
    let file: CRLFile
    private let listener: PlainHTTPListener

    public init(host: String, port: Int, path: String, file: String, group: any EventLoopGroup, logger: Logger) {
        let crl = CRLFile(path: file)
        self.path = path
        self.file = crl
        self.listener = PlainHTTPListener(name: "CRL", host: host, port: port, group: group, logger: logger) {
            head, peer in
            Self.respond(head, peer: peer, path: path, file: crl, logger: logger)
        }
    }

    /// Binds the listener; returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let address = try await listener.start()
        listener.logger.notice(
            "serving the CRL", metadata: ["address": "\(address)", "path": "\(path)", "file": "\(file.path)"])
        return address
    }

    public func close() async {
        await listener.close()
    }

    /// GET/HEAD on the path: the DER CRL; other paths 404, other methods 405, an unreadable file 503 (logged).
    static func respond(
        _ head: HTTPRequestHead, peer: SocketAddress?, path: String, file: CRLFile, logger: Logger
    ) -> PlainHTTPListener.Response {
        let metadata: Logger.Metadata = [
            "peer": "\(peer.map { "\($0)" } ?? "?")", "method": "\(head.method)", "uri": "\(head.uri)",
        ]
        guard head.method == .GET || head.method == .HEAD else {
            logger.info("CRL request refused: method not allowed", metadata: metadata)
            return PlainHTTPListener.Response(status: .methodNotAllowed, headers: [("Allow", "GET, HEAD")])
        }
        guard PlainHTTPListener.path(of: head.uri) == path else {
            logger.info("CRL request refused: unknown path", metadata: metadata)
            return PlainHTTPListener.Response(status: .notFound)
        }
        do {
            let der = try file.der()
            logger.debug("CRL served", metadata: metadata.merging(["bytes": "\(der.count)"]) { $1 })
            return PlainHTTPListener.Response(
                status: .ok, headers: [("Content-Type", "application/pkix-crl"), ("Cache-Control", "max-age=300")],
                body: der)
        } catch {
            logger.error("CRL unavailable", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return PlainHTTPListener.Response(status: .serviceUnavailable)
        }
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
