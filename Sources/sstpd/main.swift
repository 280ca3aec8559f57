import ArgumentParser
import Foundation
import Logging
import SSTPServer

/// `sstpd`: the SSTP VPN gateway daemon.
///
/// Reads a TOML configuration file (docs/configuration.md); every key can be overridden by the flag of the same
/// name (`[pool] network` → `--pool-network`).
struct SSTPD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sstpd",
        abstract: "SSTP (MS-SSTP) point-to-site VPN gateway."
    )

    @Option(name: .long, help: "TOML configuration file.") var config: String?
    @Flag(name: .long, help: "Check the configuration (and the files it names) and exit.") var checkConfig = false

    @Option(name: .customLong("listen-address")) var listenAddress: String?
    @Option(name: .customLong("listen-port")) var listenPort: Int?
    @Option(name: .customLong("tls-certificate"), help: "PEM chain, leaf first.") var certificateChainFile: String?
    @Option(name: .customLong("tls-private-key")) var privateKeyFile: String?
    @Option(name: .customLong("tls-min-version")) var minimumTLSVersion: String?
    @Option(name: .customLong("sstp-hash-protocols"), help: "Comma-separated: sha256,sha1.") var hashProtocols: String?
    @Option(name: .customLong("sstp-handshake-timeout")) var handshakeTimeout: Int?
    @Option(name: .customLong("sstp-negotiation-timeout")) var negotiationTimeout: Int?
    @Option(name: .customLong("sstp-hello-interval")) var helloInterval: Int?
    @Option(name: .customLong("sstp-max-connect-retries")) var maxConnectRequestRetries: Int?
    @Option(name: .customLong("ppp-mru")) var mru: Int?
    @Option(name: .customLong("sstp-legacy-eap-tls-binding"), help: "true or false: accept pppd 2.4's EAP-TLS binding.")
    var legacyEAPTLSBinding: Bool?
    @Option(name: .customLong("ppp-max-auth-attempts")) var maxAuthenticationAttempts: Int?
    @Option(name: .customLong("ppp-ipv6"), help: "true or false.") var ipv6: Bool?
    @Option(name: .customLong("pool-network")) var poolNetwork: String?
    @Option(name: .customLong("pool-gateway")) var gatewayAddress: String?
    @Option(name: .customLong("pool-dns"), help: "Comma-separated, at most two.") var dnsServers: String?
    @Option(name: .customLong("pool-routes"), help: "Comma-separated prefixes pushed by DHCPINFORM.") var routes: String?
    @Option(name: .customLong("pool-domain")) var domain: String?
    @Option(name: .customLong("tun-name")) var tunName: String?
    @Option(name: .customLong("tun-mtu")) var tunMTU: Int?
    @Option(name: .customLong("tun-queues")) var tunQueues: Int?
    @Flag(name: .customLong("tun-offload"), help: "IFF_VNET_HDR with TSO: TCP super-packets segmented by sstpd ([tun] offload).")
    var tunOffload = false
    @Option(name: .customLong("user"), help: "Unprivileged user to switch to once started ([daemon] user).")
    var runAsUser: String?
    @Option(name: .customLong("users-file"), help: "A legacy users file to import into an empty state store.")
    var usersFile: String?
    @Option(name: .customLong("state-database"), help: "The SQLite state store.") var stateDatabase: String?
    @Option(name: .customLong("state-accounting-flush-interval")) var accountingFlushInterval: Int?
    @Option(name: .customLong("auth-methods"), help: "Comma-separated, preferred first: mschapv2, eap-tls.")
    var authMethods: String?
    @Option(name: .customLong("auth-client-ca"), help: "Comma-separated PEM files of roots for client certificates (EAP-TLS).")
    var clientCAFiles: String?
    @Option(name: .customLong("auth-pki-dir"), help: "sstpctl PKI directory (revocations).") var pkiDirectory: String?
    @Option(name: .customLong("auth-crl"), help: "Comma-separated CRL files checked for client certificates.")
    var crlFiles: String?
    @Option(name: .customLong("crl-listen"), help: "Serve the CRL over HTTP on ADDRESS:PORT.") var crlListen: String?
    @Option(name: .customLong("crl-path"), help: "URL path of the served CRL.") var crlPath: String?
    @Option(name: .customLong("crl-file"), help: "The CRL file to serve (default: PKI dir's crl.pem).") var crlFile: String?
    @Option(name: .customLong("limits-max-sessions")) var maxSessions: Int?
    @Option(name: .customLong("limits-sku"), help: "Basic, VpnGw1, VpnGw2 or VpnGw3.") var sku: String?
    @Option(name: .customLong("limits-aggregate-mbps"), help: "Shared throughput cap; 0 = none.") var aggregateMbps: Int?
    @Option(name: .customLong("vnet-topology"), help: "Topology file (docs/vnet.md).") var topologyFile: String?
    @Option(name: .customLong("lockout-user-threshold")) var lockoutUserThreshold: Int?
    @Option(name: .customLong("lockout-address-threshold")) var lockoutAddressThreshold: Int?
    @Option(name: .customLong("lockout-window")) var lockoutWindow: Int?
    @Option(name: .customLong("lockout-duration")) var lockoutDuration: Int?
    @Option(name: .customLong("lockout-max-duration")) var lockoutMaxDuration: Int?
    @Option(name: .customLong("lockout-max-tracked")) var lockoutMaxTracked: Int?
    @Option(name: .customLong("admin-control-socket"), help: "Control socket path (\"\" = off).") var controlSocket: String?
    @Option(name: .customLong("admin-control-group"), help: "Group allowed on the control socket.") var controlGroup: String?
    @Option(name: .customLong("admin-metrics-listen"), help: "Prometheus metrics on ADDRESS:PORT.") var metricsListen: String?
    @Option(name: .customLong("log-level")) var logLevel: String?

    func run() throws {
        let configuration: ServerConfiguration
        do {
            configuration = try load()
        } catch {
            throw ValidationError("configuration: \(error)")
        }
        if checkConfig {
            try Daemon.checkFiles(configuration)
            print("configuration OK")
            return
        }
        let command = self
        try Daemon.run(configuration: configuration, reload: { try command.load() })
    }

    /// The file (if any) with the flags applied on top, topology resolved, validated: at start and on every reload.
    func load() throws -> ServerConfiguration {
        var configuration = try config.map { try ConfigurationFile.load(path: $0) } ?? ServerConfiguration()
        apply(to: &configuration)
        configuration = try configuration.resolvingTopology()
        _ = try configuration.validate()
        return configuration
    }

    private func apply(to c: inout ServerConfiguration) {
        func set<T>(_ value: T?, _ keyPath: WritableKeyPath<ServerConfiguration, T>) {
            if let value { c[keyPath: keyPath] = value }
        }
        func list(_ text: String?) -> [String]? {
            text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }
        set(listenAddress, \.listenAddress)
        set(listenPort, \.listenPort)
        set(certificateChainFile, \.certificateChainFile)
        set(privateKeyFile, \.privateKeyFile)
        set(minimumTLSVersion, \.minimumTLSVersion)
        set(list(hashProtocols), \.hashProtocols)
        set(handshakeTimeout, \.handshakeTimeout)
        set(negotiationTimeout, \.negotiationTimeout)
        set(helloInterval, \.helloInterval)
        set(maxConnectRequestRetries, \.maxConnectRequestRetries)
        set(legacyEAPTLSBinding, \.legacyEAPTLSBinding)
        set(mru, \.mru)
        set(maxAuthenticationAttempts, \.maxAuthenticationAttempts)
        set(ipv6, \.ipv6)
        set(poolNetwork, \.poolNetwork)
        set(gatewayAddress, \.gatewayAddress)
        set(list(dnsServers), \.dnsServers)
        set(list(routes), \.routes)
        if let domain { c.domain = domain }
        set(tunName, \.tunName)
        set(tunMTU, \.tunMTU)
        set(tunQueues, \.tunQueues)
        if tunOffload { c.tunOffload = true }
        if let usersFile { c.usersFile = usersFile }
        set(stateDatabase, \.stateDatabase)
        set(accountingFlushInterval, \.accountingFlushInterval)
        set(list(authMethods), \.authMethods)
        set(list(clientCAFiles), \.clientCAFiles)
        if let pkiDirectory { c.pkiDirectory = pkiDirectory }
        set(list(crlFiles), \.crlFiles)
        if let crlListen { c.crlListen = crlListen }
        set(crlPath, \.crlPath)
        if let crlFile { c.crlFile = crlFile }
        if let maxSessions { c.maxSessions = maxSessions }
        if let sku { c.sku = sku }
        if let aggregateMbps { c.aggregateMbps = aggregateMbps }
        set(logLevel, \.logLevel)
        set(lockoutUserThreshold, \.lockoutUserThreshold)
        set(lockoutAddressThreshold, \.lockoutAddressThreshold)
        set(lockoutWindow, \.lockoutWindow)
        set(lockoutDuration, \.lockoutDuration)
        set(lockoutMaxDuration, \.lockoutMaxDuration)
        set(lockoutMaxTracked, \.lockoutMaxTracked)
        if let controlSocket { c.controlSocket = controlSocket.isEmpty ? nil : controlSocket }
        if let controlGroup { c.controlGroup = controlGroup }
        if let metricsListen { c.metricsListen = metricsListen }
        if let topologyFile { c.topologyFile = topologyFile }
        if let runAsUser { c.runAsUser = runAsUser }
    }
}

SSTPD.main()
