internal import COpenSSL

// Diagnostic accessors for the inputs of the TLS key schedule.
//
// They exist so tests can recompute the RFC 5705 / RFC 8446 §7.5 exporter outputs (the EAP-TLS MSK and EMSK)
// from first principles instead of only comparing client against server, which cannot catch a wrong label or
// context used identically on both sides. They are `public` only because test targets are separate modules.
//
// Production code has no use for them: nothing in sstpd may log, store or send these values. The master secret
// decrypts the whole TLS 1.2 session; the randoms are public (they cross the wire in the hellos).

extension TLSConnection {
    /// Diagnostic: `ClientHello.random` (32 octets) once the handshake completed, else `nil`.
    ///
    /// RFC 5246 §5 / RFC 5705 §4: the TLS 1.2 exporter's seed is `client_random ‖ server_random`. It is also the
    /// key of every NSS key log line (`TLSKeyLog`).
    public var clientRandom: [UInt8]? {
        guard self.isHandshakeComplete else { return nil }
        return Self.random(self.ssl, SSL_get_client_random)
    }

    /// Diagnostic: `ServerHello.random` (32 octets) once the handshake completed, else `nil`.
    public var serverRandom: [UInt8]? {
        guard self.isHandshakeComplete else { return nil }
        return Self.random(self.ssl, SSL_get_server_random)
    }

    /// Diagnostic: the TLS 1.2 `master_secret` (48 octets; the extended master secret of RFC 7627 when that was
    /// negotiated, which OpenSSL does by default), or `nil` before the handshake completed or for TLS 1.3.
    ///
    /// TLS 1.3 has no master secret in the TLS 1.2 sense (`SSL_SESSION_get_master_key` returns the resumption
    /// secret there); use `TLSKeyLog`'s `EXPORTER_SECRET` for the TLS 1.3 exporter instead.
    ///
    /// Never log this value: with it and a capture, anyone can decrypt the session.
    public func tls12MasterSecret() -> [UInt8]? {
        guard self.isHandshakeComplete, self.negotiatedProtocolVersion == .tls12,
            let session = SSL_get_session(self.ssl)
        else { return nil }
        var out = [UInt8](repeating: 0, count: Int(SSL_MAX_MASTER_KEY_LENGTH))
        let length = out.withUnsafeMutableBufferPointer { buffer in
            SSL_SESSION_get_master_key(session, buffer.baseAddress, buffer.count)
        }
        guard length > 0 else { return nil }
        return Array(out.prefix(length))
    }

    private static func random(
        _ ssl: OpaquePointer,
        _ get: (OpaquePointer?, UnsafeMutablePointer<UInt8>?, Int) -> Int
    ) -> [UInt8] {
        // Both hello randoms are 32 octets (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2); asking with outlen 0 returns the
        // size OpenSSL holds.
        let size = get(ssl, nil, 0)
        var out = [UInt8](repeating: 0, count: size)
        let copied = out.withUnsafeMutableBufferPointer { get(ssl, $0.baseAddress, $0.count) }
        return Array(out.prefix(copied))
    }
}
