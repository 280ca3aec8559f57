internal import COpenSSL

/// The key algorithms the PKI issues.
///
/// RSA is the default because every Windows SSTP client accepts it (../shared/protocol.md §3: "RSA cert is the
/// safest default"); ECDSA P-256 is the smaller, faster option for modern clients.
public enum KeyAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// RSA with a modulus of `bits` (2048 to 8192).
    case rsa(bits: Int)
    /// ECDSA on NIST P-256 (prime256v1).
    case ecdsaP256

    /// RSA-3072, the CA default.
    public static let defaultCA = KeyAlgorithm.rsa(bits: 3072)

    public var description: String {
        switch self {
        case .rsa(let bits): "RSA-\(bits)"
        case .ecdsaP256: "ECDSA-P256"
        }
    }

    /// The algorithm for end-entity keys issued under a CA with this algorithm: RSA-2048 under an RSA CA (as the
    /// demo script), P-256 under an ECDSA CA.
    public var leafAlgorithm: KeyAlgorithm {
        switch self {
        case .rsa: .rsa(bits: 2048)
        case .ecdsaP256: .ecdsaP256
        }
    }
}

/// An OpenSSL `EVP_PKEY` holding a private key. Immutable after creation, hence `@unchecked Sendable`.
public final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer

    private init(owning pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(self.pkey) }

    /// Generates a new key with OpenSSL's CSPRNG (`EVP_PKEY_keygen` through an `EVP_PKEY_CTX`).
    public static func generate(_ algorithm: KeyAlgorithm) throws(PKIError) -> PrivateKey {
        ERR_clear_error()
        let name: String
        switch algorithm {
        case .rsa(let bits):
            guard (2048...8192).contains(bits) else { throw .invalidInput("RSA key size \(bits) not in 2048...8192") }
            name = "RSA"
        case .ecdsaP256:
            name = "EC"
        }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, name, nil) else { throw .openSSL("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw .openSSL("EVP_PKEY_keygen_init") }
        switch algorithm {
        case .rsa(let bits):
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else { throw .openSSL("setting RSA bits") }
        case .ecdsaP256:
            guard EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1 else { throw .openSSL("setting the EC group") }
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_keygen(ctx, &key) == 1, let key else { throw .openSSL("EVP_PKEY_keygen") }
        return PrivateKey(owning: key)
    }

    /// Parses an unencrypted PEM private key (PKCS#8 or traditional).
    public init(pem: String) throws(PKIError) {
        ERR_clear_error()
        let key: OpaquePointer? = withMemoryBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let key else { throw .corruptState("cannot parse the private key PEM") }
        self.pkey = key
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). Store it with mode 0600.
    public func pemEncoded() throws(PKIError) -> String {
        try writeToMemoryBIO("PEM_write_bio_PrivateKey") { bio in
            PEM_write_bio_PrivateKey(bio, self.pkey, nil, nil, 0, nil, nil)
        }
    }

    /// Whether this is an RSA key (then leaf certificates also get keyEncipherment).
    public var isRSA: Bool { EVP_PKEY_get_base_id(self.pkey) == EVP_PKEY_RSA }

    /// The key's size in bits (the modulus for RSA, the field size for EC).
    public var bits: Int { Int(EVP_PKEY_get_bits(self.pkey)) }
}

// MARK: - Memory BIO helpers

/// Runs `body` with a read-only memory BIO over the UTF-8 bytes of `text`.
func withMemoryBIO<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
    var text = text
    return text.withUTF8 { bytes -> T? in
        guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
        defer { BIO_free(bio) }
        return body(bio)
    }
}

/// Runs `body` with a fresh memory BIO and returns what it wrote, as text (PEM is ASCII).
func writeToMemoryBIO(_ what: String, _ body: (OpaquePointer) -> Int32) throws(PKIError) -> String {
    String(decoding: try writeBytesToMemoryBIO(what, body), as: UTF8.self)
}

/// Runs `body` with a fresh memory BIO and returns the bytes it wrote (DER or PEM).
func writeBytesToMemoryBIO(_ what: String, _ body: (OpaquePointer) -> Int32) throws(PKIError) -> [UInt8] {
    ERR_clear_error()
    guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSL("BIO_new") }
    defer { BIO_free(bio) }
    guard body(bio) == 1 else { throw .openSSL(what) }
    let pending = Int(BIO_ctrl_pending(bio))
    var out = [UInt8](repeating: 0, count: pending)
    let read = out.withUnsafeMutableBufferPointer { BIO_read(bio, $0.baseAddress, Int32(pending)) }
    guard read == pending else { throw .openSSL("reading \(what) output") }
    return out
}
