internal import COpenSSL
internal import COpenSSLShims

/// Revocation of client certificates by X.509 CRLs (RFC 5280 §5), as EAP-TLS needs it: a certificate is revoked
/// when a CRL from its issuer lists its serial number.
///
/// Built from the trusted roots (and any intermediates) that issue client certificates and the CRL files an
/// administrator configures. Every CRL must be signed by one of those certificates (RFC 5280 §6.3.3 (f)); a CRL
/// that is not is refused at load time, so a forged list can neither revoke nor un-revoke anything. A CRL past its
/// nextUpdate still applies (its revocations stay true); `staleCRLIssuers(at:)` names them so the caller can warn.
///
/// Cheap to build (parses a few small files), so callers rebuild it per authentication to pick up a new CRL without
/// a restart.
public struct CertificateRevocationList: Sendable {
    /// One CRL: its issuer and the serial numbers it lists.
    public struct Entry: Sendable, Hashable {
        /// DER of the issuer Name (compared byte for byte with the certificate's issuer, as RFC 5280 §7.1 allows
        /// for names produced by the same CA software).
        public let issuerNameDER: [UInt8]
        /// The issuer's common name, for logs.
        public let issuerCommonName: String?
        /// Revoked serial numbers as uppercase hex without leading zeros (as `X509CertificateInfo.serialNumberHex`).
        public let revokedSerials: Set<String>
        /// thisUpdate and nextUpdate, seconds since 1970 UTC (nextUpdate is optional in RFC 5280).
        public let thisUpdate: Int64
        public let nextUpdate: Int64?
    }

    /// The CRLs loaded, one entry each.
    public let entries: [Entry]

    /// Loads every CRL in `crlFiles` (PEM, possibly several per file, or one DER) and checks each one's signature
    /// against the certificates in `issuersFiles` (PEM files of one or more certificates each).
    ///
    /// - Throws: `TLSError.invalidConfiguration` naming the file when a CRL cannot be read or is not signed by any
    ///   of the issuers. Callers refuse certificates rather than accept without the list (fail closed).
    public init(issuersFiles: [String], crlFiles: [String]) throws(TLSError) {
        var issuers: [OpaquePointer] = []
        defer { issuers.forEach { X509_free($0) } }
        for file in issuersFiles { issuers += try Self.loadCertificates(file) }
        var entries: [Entry] = []
        for file in crlFiles {
            let crls = try Self.loadCRLs(file)
            defer { crls.forEach { X509_CRL_free($0) } }
            for crl in crls {
                entries.append(try Self.verifiedEntry(crl, issuers: issuers, file: file))
            }
        }
        self.entries = entries
    }

    /// An empty list (nothing revoked).
    public init() { self.entries = [] }

    /// Whether a CRL from the certificate's issuer lists its serial number.
    public func isRevoked(_ certificate: X509CertificateInfo) -> Bool {
        guard let issuer = Self.issuerNameDER(ofCertificateDER: certificate.der) else { return false }
        return self.entries.contains { $0.issuerNameDER == issuer && $0.revokedSerials.contains(certificate.serialNumberHex) }
    }

    /// Issuers (common names) whose CRL is past its nextUpdate at `time`.
    public func staleCRLIssuers(at time: Int64) -> [String] {
        self.entries.filter { ($0.nextUpdate ?? .max) < time }.map { $0.issuerCommonName ?? "?" }
    }

    // MARK: - Loading

    private static func loadCertificates(_ path: String) throws(TLSError) -> [OpaquePointer] {
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new_file(path, "r") else {
            throw TLSError.invalidConfiguration("reading certificates from \(path)")
        }
        defer { BIO_free(bio) }
        var certificates: [OpaquePointer] = []
        while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(x509) }
        OpenSSLErrorQueue.clear()  // the loop ends on a "no start line" error
        guard !certificates.isEmpty else { throw TLSError.invalidConfiguration("no certificate in \(path)") }
        return certificates
    }

    private static func loadCRLs(_ path: String) throws(TLSError) -> [OpaquePointer] {
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.invalidConfiguration("reading CRL \(path)") }
        defer { BIO_free(bio) }
        var crls: [OpaquePointer] = []
        while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) { crls.append(crl) }
        if crls.isEmpty {
            // Not PEM: one DER CRL (what an http CRL distribution point serves).
            _ = BIO_ctrl(bio, BIO_CTRL_RESET, 0, nil)
            if let crl = d2i_X509_CRL_bio(bio, nil) { crls.append(crl) }
        }
        OpenSSLErrorQueue.clear()
        guard !crls.isEmpty else { throw TLSError.invalidConfiguration("no CRL in \(path)") }
        return crls
    }

    private static func verifiedEntry(_ crl: OpaquePointer, issuers: [OpaquePointer], file: String) throws(TLSError)
        -> Entry
    {
        guard let issuerName = X509_CRL_get_issuer(crl), let issuerDER = nameDER(issuerName) else {
            throw TLSError.invalidConfiguration("CRL in \(file) has no issuer")
        }
        // RFC 5280 §6.3.3 (f): the CRL signature must verify with the issuer's key.
        let signed = issuers.contains { issuer in
            guard X509_NAME_cmp(X509_get_subject_name(issuer), issuerName) == 0,
                let key = X509_get0_pubkey(issuer)
            else { return false }
            return X509_CRL_verify(crl, key) == 1
        }
        OpenSSLErrorQueue.clear()
        guard signed else {
            throw TLSError.invalidConfiguration("CRL in \(file) is not signed by a trusted client certificate issuer")
        }
        var serials: Set<String> = []
        if let revoked = X509_CRL_get_REVOKED(crl) {
            for index in 0..<cshim_sk_X509_REVOKED_num(revoked) {
                guard let entry = cshim_sk_X509_REVOKED_value(revoked, index),
                    let serial = X509_REVOKED_get0_serialNumber(entry)
                else { continue }
                serials.insert(serialHex(serial))
            }
        }
        guard let thisUpdate = X509CertificateInfo.seconds(X509_CRL_get0_lastUpdate(crl)) else {
            throw TLSError.invalidConfiguration("CRL in \(file) has no valid thisUpdate")
        }
        return Entry(
            issuerNameDER: issuerDER, issuerCommonName: X509CertificateInfo.commonName(issuerName),
            revokedSerials: serials, thisUpdate: thisUpdate,
            nextUpdate: X509CertificateInfo.seconds(X509_CRL_get0_nextUpdate(crl)))
    }

    static func issuerNameDER(ofCertificateDER der: [UInt8]) -> [UInt8]? {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 = parsed else { return nil }
        defer { X509_free(x509) }
        return X509_get_issuer_name(x509).flatMap(nameDER)
    }

    private static func nameDER(_ name: OpaquePointer) -> [UInt8]? {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_NAME(name, &pointer)
        guard length > 0, let pointer else { return nil }
        defer { CRYPTO_free(pointer, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    private static func serialHex(_ serial: UnsafePointer<ASN1_INTEGER>) -> String {
        guard let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let text = BN_bn2hex(bn) else { return "" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }
}
