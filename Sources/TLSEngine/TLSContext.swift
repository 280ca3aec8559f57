internal import COpenSSL
internal import COpenSSLShims

/// A TLS protocol version this engine can negotiate.
public enum TLSVersion: Int32, Sendable, Hashable, CustomStringConvertible {
    /// TLS 1.2 (RFC 5246).
    case tls12 = 0x0303
    /// TLS 1.3 (RFC 8446).
    case tls13 = 0x0304

    public var description: String {
        switch self {
        case .tls12: "TLSv1.2"
        case .tls13: "TLSv1.3"
        }
    }
}

/// Hash algorithms for certificate fingerprints (MS-SSTP §2.2.7 crypto binding: `CERT_HASH_PROTOCOL_SHA1` and
/// `CERT_HASH_PROTOCOL_SHA256`, each over the DER encoding of the server's leaf certificate).
public enum CertificateHashAlgorithm: Sendable, Hashable {
    case sha1
    case sha256

    var evpMD: OpaquePointer {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        }
    }
}

/// Settings shared by all connections of one role: an `SSL_CTX`.
///
/// An `SSL_CTX` is safe to share between threads once configured, and this class never changes it after the
/// factory returns, hence `@unchecked Sendable`.
///
/// Server defaults (chosen for Windows SSTP clients, which speak TLS 1.2 and, on Windows 11, TLS 1.3):
/// - TLS 1.2 and 1.3 only; no renegotiation, compression, session tickets or session cache (an SSTP tunnel is one
///   long connection, so resumption buys nothing and tickets would cost a flight after the handshake).
/// - TLS 1.2 suites: ECDHE with AES-GCM first (server preference), then ECDHE with AES-CBC and SHA-256/384 HMACs as
///   a fallback for Windows 7/8 Schannel, which has no ECDHE-RSA-AES-GCM. Never RSA key exchange, never SHA-1 MACs.
/// - TLS 1.3 suites: OpenSSL's defaults. Groups: X25519, P-256, P-384.
/// - SNI is accepted but never required or checked.
public final class TLSContext: @unchecked Sendable {
    /// Which side of the handshake connections made from this context play.
    public enum Role: Sendable, Hashable {
        case server
        case client
    }

    /// TLS 1.2 cipher list for servers (OpenSSL names, most preferred first).
    public static let serverTLS12CipherList = [
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384",
        "ECDHE-ECDSA-AES128-SHA256", "ECDHE-RSA-AES128-SHA256",
    ].joined(separator: ":")

    /// Key-exchange groups offered and accepted, most preferred first.
    public static let groupList = "X25519:P-256:P-384"

    let sslContext: OpaquePointer
    /// The side connections made from this context play.
    public let role: Role
    /// DER encoding of the certificate this side presents (the server's leaf), if any.
    public let leafCertificateDER: [UInt8]?
    /// SHA-256 of `leafCertificateDER` (the server's value for the SSTP crypto binding).
    public let leafCertificateSHA256: [UInt8]?
    /// SHA-1 of `leafCertificateDER`.
    public let leafCertificateSHA1: [UInt8]?

    private init(sslContext: OpaquePointer, role: Role) {
        self.sslContext = sslContext
        self.role = role
        if let leaf = SSL_CTX_get0_certificate(sslContext) {
            self.leafCertificateDER = X509Certificate.der(leaf)
            self.leafCertificateSHA256 = X509Certificate.digest(leaf, .sha256)
            self.leafCertificateSHA1 = X509Certificate.digest(leaf, .sha1)
        } else {
            self.leafCertificateDER = nil
            self.leafCertificateSHA256 = nil
            self.leafCertificateSHA1 = nil
        }
    }

    deinit {
        SSL_CTX_free(self.sslContext)
    }

    /// The leaf certificate hash with `algorithm`, or `nil` for a context without a certificate.
    public func leafCertificateHash(_ algorithm: CertificateHashAlgorithm) -> [UInt8]? {
        switch algorithm {
        case .sha1: self.leafCertificateSHA1
        case .sha256: self.leafCertificateSHA256
        }
    }

