import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The control socket: a Unix stream socket speaking `ControlRequest`/`ControlResponse` as JSON lines.
///
/// Access control is the file system's: the socket is created mode 0600 (root only), or 0660 with `group`, inside a
/// directory created 0750 if missing. Requests are answered in order by `handle`, which may block for a while (a
/// reload reads files): it runs on a Dispatch queue, never on an event loop or Swift's cooperative pool.
public final class ControlServer: Sendable {
    public let path: String
    let group: any EventLoopGroup
    let logger: Logger
    let handle: @Sendable (ControlRequest) -> ControlResponse
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    /// Where requests are carried out: one at a time across all connections (a reload never runs twice at once).
    static let queue = DispatchQueue(label: "sstpd.control")
    /// Largest request line accepted.
    public static let maximumRequestLength = 64 * 1024

    public init(
        path: String, group: any EventLoopGroup, logger: Logger,
        handle: @escaping @Sendable (ControlRequest) -> ControlResponse
    ) {
        self.path = path
        self.group = group
        self.logger = logger
        self.handle = handle
    }

    /// Binds the socket (replacing a stale socket file from an earlier run) and restricts it to root, or to
    /// `adminGroup` (mode 0660) when given.
    public func start(adminGroup: gid_t? = nil) async throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlConnectionHandler(server: self))
                }
            }
        let bound = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        if let adminGroup {
            guard chown(path, 0, adminGroup) == 0, chmod(path, 0o660) == 0 else {
                try? await bound.close()
                throw ServerConfiguration.Error("admin.control_group: cannot give \(path) to group \(adminGroup)")
            }
        } else {
            guard chmod(path, 0o600) == 0 else {
                try? await bound.close()
                throw ServerConfiguration.Error("admin.control_socket: cannot restrict \(path) to mode 0600")
            }
        }
        channel.withLockedValue { $0 = bound }
        logger.notice("control socket ready", metadata: ["path": "\(path)"])
    }

    public func close() async {
        let bound = channel.withLockedValue { value -> (any Channel)? in
            defer { value = nil }
            return value
        }
        try? await bound?.close()
        unlink(path)
    }
}

/// One control connection: splits JSON lines, answers each in order.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: ControlServer
    private var buffer = ByteBuffer()
    /// Requests are answered one at a time, in order.
    private var pending: [ControlRequest] = []
    private var busy = false
    private var closing = false

    init(server: ControlServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while !closing, let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            let line = buffer.readBytes(length: length) ?? []
            buffer.moveReaderIndex(forwardBy: 1)
            guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else { continue }
            do {
                pending.append(try JSONDecoder().decode(ControlRequest.self, from: Data(line)))
            } catch {
                refuse(context, "not a control request: \(Self.describe(error))")
                return
            }
        }
        if buffer.readableBytes > ControlServer.maximumRequestLength {
            refuse(context, "request longer than \(ControlServer.maximumRequestLength) bytes")
            return
        }
        buffer.discardReadBytes()
        answerNext(context)
    }

    private func answerNext(_ context: ChannelHandlerContext) {
        guard !busy, !pending.isEmpty else { return }
        busy = true
        let request = pending.removeFirst()
        let server = self.server
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        server.logger.info("control request", metadata: ["op": "\(request.op.rawValue)"])
        let eventLoop = context.eventLoop
        ControlServer.queue.async {
            let response = server.handle(request)
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.busy = false
                handler.write(context, response)
                handler.answerNext(context)
            }
        }
    }

    private func refuse(_ context: ChannelHandlerContext, _ message: String) {
        closing = true
        server.logger.warning("control request refused", metadata: ["reason": "\(message)"])
        write(context, .failure(.badRequest, message))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
    }

    private func write(_ context: ChannelHandlerContext, _ response: ControlResponse) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = (try? encoder.encode(response)) ?? Data(#"{"ok":false}"#.utf8)
        bytes.append(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted: "malformed JSON"
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "bad value for \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "unknown operation or field"
        }
    }
}

/// A blocking control-socket client (for `sstpctl` and tests).
public enum ControlClient {
    /// Why the daemon could not be asked.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends one request and waits (at most `timeout` seconds) for its answer.
    public static func send(_ request: ControlRequest, socketPath: String, timeout: Int = 30) throws(Failure)
        -> ControlResponse
    {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot create a socket") }
        defer { Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(description: "socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            switch errno {
            case ENOENT, ECONNREFUSED:
                throw Failure(description: "sstpd is not running (no control socket at \(socketPath))")
            case EACCES, EPERM:
                throw Failure(description: "permission denied on \(socketPath) (run as root or as a member of the admin group)")
            default:
                throw Failure(description: "cannot connect to \(socketPath): \(String(cString: strerror(errno)))")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var line = try? encoder.encode(request) else { throw Failure(description: "cannot encode the request") }
        line.append(UInt8(ascii: "\n"))
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw Failure(description: "cannot send the request") }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while !received.contains(UInt8(ascii: "\n")) {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                received += chunk[0..<count]
            } else if count == 0 {
                break
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw Failure(description: "sstpd did not answer within \(timeout) s")
            } else if errno != EINTR {
                throw Failure(description: "reading the answer: \(String(cString: strerror(errno)))")
            }
        }
        guard let end = received.firstIndex(of: UInt8(ascii: "\n")),
            let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(received[..<end]))
        else { throw Failure(description: "sstpd sent no valid answer") }
        return response
    }
}
