import AddressPool
import DHCPProtocol
import PPPProtocol
import SSTPProtocol
import TLSEngine

/// The per-connection settings derived once from the configuration and the TLS context.
struct SessionSettings: Sendable {
    var sstp: SSTPServerStateMachine.Configuration
    var gateway: IPv4Address
    var dnsServers: [IPv4Address]
    var mru: UInt16
    var maxAuthenticationAttempts: Int
    var ipv6: Bool
    var handshakeTimeout: Int64
    var maxSessions: Int
    /// Answers clients' DHCPINFORM (routes, DNS, domain).
    var dhcp: DHCPInformResponder
    /// LCP Authentication-Protocol: the one we request first, and the others we accept on a Nak.
    var authenticationProtocol: PPPAuthenticationProtocol
    var alternativeAuthenticationProtocols: [PPPAuthenticationProtocol]
    /// The inner TLS server for EAP-TLS (same certificate, client certificates required), when EAP-TLS is on.
    var eapTLSContext: TLSContext?
    var pkiDirectory: String?
    /// Client certificate issuers and the CRLs checked against them (re-read per EAP-TLS authentication).
    var clientCAFiles: [String]
    var crlFiles: [String]
    /// Also accept the EAP-TLS crypto binding of sstp-client + pppd 2.4.x (see `SSTPServerStateMachine`).
    var legacyEAPTLSBinding: Bool
    /// The name we give as authenticator in MS-CHAPv2 Challenges.
    var authenticatorName: String

    init(configuration: ServerConfiguration, gateway: IPv4Address, tlsContext: TLSContext) throws {
        guard let sha1 = tlsContext.leafCertificateSHA1, let sha256 = tlsContext.leafCertificateSHA256 else {
            throw ServerConfiguration.Error("tls.certificate: no leaf certificate loaded")
        }
        var offered: SSTPHashProtocolBitmask = []
        if configuration.hashProtocols.contains("sha1") { offered.insert(.sha1) }
        if configuration.hashProtocols.contains("sha256") { offered.insert(.sha256) }
        var timers = SSTPTimerValues()
        timers.negotiation = .seconds(configuration.negotiationTimeout)
        timers.hello = .seconds(configuration.helloInterval)
        sstp = SSTPServerStateMachine.Configuration(
            certificateHashes: SSTPCertificateHashes(sha1: sha1, sha256: sha256),
            offeredHashProtocols: offered,
            maximumNakCount: configuration.maxConnectRequestRetries,
            timers: timers)
        self.gateway = gateway
        dnsServers = configuration.dnsServers.compactMap { IPv4Address($0) }
        mru = UInt16(configuration.mru)
        maxAuthenticationAttempts = configuration.maxAuthenticationAttempts
        ipv6 = configuration.ipv6
        handshakeTimeout = Int64(configuration.handshakeTimeout)
        maxSessions = configuration.effectiveMaxSessions
        authenticatorName = "sstpd"
        let methods = configuration.authMethods.map { $0 == "eap-tls" ? PPPAuthenticationProtocol.eap : .msCHAPv2 }
        authenticationProtocol = methods.first ?? .msCHAPv2
        alternativeAuthenticationProtocols = Array(methods.dropFirst())
        if configuration.authMethods.contains("eap-tls"), !configuration.clientCAFiles.isEmpty {
            eapTLSContext = try TLSContext.server(
                certificateChainFile: configuration.certificateChainFile, privateKeyFile: configuration.privateKeyFile,
                clientTrustRootsFiles: configuration.clientCAFiles)
        }
        pkiDirectory = configuration.pkiDirectory
        clientCAFiles = configuration.clientCAFiles
        crlFiles = configuration.crlFiles
        legacyEAPTLSBinding = configuration.legacyEAPTLSBinding
        dhcp = DHCPInformResponder(
            configuration: DHCPInformConfiguration(
                routes: configuration.routes.compactMap(IPv4Network.init).map {
                    IPv4Prefix(network: $0.address.value, length: UInt8($0.prefixLength))
                },
                domainNameServers: dnsServers.map(\.value), domainName: configuration.domain))
    }
}
