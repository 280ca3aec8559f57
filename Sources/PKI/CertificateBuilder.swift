import Foundation
internal import COpenSSL

/// Builds and signs X.509 v3 certificates with OpenSSL (`X509_new`, `X509_set_*`, `X509V3_EXT_conf_nid`,
/// `X509_sign` with SHA-256).
public enum CertificateBuilder {
    /// The signer of a certificate: the CA's certificate and key, or `nil` for a self-signed certificate.
    public struct Issuer: Sendable {
        public let certificate: Certificate
        public let key: PrivateKey
        public init(certificate: Certificate, key: PrivateKey) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Creates and signs a certificate.
    ///
    /// - Parameters:
    ///   - commonName: the subject CN (1–64 characters, RFC 5280 ub-common-name).
    ///   - subjectKey: the key whose public half goes into the certificate (and which signs it if self-signed).
    ///   - serial: the serial number, big-endian; positive and at most 20 octets (RFC 5280 §4.1.2.2).
    ///   - issuer: the signing CA, or `nil` for a self-signed certificate (the issuer name is then the subject).
    public static func issue(
        commonName: String,
        subjectKey: PrivateKey,
        serial: [UInt8],
        notBefore: Date,
        notAfter: Date,
        profile: CertificateProfile,
        issuer: Issuer?
    ) throws(PKIError) -> Certificate {
        guard (1...64).contains(commonName.count), !commonName.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw .invalidInput("the common name must be 1–64 printable characters")
        }
        guard !serial.isEmpty, serial.count <= 20, serial[0] & 0x80 == 0, serial.contains(where: { $0 != 0 }) else {
            throw .invalidInput("the serial must be positive and at most 20 octets")
        }
        guard notAfter > notBefore else { throw .invalidInput("notAfter must be later than notBefore") }
        let extensions = try profile.extensions(isRSA: subjectKey.isRSA)

        ERR_clear_error()
        guard let x509 = X509_new() else { throw .openSSL("X509_new") }
        let certificate = Certificate(owning: x509)  // frees x509 on every path
        guard X509_set_version(x509, 2) == 1 else { throw .openSSL("X509_set_version") }  // 2 = v3
        try setSerial(serial, on: x509)
        try setTime(notBefore, X509_getm_notBefore(x509))
        try setTime(notAfter, X509_getm_notAfter(x509))

        guard let name = X509_NAME_new() else { throw .openSSL("X509_NAME_new") }
        defer { X509_NAME_free(name) }
        let added = X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, commonName, -1, -1, 0)
        guard added == 1 else { throw .openSSL("setting the common name") }
        guard X509_set_subject_name(x509, name) == 1 else { throw .openSSL("X509_set_subject_name") }
        let issuerName = issuer.map { X509_get_subject_name($0.certificate.x509) } ?? name
        guard X509_set_issuer_name(x509, issuerName) == 1 else { throw .openSSL("X509_set_issuer_name") }
        guard X509_set_pubkey(x509, subjectKey.pkey) == 1 else { throw .openSSL("X509_set_pubkey") }

        // The extension context: issuer and subject certificates, so that "hash" and "keyid" can be computed.
        // For a self-signed certificate the issuer is the certificate itself, whose SKI is added before its AKI.
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate.x509 ?? x509, x509, nil, nil, 0)
        for (extensionName, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, extensionName.nid, value) else {
                throw .openSSL("building extension \(extensionName)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw .openSSL("X509_add_ext \(extensionName)") }
        }

        let signer = issuer?.key ?? subjectKey
        guard X509_sign(x509, signer.pkey, EVP_sha256()) > 0 else { throw .openSSL("X509_sign") }
        return certificate
    }

    private static func setSerial(_ serial: [UInt8], on x509: OpaquePointer) throws(PKIError) {
        guard let bn = serial.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress, Int32($0.count), nil) }) else {
            throw .openSSL("BN_bin2bn")
        }
        defer { BN_free(bn) }
        guard let integer = BN_to_ASN1_INTEGER(bn, nil) else { throw .openSSL("BN_to_ASN1_INTEGER") }
        defer { ASN1_INTEGER_free(integer) }
        guard X509_set_serialNumber(x509, integer) == 1 else { throw .openSSL("X509_set_serialNumber") }
    }

    private static func setTime(_ date: Date, _ field: UnsafeMutablePointer<ASN1_TIME>?) throws(PKIError) {
        guard let field, ASN1_TIME_set(field, time_t(date.timeIntervalSince1970.rounded(.down))) != nil else {
            throw .openSSL("ASN1_TIME_set")
        }
    }
}

extension CertificateProfile.ExtensionName: CustomStringConvertible {
    var nid: Int32 {
        switch self {
        case .basicConstraints: NID_basic_constraints
        case .keyUsage: NID_key_usage
        case .extendedKeyUsage: NID_ext_key_usage
        case .subjectAltName: NID_subject_alt_name
        case .subjectKeyIdentifier: NID_subject_key_identifier
        case .authorityKeyIdentifier: NID_authority_key_identifier
        case .crlDistributionPoints: NID_crl_distribution_points
        }
    }

    var description: String { String(cString: OBJ_nid2sn(self.nid)) }
}
