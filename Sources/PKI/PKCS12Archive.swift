internal import COpenSSL
internal import COpenSSLShims

/// PKCS#12 (RFC 7292) export of a client certificate, its key and the CA certificate.
public enum PKCS12Archive {
    /// Iterations of the password-based key derivation and of the MAC key derivation.
    public static let iterations: Int32 = 2048

    /// The DER encoding of a password-protected PKCS#12 file.
    ///
    /// Key and certificate bags are encrypted with PBES2 / PBKDF2 / AES-256-CBC and the file carries an HMAC-SHA-256
    /// MAC, so that OpenSSL 3 opens it without `-legacy` (its legacy default was RC2/3DES with a SHA-1 MAC).
    /// Windows 10 1709 and later import such files too.
    ///
    /// - Parameters:
    ///   - friendlyName: the name shown by certificate stores (the user name).
    ///   - password: the import password; must not be empty. It is never written to errors or logs.
    public static func make(
        certificate: Certificate,
        key: PrivateKey,
        caCertificates: [Certificate],
        friendlyName: String,
        password: String
    ) throws(PKIError) -> [UInt8] {
        guard !password.isEmpty else { throw .invalidInput("the PKCS#12 password must not be empty") }
        guard certificate.matches(key) else { throw .invalidInput("the key does not match the certificate") }
        ERR_clear_error()
        guard let stack = cshim_sk_X509_new_null() else { throw .openSSL("sk_X509_new_null") }
        defer { cshim_sk_X509_free(stack) }
        for ca in caCertificates {
            guard cshim_sk_X509_push(stack, ca.x509) > 0 else { throw .openSSL("sk_X509_push") }
        }
        // mac_iter -1: no MAC here; PKCS12_set_mac below adds one with SHA-256.
        guard
            let p12 = PKCS12_create_ex(
                password, friendlyName, key.pkey, certificate.x509, stack,
                NID_aes_256_cbc, NID_aes_256_cbc, iterations, -1, 0, nil, nil)
        else { throw .openSSL("PKCS12_create_ex") }
        defer { PKCS12_free(p12) }
        guard PKCS12_set_mac(p12, password, -1, nil, 0, iterations, EVP_sha256()) == 1 else {
            throw .openSSL("PKCS12_set_mac")
        }
        return try writeBytesToMemoryBIO("i2d_PKCS12_bio") { bio in i2d_PKCS12_bio(bio, p12) }
    }
}
