internal import COpenSSL
internal import COpenSSLShims

/// Facts about a certificate that authorization decisions need (EAP-TLS client certificates: RFC 5216 §5.3
/// leaves "which peers are authorized" to the server's policy; the gateway checks the chain via OpenSSL and then
/// revocation, EKU and validity with these facts).
///
/// Built from DER with OpenSSL's parser; holds no OpenSSL objects.
public struct X509CertificateInfo: Sendable, Hashable {
    /// The DER encoding.
    public let der: [UInt8]
    /// SHA-1 of the DER (the "thumbprint" Windows and Azure show and revoke by).
    public let sha1Thumbprint: [UInt8]
    /// SHA-256 of the DER.
    public let sha256Thumbprint: [UInt8]
    /// The subject's first commonName, if any.
    public let subjectCommonName: String?
    /// The issuer's first commonName, if any.
    public let issuerCommonName: String?
    /// The serial number as uppercase hex without leading zero bytes (as CRLs list it).
    public let serialNumberHex: String
    /// notBefore / notAfter as seconds since 1970-01-01 UTC.
    public let notBefore: Int64
    public let notAfter: Int64
    /// `true` if the certificate has an extendedKeyUsage extension.
    public let hasExtendedKeyUsage: Bool
    /// `true` if the extendedKeyUsage extension lists id-kp-clientAuth (RFC 5280 §4.2.1.12).
    public let hasClientAuthUsage: Bool

    /// Parses a DER certificate.
    public init(der: [UInt8]) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 = parsed else { throw TLSError.invalidConfiguration("parsing a DER certificate") }
        defer { X509_free(x509) }
        self.der = der
        self.sha1Thumbprint = X509Certificate.digest(x509, .sha1)
        self.sha256Thumbprint = X509Certificate.digest(x509, .sha256)
        self.subjectCommonName = Self.commonName(X509_get_subject_name(x509))
        self.issuerCommonName = Self.commonName(X509_get_issuer_name(x509))
        self.serialNumberHex = Self.serialHex(x509)
        guard let notBefore = Self.seconds(X509_get0_notBefore(x509)),
            let notAfter = Self.seconds(X509_get0_notAfter(x509))
        else { throw TLSError.invalidConfiguration("reading certificate validity") }
        self.notBefore = notBefore
        self.notAfter = notAfter
        let flags = X509_get_extension_flags(x509)  // also caches the extensions X509_get_extended_key_usage reads
        self.hasExtendedKeyUsage = flags & UInt32(EXFLAG_XKUSAGE) != 0
        self.hasClientAuthUsage =
            self.hasExtendedKeyUsage && X509_get_extended_key_usage(x509) & UInt32(XKU_SSL_CLIENT) != 0
    }

    /// Whether `time` (seconds since 1970 UTC) lies within notBefore...notAfter.
    public func isValid(at time: Int64) -> Bool { self.notBefore <= time && time <= self.notAfter }

    /// The SHA-1 thumbprint as uppercase hex (Windows `Thumbprint` style).
    public var sha1ThumbprintHex: String { Self.hex(self.sha1Thumbprint) }

    static func commonName(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func serialHex(_ x509: OpaquePointer) -> String {
        guard let serial = X509_get0_serialNumber(x509), let bn = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(bn) }
        guard let text = BN_bn2hex(bn) else { return "" }
        defer { CRYPTO_free(text, #fileID, #line) }
        return String(cString: text)
    }

    static func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        let days = daysFromCivil(
            year: Int64(parts.tm_year) + 1900, month: Int64(parts.tm_mon) + 1, day: Int64(parts.tm_mday))
        return days * 86_400 + Int64(parts.tm_hour) * 3600 + Int64(parts.tm_min) * 60 + Int64(parts.tm_sec)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
    }
}

extension TLSContext {
    /// `true` for a server context that requests a client certificate and fails the handshake without one
    /// (`SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT`, set by `clientTrustRootsFile`).
    public var requiresClientCertificate: Bool {
        let required = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
        return SSL_CTX_get_verify_mode(self.sslContext) & required == required
    }
}
