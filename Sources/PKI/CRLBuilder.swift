import Foundation
internal import COpenSSL

/// Builds and signs X.509 v2 CRLs (RFC 5280 §5) with OpenSSL's `X509_CRL_*` API.
public enum CRLBuilder {
    /// One revoked certificate.
    public struct RevokedEntry: Sendable, Hashable {
        /// The serial, upper-case hex (as in the index).
        public var serialHex: String
        public var revocationDate: Date
        public init(serialHex: String, revocationDate: Date) {
            self.serialHex = serialHex
            self.revocationDate = revocationDate
        }
    }

    /// A signed CRL as PEM (`-----BEGIN X509 CRL-----`).
    ///
    /// Version 2 with the authority key identifier and CRL number extensions, which RFC 5280 §5.2 says conforming
    /// CRL issuers MUST include (§5.2.1, §5.2.3), and entries sorted by serial.
    ///
    /// - Parameters:
    ///   - crlNumber: a monotonically increasing sequence number for this CRL issuer (RFC 5280 §5.2.3).
    ///   - thisUpdate, nextUpdate: the issue date and the date by which the next CRL will be issued.
    public static func make(
        issuer: CertificateBuilder.Issuer,
        revoked: [RevokedEntry],
        crlNumber: Int,
        thisUpdate: Date,
        nextUpdate: Date
    ) throws(PKIError) -> String {
        guard crlNumber >= 0 else { throw .invalidInput("negative CRL number") }
        guard nextUpdate > thisUpdate else { throw .invalidInput("nextUpdate must be later than thisUpdate") }
        ERR_clear_error()
        guard let crl = X509_CRL_new() else { throw .openSSL("X509_CRL_new") }
        defer { X509_CRL_free(crl) }
        guard X509_CRL_set_version(crl, 1) == 1 else { throw .openSSL("X509_CRL_set_version") }  // 1 = v2
        guard X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.certificate.x509)) == 1 else {
            throw .openSSL("X509_CRL_set_issuer_name")
        }
        try withTime(thisUpdate) { time throws(PKIError) in
            guard X509_CRL_set1_lastUpdate(crl, time) == 1 else { throw .openSSL("X509_CRL_set1_lastUpdate") }
        }
        try withTime(nextUpdate) { time throws(PKIError) in
            guard X509_CRL_set1_nextUpdate(crl, time) == 1 else { throw .openSSL("X509_CRL_set1_nextUpdate") }
        }

        for entry in revoked {
            guard let serial = hexBytes(entry.serialHex), !serial.isEmpty else {
                throw .corruptState("invalid serial \(entry.serialHex.debugDescription) in the index")
            }
            guard let revokedEntry = X509_REVOKED_new() else { throw .openSSL("X509_REVOKED_new") }
            var owned = true
            defer { if owned { X509_REVOKED_free(revokedEntry) } }
            guard let bn = serial.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress, Int32($0.count), nil) }) else {
                throw .openSSL("BN_bin2bn")
            }
            defer { BN_free(bn) }
            guard let integer = BN_to_ASN1_INTEGER(bn, nil) else { throw .openSSL("BN_to_ASN1_INTEGER") }
            defer { ASN1_INTEGER_free(integer) }
            guard X509_REVOKED_set_serialNumber(revokedEntry, integer) == 1 else {
                throw .openSSL("X509_REVOKED_set_serialNumber")
            }
            try withTime(entry.revocationDate) { time throws(PKIError) in
                guard X509_REVOKED_set_revocationDate(revokedEntry, time) == 1 else {
                    throw .openSSL("X509_REVOKED_set_revocationDate")
                }
            }
            guard X509_CRL_add0_revoked(crl, revokedEntry) == 1 else { throw .openSSL("X509_CRL_add0_revoked") }
            owned = false
        }

        // RFC 5280 §5.2.3: "CRL issuers MUST include this extension in all CRLs."
        guard let number = ASN1_INTEGER_new() else { throw .openSSL("ASN1_INTEGER_new") }
        defer { ASN1_INTEGER_free(number) }
        guard ASN1_INTEGER_set(number, crlNumber) == 1,
            X509_CRL_add1_ext_i2d(crl, NID_crl_number, UnsafeMutableRawPointer(number), 0, 0) == 1
        else { throw .openSSL("adding the CRL number") }
        // RFC 5280 §5.2.1: "Conforming CRL issuers MUST use the key identifier method, and MUST include this
        // extension in all CRLs issued."
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer.certificate.x509, nil, nil, crl, 0)
        guard let aki = X509V3_EXT_conf_nid(nil, &context, NID_authority_key_identifier, "keyid:always") else {
            throw .openSSL("building the authority key identifier")
        }
        defer { X509_EXTENSION_free(aki) }
        guard X509_CRL_add_ext(crl, aki, -1) == 1 else { throw .openSSL("X509_CRL_add_ext") }

        guard X509_CRL_sort(crl) == 1 else { throw .openSSL("X509_CRL_sort") }
        guard X509_CRL_sign(crl, issuer.key.pkey, EVP_sha256()) > 0 else { throw .openSSL("X509_CRL_sign") }
        return try writeToMemoryBIO("PEM_write_bio_X509_CRL") { bio in PEM_write_bio_X509_CRL(bio, crl) }
    }

    private static func withTime(
        _ date: Date,
        _ body: (UnsafeMutablePointer<ASN1_TIME>) throws(PKIError) -> Void
    ) throws(PKIError) {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))) else {
            throw .openSSL("ASN1_TIME_set")
        }
        defer { ASN1_STRING_free(time) }
        try body(time)
    }
}

/// Bytes of an even-length hex string, or `nil` if it is not hex.
func hexBytes(_ hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(digits.count / 2)
    var index = 0
    while index < digits.count {
        guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}
