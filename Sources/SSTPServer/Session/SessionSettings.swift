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
        dhcp = DHCPInformResponder(
            configuration: DHCPInformConfiguration(
                routes: configuration.routes.compactMap(IPv4Network.init).map {
                    IPv4Prefix(network: $0.address.value, length: UInt8($0.prefixLength))
                },
                domainNameServers: dnsServers.map(\.value), domainName: configuration.domain))
    }
}
