import Foundation
internal import COpenSSL

/// An X.509 certificate (an OpenSSL `X509`). Immutable after creation, hence `@unchecked Sendable`.
public final class Certificate: @unchecked Sendable {
    let x509: OpaquePointer

    init(owning x509: OpaquePointer) { self.x509 = x509 }

    deinit { X509_free(self.x509) }

    /// Parses the first certificate of a PEM text (for a chain file: the leaf).
    public convenience init(pem: String) throws(PKIError) {
        ERR_clear_error()
        let x509: OpaquePointer? = withMemoryBIO(pem) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
        guard let x509 else { throw .corruptState("cannot parse the certificate PEM") }
        self.init(owning: x509)
    }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`).
    public func pemEncoded() throws(PKIError) -> String {
        try writeToMemoryBIO("PEM_write_bio_X509") { bio in PEM_write_bio_X509(bio, self.x509) }
    }

    /// The DER encoding (`i2d_X509`).
    public var derEncoded: [UInt8] {
        let length = i2d_X509(self.x509, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(self.x509, &cursor)
        }
        return out
    }

    /// The SHA-1 thumbprint as Windows and Azure show it: SHA-1 over the DER, upper-case hex without separators
    /// (equal to `openssl x509 -fingerprint -sha1` without the colons).
    public var sha1Thumbprint: String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { X509_digest(self.x509, EVP_sha1(), $0.baseAddress, &length) }
        precondition(ok == 1 && length == 20, "X509_digest(SHA-1) failed")
        return upperHex(out[..<20])
    }

    /// The serial number as upper-case hex (big-endian, no leading zero bytes).
    public var serialHex: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(self.x509), nil) else { return "" }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        _ = bytes.withUnsafeMutableBufferPointer { BN_bn2bin(bn, $0.baseAddress) }
        return upperHex(bytes[...])
    }

    /// The subject's common name (the first CN attribute), or `nil` if there is none.
    public var subjectCommonName: String? { commonName(X509_get_subject_name(self.x509)) }

    /// The issuer's common name.
    public var issuerCommonName: String? { commonName(X509_get_issuer_name(self.x509)) }

    /// The end of the validity period (`notAfter`).
    public var notAfter: Date { date(X509_get0_notAfter(self.x509)) }

    /// The start of the validity period (`notBefore`).
    public var notBefore: Date { date(X509_get0_notBefore(self.x509)) }

    /// Whether `issuer` signed this certificate (signature check only; no chain or time checks).
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.x509) else { return false }
        return X509_verify(self.x509, key) == 1
    }

    /// Whether `key` is the private half of this certificate's public key.
    public func matches(_ key: PrivateKey) -> Bool {
        X509_check_private_key(self.x509, key.pkey) == 1
    }

    private func commonName(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { CRYPTO_free(utf8, #fileID, #line) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var tm = tm()
        guard let time, ASN1_TIME_to_tm(time, &tm) == 1 else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}

/// Upper-case hex without separators.
func upperHex(_ bytes: ArraySlice<UInt8>) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}
