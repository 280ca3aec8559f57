import AddressPool
import TLSEngine

/// What `sstp-dial` needs to connect.
public struct DialConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// SNI and HTTP Host; also the name the certificate is verified against (unless `caFile` is nil).
    public var serverName: String
    /// CA certificate (PEM) that must have issued the server's certificate; nil = do not verify (testing only).
    public var caFile: String?
    public var username: String
    public var password: String
    /// Seconds allowed from TCP connect to IPCP up.
    public var timeoutSeconds: Int
    /// Also negotiate IPV6CP (link-local interface identifiers) and wait for it.
    public var ipv6: Bool = false
    /// EAP-TLS: the client certificate chain and its key (PEM), or, without `keyFile`, a PKCS#12 file holding both
    /// (opened with `pkcs12Password`). With these the client offers EAP (and MS-CHAPv2 only if a password is given
    /// too).
    public var certificateFile: String?
    public var keyFile: String?
    public var pkcs12Password: String?

    public init(
        host: String, port: Int, serverName: String, caFile: String?, username: String, password: String,
        timeoutSeconds: Int = 20
    ) {
        self.host = host
        self.port = port
        self.serverName = serverName
        self.caFile = caFile
        self.username = username
        self.password = password
        self.timeoutSeconds = timeoutSeconds
    }
}

extension DialConfiguration {
    /// The inner TLS client context for EAP-TLS: the server's certificate is verified against `caFile` (as the
    /// outer TLS is); ours comes from PEM files or a PKCS#12 file.
    public func eapTLSContext(certificateFile: String) throws(TLSError) -> TLSContext {
        if let keyFile {
            return try TLSContext.client(
                trustRootsFile: caFile, verifyPeer: caFile != nil, certificateChainFile: certificateFile,
                privateKeyFile: keyFile)
        }
        return try TLSContext.client(
            trustRootsFile: caFile, verifyPeer: caFile != nil, pkcs12File: certificateFile,
            pkcs12Password: pkcs12Password ?? "")
    }
}

/// What the server gave us once the tunnel is up.
public struct TunnelInfo: Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var serverAddress: IPv4Address
    public var dnsServers: [IPv4Address]
    /// "sha256" or "sha1": the crypto binding hash we sent.
    public var cryptoBinding: String
    public var tlsVersion: String
    public var tlsCipher: String
    /// Milliseconds from TCP connect to IPCP up with Call Connected sent.
    public var connectMilliseconds: Double
    /// With IPV6CP: our and the server's link-local interface identifiers.
    public var localInterfaceIdentifier: UInt64?
    public var serverInterfaceIdentifier: UInt64?

    public var description: String {
        "address \(address) server \(serverAddress) dns \(dnsServers.map(\.description).joined(separator: ",")) "
            + "binding \(cryptoBinding) tls \(tlsVersion) \(tlsCipher) connect \(Int(connectMilliseconds)) ms"
            + (serverInterfaceIdentifier.map { " ipv6 server fe80::\(String($0, radix: 16))" } ?? "")
    }
}

/// Why a dial failed.
public struct DialError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case tls
        case httpRejected
        case sstpClosed
        case authenticationFailed
        case timeout
        case connectionClosed
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