    /// A server context from PEM files: `certificateChainFile` holds the leaf first, then any intermediates.
    ///
    /// - Parameter clientTrustRootsFile: if set, clients must present a certificate chaining to one of these CAs
    ///   (for EAP-TLS, RFC 5216 §2.1); otherwise no client certificate is requested.
    public static func server(
        certificateChainFile: String,
        privateKeyFile: String,
        minimumVersion: TLSVersion = .tls12,
        maximumVersion: TLSVersion = .tls13,
        clientTrustRootsFile: String? = nil
    ) throws(TLSError) -> TLSContext {
        try server(
            certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile, minimumVersion: minimumVersion,
            maximumVersion: maximumVersion, clientTrustRootsFiles: clientTrustRootsFile.map { [$0] } ?? [])
    }

    /// A server context from PEM files whose clients must present a certificate chaining to a CA in any of
    /// `clientTrustRootsFiles` (each a PEM file of one or more certificates; Azure allows 20 roots). An empty list
    /// requests no client certificate.
    public static func server(
        certificateChainFile: String,
        privateKeyFile: String,
        minimumVersion: TLSVersion = .tls12,
        maximumVersion: TLSVersion = .tls13,
        clientTrustRootsFiles: [String]
    ) throws(TLSError) -> TLSContext {
        let ctx = try makeServerContext(
            minimumVersion: minimumVersion, maximumVersion: maximumVersion, clientTrustRootsFiles: clientTrustRootsFiles)
        do throws(TLSError) {
            OpenSSLErrorQueue.clear()
            guard SSL_CTX_use_certificate_chain_file(ctx, certificateChainFile) == 1 else {
                throw TLSError.invalidConfiguration("loading certificate chain file \(certificateChainFile)")
            }
            guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError.invalidConfiguration("loading private key file \(privateKeyFile)")
            }
            try checkPrivateKey(ctx)
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        return TLSContext(sslContext: ctx, role: .server)
    }

