import NIOCore
import TLSEngine

/// User event fired (inbound) by `TLSHandler` once the handshake completed, before any plaintext is delivered.
public struct TLSHandshakeCompleted: Sendable {
    /// `TLSv1.2` or `TLSv1.3`.
    public let version: String
    /// OpenSSL's name of the cipher suite.
    public let cipher: String
    /// DER of the peer's leaf certificate: the server's on a client (needed for the SSTP crypto binding,
    /// MS-SSTP §3.2.5.2), a client certificate (if any) on a server.
    public let peerCertificateDER: [UInt8]?
    /// SHA-256 of `peerCertificateDER`.
    public let peerCertificateSHA256: [UInt8]?
    /// SHA-1 of `peerCertificateDER`.
    public let peerCertificateSHA1: [UInt8]?

    /// Memberwise; public so that tests of handlers above `TLSHandler` can fire the event themselves.
    public init(
        version: String,
        cipher: String,
        peerCertificateDER: [UInt8]? = nil,
        peerCertificateSHA256: [UInt8]? = nil,
        peerCertificateSHA1: [UInt8]? = nil
    ) {
        self.version = version
        self.cipher = cipher
        self.peerCertificateDER = peerCertificateDER
        self.peerCertificateSHA256 = peerCertificateSHA256
        self.peerCertificateSHA1 = peerCertificateSHA1
    }
}

