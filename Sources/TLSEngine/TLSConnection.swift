internal import COpenSSL
internal import COpenSSLShims
import NIOCore

/// One TLS session (an `SSL*`), sans-IO: ciphertext goes in with `feedCiphertext`, comes out with
/// `takeCiphertext`; the caller moves it over whatever transport it has (a TCP channel for the SSTP listener,
/// EAP-TLS fragments inside PPP).
///
/// Typical loop: `feedCiphertext` → `drive()` until `.complete` → `readPlaintext` until `.wantRead` → after every
/// call, send `takeCiphertext()` (handshake flights, alerts and records all come out there).
///
/// Not thread-safe and not `Sendable`: confine it to one thread (a channel's event loop).
public final class TLSConnection {
    /// Progress of the handshake after `drive()`.
    public enum HandshakeState {
        /// Waiting for more ciphertext from the peer (send `takeCiphertext()` first).
        case inProgress
        /// Done; `version` like `TLSv1.3`, `cipher` as OpenSSL names it (`TLS_AES_256_GCM_SHA384`,
        /// `ECDHE-RSA-AES256-GCM-SHA384`).
        case complete(version: String, cipher: String)
        /// Failed for good; send `takeCiphertext()` (it may hold an alert), then drop the transport.
        case failed(TLSError)
    }

    /// Outcome of `readPlaintext`.
    public enum ReadResult {
        /// This many plaintext bytes were appended; call again, more may be available.
        case bytes(Int)
        /// No complete record is buffered; feed more ciphertext.
        case wantRead
        /// The peer sent close_notify: no more data will come.
        case closed
        /// A fatal error; send `takeCiphertext()` (it may hold an alert), then drop the transport.
        case error(TLSError)
    }

    /// Largest TLS plaintext record (RFC 8446 §5.1: 2^14 bytes).
    public static let maximumRecordPlaintext = 16_384

    let ssl: OpaquePointer
    private let storage: BIOStorage
    /// Keeps the `SSL_CTX` alive as long as the `SSL` uses it.
    public let context: TLSContext
    private var handshakeDone = false
    private var failure: TLSError?
    private var receivedCloseNotify = false
    private var sentCloseNotify = false

