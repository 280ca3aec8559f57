import Foundation

/// What a certificate is for; decides its extensions.
///
/// | profile | basicConstraints | keyUsage (critical) | extendedKeyUsage | other |
/// |---|---|---|---|---|
/// | CA | critical, CA:TRUE | keyCertSign, cRLSign | — | SKI, AKI keyid:always |
/// | server | critical, CA:FALSE | digitalSignature (+ keyEncipherment for RSA) | serverAuth | SAN DNS/IP, CDP, SKI, AKI |
/// | client | critical, CA:FALSE | digitalSignature (+ keyEncipherment for RSA) | clientAuth | CDP, SKI, AKI |
///
/// Windows requires serverAuth (or anyExtendedKeyUsage) on the SSTP server certificate (MS-SSTP §3.2.4.1, see
/// ../shared/protocol.md §3) and checks its CRL through the distribution point; EAP-TLS (RFC 5216 §5.3) wants
/// clientAuth on client certificates.
public enum CertificateProfile: Sendable, Hashable {
    /// A self-signed root CA.
    case certificateAuthority
    /// A TLS server certificate for sstpd.
    case server(dnsNames: [String], ipAddresses: [String], crlDistributionPoint: String?)
    /// An EAP-TLS client certificate.
    case client(crlDistributionPoint: String?)

    /// The OpenSSL configuration strings of the extensions, in the order they are added. `isRSA`: whether the
    /// subject key is RSA (keyEncipherment makes sense only for RSA key transport).
    func extensions(isRSA: Bool) throws(PKIError) -> [(name: ExtensionName, value: String)] {
        let leafKeyUsage = isRSA ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"
        switch self {
        case .certificateAuthority:
            return [
                (.basicConstraints, "critical,CA:TRUE"),
                (.keyUsage, "critical,keyCertSign,cRLSign"),
                (.subjectKeyIdentifier, "hash"),
                (.authorityKeyIdentifier, "keyid:always"),
            ]
        case .server(let dnsNames, let ipAddresses, let crl):
            guard !dnsNames.isEmpty || !ipAddresses.isEmpty else {
                throw .invalidInput("a server certificate needs at least one DNS name or IP address")
            }
            var alternativeNames: [String] = []
            for name in dnsNames {
                guard Self.isValidDNSName(name) else { throw .invalidInput("invalid DNS name \(name.debugDescription)") }
                alternativeNames.append("DNS:" + name)
            }
            for address in ipAddresses {
                guard Self.isValidIPAddress(address) else {
                    throw .invalidInput("invalid IP address \(address.debugDescription)")
                }
                alternativeNames.append("IP:" + address)
            }
            var result: [(name: ExtensionName, value: String)] = [
                (.basicConstraints, "critical,CA:FALSE"),
                (.keyUsage, leafKeyUsage),
                (.extendedKeyUsage, "serverAuth"),
                (.subjectAltName, alternativeNames.joined(separator: ",")),
                (.subjectKeyIdentifier, "hash"),
                (.authorityKeyIdentifier, "keyid,issuer"),
            ]
            if let crl { result.append((.crlDistributionPoints, try Self.crlValue(crl))) }
            return result
        case .client(let crl):
            var result: [(name: ExtensionName, value: String)] = [
                (.basicConstraints, "critical,CA:FALSE"),
                (.keyUsage, leafKeyUsage),
                (.extendedKeyUsage, "clientAuth"),
                (.subjectKeyIdentifier, "hash"),
                (.authorityKeyIdentifier, "keyid,issuer"),
            ]
            if let crl { result.append((.crlDistributionPoints, try Self.crlValue(crl))) }
            return result
        }
    }

    /// The extensions the PKI sets, by their OpenSSL NID.
    enum ExtensionName {
        case basicConstraints, keyUsage, extendedKeyUsage, subjectAltName, subjectKeyIdentifier
        case authorityKeyIdentifier, crlDistributionPoints
    }

    /// A host name for a SAN dNSName: letters, digits, hyphens and dots, labels of 1–63 characters, at most 253
    /// in all, optionally starting with the wildcard label `*.`.
    public static func isValidDNSName(_ name: String) -> Bool {
        var rest = Substring(name)
        if rest.hasPrefix("*.") { rest = rest.dropFirst(2) }
        guard !rest.isEmpty, name.utf8.count <= 253 else { return false }
        let labels = rest.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { byte in
                    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                        || byte == 0x2d
                }
        }
    }

    /// A literal IPv4 or IPv6 address (`inet_pton`).
    public static func isValidIPAddress(_ address: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, address, &v4) == 1 || inet_pton(AF_INET6, address, &v6) == 1
    }

    /// An `http://` URL without spaces, commas or control characters (Windows fetches CRLs over HTTP; an HTTPS
    /// CRL would need a revocation check of its own).
    public static func isValidCRLURL(_ url: String) -> Bool {
        guard url.lowercased().hasPrefix("http://"), url.utf8.count > 7, url.utf8.count <= 2048 else { return false }
        return url.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != 0x2c }
    }

    private static func crlValue(_ url: String) throws(PKIError) -> String {
        guard isValidCRLURL(url) else { throw .invalidInput("invalid CRL URL \(url.debugDescription) (want http://...)") }
        return "URI:" + url
    }
}
