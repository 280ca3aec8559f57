internal import COpenSSL
internal import COpenSSLShims

/// The one error type of `TLSEngine`.
///
/// A public `code` to branch on, plus a private diagnostic made of OpenSSL's error-queue text (which names
/// functions and reasons, never data) and, for certificate failures, the X.509 verification result. Key material,
/// plaintext and secrets never appear in it.
///
/// Not `Equatable` on purpose: two errors with the same code but different diagnostics are not "the same error",
/// and callers should branch on `code` only.
public struct TLSError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely. Extensible: new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidConfiguration
            case handshakeFailed
            case certificateVerificationFailed
            case protocolError
            case handshakeNotComplete
            case keyExportFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A certificate, key, trust store or parameter given to a `TLSContext` was rejected.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The handshake failed (bad peer input, no shared cipher or version, an alert from the peer, ...).
        public static let handshakeFailed = Code(.handshakeFailed)
        /// This side rejected the peer's certificate chain or host name.
        public static let certificateVerificationFailed = Code(.certificateVerificationFailed)
        /// A fatal error after the handshake (bad record MAC, unexpected message, an alert from the peer, ...).
        public static let protocolError = Code(.protocolError)
        /// Application data or keying material was requested before the handshake completed.
        public static let handshakeNotComplete = Code(.handshakeNotComplete)
        /// The RFC 5705 exporter refused the request.
        public static let keyExportFailed = Code(.keyExportFailed)

        public var description: String {
            switch self.base {
            case .invalidConfiguration: "invalidConfiguration"
            case .handshakeFailed: "handshakeFailed"
            case .certificateVerificationFailed: "certificateVerificationFailed"
            case .protocolError: "protocolError"
            case .handshakeNotComplete: "handshakeNotComplete"
            case .keyExportFailed: "keyExportFailed"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    private let diagnostic: String

    private init(code: Code, diagnostic: String) {
        self.code = code
        self.diagnostic = diagnostic
    }

    public var description: String { "TLSError.\(self.code): \(self.diagnostic)" }

    /// `what` failed while building a context; drains this thread's OpenSSL error queue.
    @inline(never)
    static func invalidConfiguration(_ what: String) -> TLSError {
        TLSError(code: .invalidConfiguration, diagnostic: withQueue(what))
    }

    @inline(never)
    static func handshakeFailed(_ what: String) -> TLSError {
        TLSError(code: .handshakeFailed, diagnostic: withQueue(what))
    }

    @inline(never)
    static func certificateVerificationFailed(_ reason: String) -> TLSError {
        TLSError(code: .certificateVerificationFailed, diagnostic: withQueue(reason))
    }

    @inline(never)
    static func protocolError(_ what: String) -> TLSError {
        TLSError(code: .protocolError, diagnostic: withQueue(what))
    }

    @inline(never)
    static func handshakeNotComplete(_ what: String) -> TLSError {
        TLSError(code: .handshakeNotComplete, diagnostic: "\(what) before the handshake completed")
    }

    @inline(never)
    static func keyExportFailed(length: Int) -> TLSError {
        TLSError(code: .keyExportFailed, diagnostic: withQueue("exporting \(length) bytes of keying material"))
    }

    /// Appends the drained OpenSSL error queue (if any) to `what`.
    private static func withQueue(_ what: String) -> String {
        let queue = OpenSSLErrorQueue.drain()
        return queue.isEmpty ? what : "\(what): \(queue)"
    }
}

/// This thread's OpenSSL error queue. NIO runs many connections per thread, so the queue is cleared before every
/// OpenSSL call whose failure we report, and drained right after it.
enum OpenSSLErrorQueue {
    /// Forgets stale entries left by earlier calls on this thread.
    static func clear() { ERR_clear_error() }

    /// Removes every entry and returns them as one line.
    static func drain() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = buffer.withUnsafeMutableBufferPointer { cshim_err_string($0.baseAddress, $0.count) }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