    /// A connection in the context's role.
    ///
    /// - Parameter serverName: client role only: sent as SNI (RFC 6066, unless it is an IP literal) and, if the
    ///   context verifies peers, checked against the server certificate's names (or IP addresses).
    public init(
        context: TLSContext,
        serverName: String? = nil,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.sslContext) else {
            throw TLSError.invalidConfiguration("SSL_new")
        }
        guard let bio = BIO_new(byteBufferBIOMethod.method) else {
            SSL_free(ssl)
            throw TLSError.invalidConfiguration("BIO_new")
        }
        self.ssl = ssl
        self.context = context
        self.storage = BIOStorage(allocator: allocator)
        BIO_set_data(bio, Unmanaged.passUnretained(self.storage).toOpaque())
        SSL_set_bio(ssl, bio, bio)  // the SSL now owns the BIO
        switch context.role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            SSL_set_connect_state(ssl)
            if let serverName {
                try self.configureServerName(serverName)
            }
        }
    }

    deinit {
        SSL_free(self.ssl)  // frees the BIO, which only points at `storage`
    }

    private func configureServerName(_ name: String) throws(TLSError) {
        let isIPLiteral = name.contains(":") || name.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber }
        if isIPLiteral {
            // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName."
            if SSL_CTX_get_verify_mode(self.context.sslContext) & SSL_VERIFY_PEER != 0 {
                guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(self.ssl), name) == 1 else {
                    throw TLSError.invalidConfiguration("invalid IP address \(name)")
                }
            }
        } else {
            guard cshim_SSL_set_tlsext_host_name(self.ssl, name) == 1 else {
                throw TLSError.invalidConfiguration("invalid server name \(name)")
            }
            if SSL_CTX_get_verify_mode(self.context.sslContext) & SSL_VERIFY_PEER != 0 {
                guard SSL_set1_host(self.ssl, name) == 1 else {
                    throw TLSError.invalidConfiguration("invalid server name \(name)")
                }
            }
        }
    }

    // MARK: - Ciphertext in and out

    /// Queues the readable bytes of `buffer` (peer ciphertext) for OpenSSL, without copying, and empties `buffer`.
    public func feedCiphertext(_ buffer: inout ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        self.storage.inbound.append(buffer)
        buffer.moveReaderIndex(to: buffer.writerIndex)
    }

    /// Everything OpenSSL produced since the last call (handshake flights, records, alerts), or `nil`.
    public func takeCiphertext() -> ByteBuffer? {
        self.storage.takeOutbound()
    }

    /// Bytes of peer ciphertext fed but not yet consumed (part of a record still in flight).
    public var bufferedCiphertextBytes: Int { self.storage.inboundBytes }

    // MARK: - Handshake

    /// `true` once `drive()` returned `.complete`.
    public var isHandshakeComplete: Bool { self.handshakeDone }

    /// Advances the handshake with whatever ciphertext was fed. A client's first call produces its ClientHello.
    public func drive() -> HandshakeState {
        if let failure = self.failure { return .failed(failure) }
        if self.handshakeDone { return self.completeState }
        OpenSSLErrorQueue.clear()
        let result = SSL_do_handshake(self.ssl)
        if result == 1 {
            self.handshakeDone = true
            return self.completeState
        }
        switch SSL_get_error(self.ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .inProgress
        default:
            let error = self.handshakeError()
            self.failure = error
            return .failed(error)
        }
    }

    private var completeState: HandshakeState {
        .complete(version: self.negotiatedVersion ?? "", cipher: self.negotiatedCipher ?? "")
    }

    private func handshakeError() -> TLSError {
        // Our own verification of the peer's chain failed (the server's, or a required client certificate).
        let verifyResult = SSL_get_verify_result(self.ssl)
        if verifyResult != X509_V_OK {
            return .certificateVerificationFailed(String(cString: X509_verify_cert_error_string(verifyResult)))
        }
        return .handshakeFailed("handshake")
    }

    // MARK: - Application data

    /// Decrypts as many buffered records as possible into `buffer`, stopping at `maximumBytes` appended.
    ///
    /// Returns `.bytes(n)` whenever something was appended (even if the peer's close_notify or an error followed;
    /// the next call reports those).
    public func readPlaintext(into buffer: inout ByteBuffer, maximumBytes: Int = 256 * 1024) -> ReadResult {
        if let failure = self.failure { return .error(failure) }
        if self.receivedCloseNotify { return .closed }
        var total = 0
        while total < maximumBytes {
            OpenSSLErrorQueue.clear()
            var readBytes = 0
            var status: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maximumRecordPlaintext) { out in
                status = SSL_read_ex(self.ssl, out.baseAddress, out.count, &readBytes)
                return status == 1 ? readBytes : 0
            }
            if status == 1 {
                total += readBytes
                continue
            }
            switch SSL_get_error(self.ssl, status) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return total > 0 ? .bytes(total) : .wantRead
            case SSL_ERROR_ZERO_RETURN:
                self.receivedCloseNotify = true
                return total > 0 ? .bytes(total) : .closed
            default:
                let error = self.handshakeDone ? TLSError.protocolError("read") : self.handshakeError()
                self.failure = error
                return total > 0 ? .bytes(total) : .error(error)
            }
        }
        return .bytes(total)
    }

    /// Encrypts the readable bytes of `bytes` into one record per 16 KiB (sent by the next `takeCiphertext()`).
    ///
    /// Several SSTP packets may share one record, so callers should coalesce small writes before calling this.
    public func writePlaintext(_ bytes: ByteBuffer) throws(TLSError) {
        if let failure = self.failure { throw failure }
        guard self.handshakeDone else { throw TLSError.handshakeNotComplete("writing application data") }
        guard !self.sentCloseNotify else { throw TLSError.protocolError("writing after close_notify") }
        guard bytes.readableBytes > 0 else { return }
        OpenSSLErrorQueue.clear()
        var written = 0
        let status = bytes.withUnsafeReadableBytes { input in
            // Our BIO never refuses a write, so SSL_write_ex consumes everything in one call.
            SSL_write_ex(self.ssl, input.baseAddress, input.count, &written)
        }
        guard status == 1, written == bytes.readableBytes else {
            let error = TLSError.protocolError("write")
            self.failure = error
            throw error
        }
    }

    /// Queues a close_notify alert (RFC 8446 §6.1); send it with `takeCiphertext()`. Does not wait for the peer's.
    /// Does nothing before the handshake completed or after a fatal error.
    public func shutdown() {
        guard self.handshakeDone, self.failure == nil, !self.sentCloseNotify else { return }
        self.sentCloseNotify = true
        OpenSSLErrorQueue.clear()
        _ = SSL_shutdown(self.ssl)
        OpenSSLErrorQueue.clear()
    }

    /// `true` after the peer's close_notify was read.
    public var peerClosed: Bool { self.receivedCloseNotify }

    // MARK: - Session facts

    /// `TLSv1.2` or `TLSv1.3` once the handshake completed.
    public var negotiatedVersion: String? {
        guard self.handshakeDone else { return nil }
        return String(cString: SSL_get_version(self.ssl))
    }

    /// The negotiated protocol version as an enum.
    public var negotiatedProtocolVersion: TLSVersion? {
        guard self.handshakeDone else { return nil }
        return TLSVersion(rawValue: SSL_version(self.ssl))
    }

    /// The cipher suite's OpenSSL name once the handshake completed.
    public var negotiatedCipher: String? {
        guard self.handshakeDone, let cipher = SSL_get_current_cipher(self.ssl) else { return nil }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }

    /// DER of the peer's leaf certificate (the server's, on a client; a client certificate, on a server).
    public var peerCertificateDER: [UInt8]? {
        guard let x509 = SSL_get0_peer_certificate(self.ssl) else { return nil }
        return X509Certificate.der(x509)
    }

    /// Hash of the DER of the peer's leaf certificate; an SSTP client uses SHA-256 (or SHA-1) of the server's leaf
    /// in its crypto binding (MS-SSTP §3.2.5.2).
    public func peerCertificateHash(_ algorithm: CertificateHashAlgorithm) -> [UInt8]? {
        guard let x509 = SSL_get0_peer_certificate(self.ssl) else { return nil }
        return X509Certificate.digest(x509, algorithm)
    }

    /// RFC 5705 / RFC 8446 §7.5 keying material exporter, e.g. the EAP-TLS MSK/EMSK (RFC 5216 §2.3: label
    /// "client EAP encryption", no context, 128 bytes; RFC 9190 §2.3: "EXPORTER_EAP_TLS_Key_Material", context 0x0D).
    ///
    /// - Parameter context: `nil` means "no context" (which differs from an empty context in TLS 1.2).
    public func exportKeyingMaterial(label: String, context: [UInt8]?, length: Int) throws(TLSError) -> [UInt8] {
        guard self.handshakeDone, self.failure == nil else {
            throw TLSError.handshakeNotComplete("exporting keying material")
        }
        precondition(length > 0, "exporter length must be positive")
        OpenSSLErrorQueue.clear()
        var out = [UInt8](repeating: 0, count: length)
        let labelBytes = Array(label.utf8)
        let contextBytes = context ?? []
        let status = out.withUnsafeMutableBufferPointer { output in
            labelBytes.withUnsafeBufferPointer { labelPointer in
                contextBytes.withUnsafeBufferPointer { contextPointer in
                    labelPointer.withMemoryRebound(to: CChar.self) { labelChars in
                        SSL_export_keying_material(
                            self.ssl, output.baseAddress, length,
                            labelChars.baseAddress, labelChars.count,
                            contextPointer.baseAddress, contextPointer.count, context == nil ? 0 : 1
                        )
                    }
                }
            }
        }
        guard status == 1 else { throw TLSError.keyExportFailed(length: length) }
        return out
    }
}

@available(*, unavailable)
extension TLSConnection: Sendable {}