/// TLS over a byte-stream channel, driving a `TLSEngine.TLSConnection`.
///
/// Inbound: ciphertext `ByteBuffer`s in, plaintext `ByteBuffer`s out (one `fireChannelRead` per batch of records
/// decrypted from one socket read). Outbound: plaintext `write`s are queued; `flush` packs the queued bytes into
/// full 16 KiB records (SSTP is a byte stream, so SSTP packets may share and straddle records) and passes ALL the
/// resulting ciphertext down as ONE `ByteBuffer` with one flush; each write's promise completes with that write.
///
/// The client side starts the handshake on `channelActive`; the server waits for the ClientHello. Writes made before
/// the handshake completed are held and sent afterwards (if flushed). `close` sends close_notify, then closes
/// without waiting for the peer's. A peer that closes TCP without close_notify is not an error (VPN clients do this).
/// TLS failures fire `errorCaught(TLSError)` and close the channel. The handshake deadline is the owner's job:
/// schedule a timer and check `isHandshakeComplete`.
public final class TLSHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        /// Not yet added to a pipeline.
        case idle
        case handshaking
        case active
        /// close_notify sent (or TLS failed); the channel is closing.
        case closing
        case closed
    }

    /// Largest plaintext batch per `fireChannelRead`.
    private static let maximumReadBatch = 256 * 1024

    private let tlsContext: TLSContext
    private let serverName: String?
    private var connection: TLSConnection?
    private var state: State = .idle
    private var pendingWrites = MarkedCircularBuffer<(data: ByteBuffer, promise: EventLoopPromise<Void>?)>(
        initialCapacity: 16
    )
    private var firedReads = false

    /// - Parameters:
    ///   - context: the `TLSContext`; its role decides whether this handler starts the handshake.
    ///   - serverName: client role only: SNI and the name to verify (see `TLSConnection.init`).
    public init(context: TLSContext, serverName: String? = nil) {
        self.tlsContext = context
        self.serverName = serverName
    }

    /// `true` once the handshake completed (and `TLSHandshakeCompleted` was fired).
    public var isHandshakeComplete: Bool { self.connection?.isHandshakeComplete ?? false }

    /// The live TLS session (for keying material, negotiated parameters, peer certificate), once added.
    public var tlsConnection: TLSConnection? { self.connection }

    // MARK: - Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        do {
            self.connection = try TLSConnection(
                context: self.tlsContext, serverName: self.serverName, allocator: context.channel.allocator)
        } catch {
            self.state = .closing
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        self.state = .handshaking
        if context.channel.isActive {
            self.startHandshake(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
        self.state = .closed
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.startHandshake(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // A peer that drops TCP without close_notify is benign here: the owner sees channelInactive either way.
        self.state = .closed
        self.failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .handshaking = self.state, self.tlsContext.role == .client else { return }
        self.advanceHandshake(context: context)
    }

    // MARK: - Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var ciphertext = Self.unwrapInboundIn(data)
        guard let connection = self.connection else { return }
        switch self.state {
        case .handshaking, .active:
            connection.feedCiphertext(&ciphertext)
        case .idle, .closing, .closed:
            return  // nothing more is accepted after close_notify or a failure
        }
        if case .handshaking = self.state {
            self.advanceHandshake(context: context)
        }
        if case .active = self.state {
            self.readPlaintext(context: context, connection: connection)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if self.firedReads {
            self.firedReads = false
            context.fireChannelReadComplete()
        }
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        guard let connection = self.connection else { return }
        let result = connection.drive()
        switch result {
        case .inProgress:
            self.sendCiphertext(context: context, promise: nil)
        case .complete(let version, let cipher):
            self.sendCiphertext(context: context, promise: nil)
            self.state = .active
            context.fireUserInboundEventTriggered(
                TLSHandshakeCompleted(
                    version: version,
                    cipher: cipher,
                    peerCertificateDER: connection.peerCertificateDER,
                    peerCertificateSHA256: connection.peerCertificateHash(.sha256),
                    peerCertificateSHA1: connection.peerCertificateHash(.sha1)
                )
            )
            // Writes held during the handshake go out now, if they were flushed.
            if case .active = self.state, self.pendingWrites.hasMark {
                self.flushPendingWrites(context: context)
            }
        case .failed(let error):
            self.fail(context: context, error: error)
        }
    }

    private func readPlaintext(context: ChannelHandlerContext, connection: TLSConnection) {
        var plaintext = context.channel.allocator.buffer(capacity: 16 * 1024)
        loop: while true {
            switch connection.readPlaintext(into: &plaintext, maximumBytes: Self.maximumReadBatch) {
            case .bytes:
                if plaintext.readableBytes >= Self.maximumReadBatch {
                    self.deliver(context: context, &plaintext)
                }
            case .wantRead:
                break loop
            case .closed:
                self.deliver(context: context, &plaintext)
                self.peerSentCloseNotify(context: context)
                return
            case .error(let error):
                self.deliver(context: context, &plaintext)
                self.fail(context: context, error: error)
                return
            }
        }
        self.deliver(context: context, &plaintext)
        // Post-handshake messages (TLS 1.3 KeyUpdate responses) may have produced output.
        self.sendCiphertext(context: context, promise: nil)
    }

    private func deliver(context: ChannelHandlerContext, _ plaintext: inout ByteBuffer) {
        guard plaintext.readableBytes > 0, case .active = self.state else { return }
        let batch = plaintext
        plaintext = context.channel.allocator.buffer(capacity: 16 * 1024)
        self.firedReads = true
        context.fireChannelRead(Self.wrapInboundOut(batch))
    }

    /// RFC 8446 §6.1: answer close_notify with our own, then close.
    private func peerSentCloseNotify(context: ChannelHandlerContext) {
        guard case .active = self.state else { return }
        self.closeGracefully(context: context, mode: .all, promise: nil)
    }

    // MARK: - Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.state {
        case .idle, .handshaking, .active:
            self.pendingWrites.append((Self.unwrapOutboundIn(data), promise))
        case .closing, .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        self.pendingWrites.mark()
        if case .active = self.state {
            self.flushPendingWrites(context: context)
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .all, .output:
            switch self.state {
            case .active:
                self.closeGracefully(context: context, mode: mode, promise: promise)
            case .idle, .handshaking, .closing, .closed:
                self.state = .closing
                self.failPendingWrites(ChannelError.ioOnClosedChannel)
                context.close(mode: mode, promise: promise)
            }
        case .input:
            context.close(mode: mode, promise: promise)
        }
    }

    /// Sends everything flushed so far plus close_notify in one write, then closes the channel.
    private func closeGracefully(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if self.pendingWrites.hasMark {
            self.flushPendingWrites(context: context)
        }
        self.failPendingWrites(ChannelError.ioOnClosedChannel)  // never flushed
        self.state = .closing
        self.connection?.shutdown()
        self.sendCiphertext(context: context, promise: nil)
        context.close(mode: mode, promise: promise)
    }

    /// Encrypts all flushed writes as a byte stream cut into full 16 KiB records (only the last may be shorter),
    /// and writes the ciphertext as one buffer with one flush. The promises of all writes complete with that one
    /// socket write. A flush of a single small write encrypts it in place (one record, no copy).
    private func flushPendingWrites(context: ChannelHandlerContext) {
        guard let connection = self.connection, self.pendingWrites.hasMark else { return }
        let recordSize = TLSConnection.maximumRecordPlaintext
        var promises: [EventLoopPromise<Void>] = []
        // Allocated only when writes must be coalesced; not kept between flushes (idle tunnels stay small).
        var staging: ByteBuffer? = nil
        do {
            while self.pendingWrites.hasMark, let write = self.pendingWrites.popFirst() {
                if let promise = write.promise { promises.append(promise) }
                var data = write.data
                let isLastFlushed = !self.pendingWrites.hasMark
                while data.readableBytes > 0 {
                    let staged = staging?.readableBytes ?? 0
                    if staged == 0, data.readableBytes >= recordSize || isLastFlushed {
                        // Whole records (or the final short one) straight from the caller's buffer.
                        let direct =
                            data.readableBytes >= recordSize
                            ? data.readableBytes - data.readableBytes % recordSize : data.readableBytes
                        try connection.writePlaintext(data.readSlice(length: direct)!)
                        continue
                    }
                    // Fill the staging record; a write may straddle two records (SSTP is a byte stream).
                    var part = data.readSlice(length: min(recordSize - staged, data.readableBytes))!
                    if staging == nil { staging = context.channel.allocator.buffer(capacity: recordSize) }
                    staging!.writeBuffer(&part)
                    if staging!.readableBytes == recordSize {
                        try connection.writePlaintext(staging!)
                        staging!.clear()
                    }
                }
            }
            if let staging, staging.readableBytes > 0 {
                try connection.writePlaintext(staging)
            }
        } catch {
            for promise in promises { promise.fail(error) }
            self.fail(context: context, error: error)
            return
        }
        let combined: EventLoopPromise<Void>?
        switch promises.count {
        case 0: combined = nil
        case 1: combined = promises[0]
        default:
            let promise = context.eventLoop.makePromise(of: Void.self)
            for each in promises { promise.futureResult.cascade(to: each) }
            combined = promise
        }
        self.sendCiphertext(context: context, promise: combined)
    }

    /// Writes and flushes whatever the engine produced, as one buffer.
    private func sendCiphertext(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard let ciphertext = self.connection?.takeCiphertext() else {
            promise?.succeed(())
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(ciphertext), promise: promise)
    }

    // MARK: - Failure

    /// Sends any alert OpenSSL produced, reports the error and closes.
    private func fail(context: ChannelHandlerContext, error: any Error) {
        switch self.state {
        case .closing, .closed:
            return
        case .idle, .handshaking, .active:
            break
        }
        self.state = .closing
        self.failPendingWrites(error)
        self.sendCiphertext(context: context, promise: nil)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failPendingWrites(_ error: any Error) {
        while let (_, promise) = self.pendingWrites.popFirst() {
            promise?.fail(error)
        }
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}