    /// A server context from PEM text: `certificateChainPEM` holds the leaf first, then any intermediates.
    /// `clientTrustRootsFile` as in `server(certificateChainFile:...)`.
    public static func server(
        certificateChainPEM: String,
        privateKeyPEM: String,
        minimumVersion: TLSVersion = .tls12,
        maximumVersion: TLSVersion = .tls13,
        clientTrustRootsFile: String? = nil
    ) throws(TLSError) -> TLSContext {
        let ctx = try makeServerContext(
            minimumVersion: minimumVersion, maximumVersion: maximumVersion,
            clientTrustRootsFiles: clientTrustRootsFile.map { [$0] } ?? [])
        do throws(TLSError) {
            try useCertificateChain(pem: certificateChainPEM, on: ctx)
            try usePrivateKey(pem: privateKeyPEM, on: ctx)
            try checkPrivateKey(ctx)
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        return TLSContext(sslContext: ctx, role: .server)
    }

    /// A client context.
    ///
    /// - Parameters:
    ///   - trustRootsFile: PEM file of trusted CA certificates; `nil` uses the system's default trust store.
    ///   - verifyPeer: whether to verify the server's chain (and, when a connection is given a server name, the
    ///     name). Without it, any certificate is accepted and the caller must check it itself (for example by
    ///     pinning `TLSConnection.peerCertificateHash(_:)`).
    ///   - certificateChainFile, privateKeyFile: an optional client certificate (for EAP-TLS), PEM.
    ///   - pkcs12File, pkcs12Password: or the client certificate, key and chain from a PKCS#12 file (what
    ///     `sstpctl cert client issue` and Windows export).
    public static func client(
        trustRootsFile: String?,
        verifyPeer: Bool = true,
        certificateChainFile: String? = nil,
        privateKeyFile: String? = nil,
        pkcs12File: String? = nil,
        pkcs12Password: String? = nil,
        minimumVersion: TLSVersion = .tls12,
        maximumVersion: TLSVersion = .tls13
    ) throws(TLSError) -> TLSContext {
        OpenSSLErrorQueue.clear()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw TLSError.invalidConfiguration("SSL_CTX_new")
        }
        do throws(TLSError) {
            try setVersions(ctx, minimumVersion, maximumVersion)
            _ = cshim_SSL_CTX_set_options(ctx, cshim_SSL_OP_NO_RENEGOTIATION | cshim_SSL_OP_NO_COMPRESSION)
            _ = cshim_SSL_CTX_set_mode(ctx, cshim_SSL_MODE_RELEASE_BUFFERS)
            if verifyPeer {
                if let trustRootsFile {
                    guard SSL_CTX_load_verify_locations(ctx, trustRootsFile, nil) == 1 else {
                        throw TLSError.invalidConfiguration("loading trust roots \(trustRootsFile)")
                    }
                } else {
                    guard SSL_CTX_set_default_verify_paths(ctx) == 1 else {
                        throw TLSError.invalidConfiguration("loading the default trust store")
                    }
                }
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
            } else {
                SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)
            }
            if let certificateChainFile, let privateKeyFile {
                guard SSL_CTX_use_certificate_chain_file(ctx, certificateChainFile) == 1 else {
                    throw TLSError.invalidConfiguration("loading certificate chain file \(certificateChainFile)")
                }
                guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
                    throw TLSError.invalidConfiguration("loading private key file \(privateKeyFile)")
                }
                try checkPrivateKey(ctx)
            } else if let pkcs12File {
                try usePKCS12(file: pkcs12File, password: pkcs12Password ?? "", on: ctx)
                try checkPrivateKey(ctx)
            }
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        return TLSContext(sslContext: ctx, role: .client)
    }

    // MARK: - Setup helpers

    private static func makeServerContext(
        minimumVersion: TLSVersion,
        maximumVersion: TLSVersion,
        clientTrustRootsFiles: [String]
    ) throws(TLSError) -> OpaquePointer {
        OpenSSLErrorQueue.clear()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError.invalidConfiguration("SSL_CTX_new")
        }
        do throws(TLSError) {
            try setVersions(ctx, minimumVersion, maximumVersion)
            _ = cshim_SSL_CTX_set_options(
                ctx,
                cshim_SSL_OP_NO_RENEGOTIATION | cshim_SSL_OP_CIPHER_SERVER_PREFERENCE | cshim_SSL_OP_NO_COMPRESSION
                    | cshim_SSL_OP_NO_TICKET
            )
            _ = cshim_SSL_CTX_set_mode(ctx, cshim_SSL_MODE_RELEASE_BUFFERS)
            _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, Int(SSL_SESS_CACHE_OFF), nil)
            _ = cshim_SSL_CTX_set_num_tickets(ctx, 0)
            guard SSL_CTX_set_cipher_list(ctx, serverTLS12CipherList) == 1 else {
                throw TLSError.invalidConfiguration("setting the TLS 1.2 cipher list")
            }
            guard cshim_SSL_CTX_set1_groups_list(ctx, groupList) == 1 else {
                throw TLSError.invalidConfiguration("setting the groups list")
            }
            if !clientTrustRootsFiles.isEmpty {
                // The CertificateRequest lists every root's name (RFC 8446 §4.2.4 certificate_authorities) so a
                // client holding several certificates picks one that chains to us.
                guard let names = cshim_sk_X509_NAME_new_null() else {
                    throw TLSError.invalidConfiguration("allocating the client CA list")
                }
                SSL_CTX_set_client_CA_list(ctx, names)  // takes ownership of `names`; filled below
                for file in clientTrustRootsFiles {
                    guard SSL_CTX_load_verify_locations(ctx, file, nil) == 1,
                        SSL_add_file_cert_subjects_to_stack(names, file) == 1
                    else {
                        throw TLSError.invalidConfiguration("loading client trust roots \(file)")
                    }
                }
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            }
        } catch {
            SSL_CTX_free(ctx)
            throw error
        }
        return ctx
    }

    private static func setVersions(
        _ ctx: OpaquePointer,
        _ minimum: TLSVersion,
        _ maximum: TLSVersion
    ) throws(TLSError) {
        guard minimum.rawValue <= maximum.rawValue,
            cshim_SSL_CTX_set_min_proto_version(ctx, minimum.rawValue) == 1,
            cshim_SSL_CTX_set_max_proto_version(ctx, maximum.rawValue) == 1
        else {
            throw TLSError.invalidConfiguration("setting protocol versions \(minimum)...\(maximum)")
        }
    }

    /// Loads certificate, key and chain from a PKCS#12 file (RFC 7292). A wrong password and a damaged file give
    /// the same error (PKCS#12 cannot tell them apart: the MAC check fails either way).
    private static func usePKCS12(file: String, password: String, on ctx: OpaquePointer) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new_file(file, "rb") else { throw TLSError.invalidConfiguration("reading PKCS#12 \(file)") }
        defer { BIO_free(bio) }
        guard let p12 = d2i_PKCS12_bio(bio, nil) else {
            throw TLSError.invalidConfiguration("\(file) is not a PKCS#12 file")
        }
        defer { PKCS12_free(p12) }
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        var chain: OpaquePointer?
        guard PKCS12_parse(p12, password, &key, &certificate, &chain) == 1, let key, let certificate else {
            throw TLSError.invalidConfiguration("opening PKCS#12 \(file): wrong password or damaged file")
        }
        defer {
            EVP_PKEY_free(key)
            X509_free(certificate)
            if let chain { cshim_sk_X509_pop_free(chain) }
        }
        // SSL_CTX_use_cert_and_key takes its own references (override = 1 replaces anything set before).
        guard SSL_CTX_use_cert_and_key(ctx, certificate, key, chain, 1) == 1 else {
            throw TLSError.invalidConfiguration("using the certificate and key from \(file)")
        }
    }

    private static func checkPrivateKey(_ ctx: OpaquePointer) throws(TLSError) {
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw TLSError.invalidConfiguration("the private key does not match the certificate")
        }
    }

    /// Loads the leaf (first PEM block) and any further blocks as chain certificates.
    private static func useCertificateChain(pem: String, on ctx: OpaquePointer) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        var pem = pem
        let loaded: Bool = pem.withUTF8 { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return false }
            defer { BIO_free(bio) }
            guard let leaf = PEM_read_bio_X509_AUX(bio, nil, nil, nil) else { return false }
            defer { X509_free(leaf) }
            guard SSL_CTX_use_certificate(ctx, leaf) == 1 else { return false }
            while let extra = PEM_read_bio_X509(bio, nil, nil, nil) {
                // SSL_CTX_add0_chain_cert (a macro): takes ownership of `extra` on success.
                guard SSL_CTX_ctrl(ctx, SSL_CTRL_CHAIN_CERT, 0, UnsafeMutableRawPointer(extra)) == 1 else {
                    X509_free(extra)
                    return false
                }
            }
            // The loop ends on "no start line", which is the expected end of input, not an error.
            ERR_clear_error()
            return true
        }
        guard loaded else { throw TLSError.invalidConfiguration("loading the certificate chain PEM") }
    }

    private static func usePrivateKey(pem: String, on ctx: OpaquePointer) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        var pem = pem
        let loaded: Bool = pem.withUTF8 { bytes in
            guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return false }
            defer { BIO_free(bio) }
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { return false }
            defer { EVP_PKEY_free(key) }
            return SSL_CTX_use_PrivateKey(ctx, key) == 1
        }
        guard loaded else { throw TLSError.invalidConfiguration("loading the private key PEM") }
    }
}

/// DER and digests of an OpenSSL `X509*` (borrowed, not freed here).
enum X509Certificate {
    /// The DER encoding (`i2d_X509`).
    static func der(_ x509: OpaquePointer) -> [UInt8] {
        let length = i2d_X509(x509, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(x509, &cursor)
        }
        return out
    }

    /// The digest of the DER encoding (`X509_digest`), e.g. for the SSTP crypto binding's certificate hash.
    static func digest(_ x509: OpaquePointer, _ algorithm: CertificateHashAlgorithm) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { X509_digest(x509, algorithm.evpMD, $0.baseAddress, &length) }
        precondition(ok == 1, "X509_digest failed")
        return Array(out[..<Int(length)])
    }
}
