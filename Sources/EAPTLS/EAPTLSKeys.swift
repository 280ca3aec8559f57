import EAP
import TLSEngine

/// The EAP-TLS key hierarchy derived from the TLS session.
///
/// - TLS 1.2 (RFC 5216 §2.3): `Key_Material = TLS-PRF-128(master_secret, "client EAP encryption",
///   client.random || server.random)`, which is the RFC 5705 exporter with that label and no context.
/// - TLS 1.3 (RFC 9190 §2.3): `Key_Material = TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", Type-Code, 128)`
///   with Type-Code = 0x0D.
///
/// `MSK = Key_Material(0, 63)`, `EMSK = Key_Material(64, 127)`. For the SSTP crypto binding the HLAK is the first
/// 32 bytes of the MSK (MS-SSTP §3.2.5.2; the client's 32-byte MPPE send key; ../shared/protocol.md §1.7).
public struct EAPTLSKeys: Sendable, Hashable {
    /// RFC 5216 §2.3 exporter label for TLS 1.2 and earlier.
    public static let tls12Label = "client EAP encryption"
    /// RFC 9190 §2.3 exporter label for TLS 1.3.
    public static let tls13Label = "EXPORTER_EAP_TLS_Key_Material"
    /// RFC 9190 §2.3 context: the EAP Type-Code of EAP-TLS.
    public static let tls13Context: [UInt8] = [0x0D]
    /// Key_Material length.
    public static let keyMaterialLength = 128

    /// Master Session Key (64 octets).
    public let msk: [UInt8]
    /// Extended Master Session Key (64 octets).
    public let emsk: [UInt8]

    /// Splits 128 octets of Key_Material.
    public init(keyMaterial: [UInt8]) {
        precondition(keyMaterial.count == Self.keyMaterialLength, "EAP-TLS Key_Material is 128 octets")
        self.msk = Array(keyMaterial[0..<64])
        self.emsk = Array(keyMaterial[64..<128])
    }

    /// Derives the keys from a completed TLS session with the exporter for its version.
    public init(connection: TLSConnection) throws(TLSError) {
        let version = connection.negotiatedProtocolVersion ?? .tls12
        let keyMaterial: [UInt8]
        switch version {
        case .tls12:
            keyMaterial = try connection.exportKeyingMaterial(
                label: Self.tls12Label, context: nil, length: Self.keyMaterialLength)
        case .tls13:
            keyMaterial = try connection.exportKeyingMaterial(
                label: Self.tls13Label, context: Self.tls13Context, length: Self.keyMaterialLength)
        }
        self.init(keyMaterial: keyMaterial)
    }

    /// The SSTP Higher-Layer Authentication Key: the first 32 octets of the MSK.
    public var hlak: [UInt8] { Array(self.msk[0..<32]) }

    /// What sstp-client with pppd 2.4.x uses instead: pppd 2.4.9 keeps 16 bytes of each MPPE key (send =
    /// MSK[0..<16], receive = MSK[32..<48], RFC 5216 §2.3's MS-MPPE key split) and sstp-client concatenates them.
    /// Accepted only when `[sstp] legacy_eap_tls_binding` is on.
    public var pppd24HLAK: [UInt8] { Array(self.msk[0..<16]) + Array(self.msk[32..<48]) }

    /// RFC 5216 §2.3 / RFC 3079 style MPPE keys as a NAS would get them in RADIUS: the peer's send key
    /// (= authenticator's MS-MPPE-Recv-Key) is MSK(0, 31), the peer's receive key MSK(32, 63).
    public var peerSendKey: [UInt8] { Array(self.msk[0..<32]) }
    public var peerReceiveKey: [UInt8] { Array(self.msk[32..<64]) }
}

/// Result of a successful EAP-TLS run.
public struct EAPTLSResult: Sendable, Hashable {
    public let tlsVersion: TLSVersion
    public let cipher: String
    public let keys: EAPTLSKeys
    /// The other side's leaf certificate (the client's, on the server: always present because the server context
    /// requires one; the server's, on the peer).
    public let peerCertificate: X509CertificateInfo?

    public init(tlsVersion: TLSVersion, cipher: String, keys: EAPTLSKeys, peerCertificate: X509CertificateInfo?) {
        self.tlsVersion = tlsVersion
        self.cipher = cipher
        self.keys = keys
        self.peerCertificate = peerCertificate
    }
}

/// Why an EAP-TLS run failed. Texts carry no key material.
public enum EAPTLSFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The client sent no certificate (the server requires one: RFC 5216 §2.1).
    case clientCertificateMissing
    /// The client's certificate failed chain verification (untrusted CA, expired, wrong purpose ...).
    case clientCertificateRejected(String)
    /// The TLS handshake failed otherwise.
    case handshakeFailed(String)
    /// Malformed EAP-TLS framing.
    case framing(EAPError)
    /// The other side sent something out of order (e.g. data after the method finished).
    case protocolViolation(String)

    public var description: String {
        switch self {
        case .clientCertificateMissing: "no client certificate"
        case .clientCertificateRejected(let why): "client certificate rejected: \(why)"
        case .handshakeFailed(let why): "TLS handshake failed: \(why)"
        case .framing(let why): "EAP-TLS framing: \(why)"
        case .protocolViolation(let why): "EAP-TLS protocol violation: \(why)"
        }
    }
}

/// One step of an EAP-TLS side.
public enum EAPTLSStep: Sendable, Hashable {
    /// Send this Type-Data (server: in the next Request; peer: in the Response).
    case send([UInt8])
    /// The method finished successfully (server: after the peer's final ACK; send EAP-Success if authorized).
    case succeeded(EAPTLSResult)
    /// The method failed; the server sends EAP-Failure.
    case failed(EAPTLSFailure)
}
