import AddressPool
import Glibc
import GatewayPolicy

/// Everything `sstpd` needs to run, parsed once into an immutable value and passed in.
/// Every key can be set in the TOML file (see docs/configuration.md) and overridden by a flag.
public struct ServerConfiguration: Sendable, Equatable {
    /// `[listen]`: where the HTTPS listener binds.
    public var listenAddress: String = "0.0.0.0"
    public var listenPort: Int = 443

    /// `[tls]`: PEM files. The chain file holds the leaf certificate first.
    public var certificateChainFile: String = "/etc/sstpd/server.pem"
    public var privateKeyFile: String = "/etc/sstpd/server.key"
    /// "1.2" or "1.3": the lowest TLS version accepted.
    public var minimumTLSVersion: String = "1.2"

    /// `[sstp]`
    /// Hash protocols offered for the crypto binding (MS-SSTP §2.2.6): "sha256", "sha1".
    public var hashProtocols: [String] = ["sha256", "sha1"]
    /// Seconds from TCP accept until the HTTP request head is complete (covers the TLS handshake too).
    public var handshakeTimeout: Int = 10
    /// MS-SSTP §3.3.2.1 negotiation timer and §3.1.2.3 hello timer, in seconds.
    public var negotiationTimeout: Int = 60
    public var helloInterval: Int = 60
    /// Connect Requests NAKed before the call is aborted (MS-SSTP Appendix A <2>: Windows allows 3).
    public var maxConnectRequestRetries: Int = 3
    /// Also accept the EAP-TLS crypto binding Linux sstpc + pppd 2.4.x computes (HLAK = MSK[0..<16] ‖ MSK[32..<48]
    /// instead of MSK[0..<32]); off by default (not MS-SSTP). See docs/interop.md, case 10.
    public var legacyEAPTLSBinding: Bool = false

    /// `[ppp]`
    public var mru: Int = 1400
    /// MS-CHAPv2 attempts per connection before the call is closed.
    public var maxAuthenticationAttempts: Int = 3
    /// Offer IPV6CP (link-local interface identifiers); when off IPV6CP is Protocol-Rejected.
    public var ipv6: Bool = false

    /// `[pool]`: client addresses. The gateway address is excluded from the pool.
    public var poolNetwork: String = "10.77.0.0/24"
    public var gatewayAddress: String = "10.77.0.1"
    /// DNS servers handed out in IPCP (RFC 1877), at most two, and in DHCPINFORM answers.
    public var dnsServers: [String] = []
    /// Prefixes clients route through the tunnel (split tunnel), answered to their DHCPINFORM as classless static
    /// routes (RFC 3442 option 121 and Microsoft's option 249).
    public var routes: [String] = []
    /// DNS domain name (DHCP option 15) for DHCPINFORM answers.
    public var domain: String?

    /// `[daemon]`: the unprivileged user (and group) sstpd switches to once its sockets, TUN device and state
    /// store are open (docs/threat-model.md, "Least privilege"); nil stays root.
    public var runAsUser: String?
    public var runAsGroup: String?

    /// `[tun]`
    public var tunName: String = "sstp%d"
    public var tunMTU: Int = 1400
    /// TUN queues: 1 = one queue read by a dedicated thread that hands bursts to the loops (the default); 0 = one
    /// per event loop, each read by its loop (multi-queue: half the downlink CPU, see docs/architecture.md "TUN
    /// layout" for why it is not the default yet); N = N queues over the loops.
    public var tunQueues: Int = 1
    /// `[tun] offload`: open the TUN with IFF_VNET_HDR and TSO/checksum offload, so TCP arrives as super-packets of up
    /// to 64 KiB that sstpd cuts into MTU-sized segments itself (docs/architecture.md, "TUN offload").
    public var tunOffload: Bool = false

    /// `[state]`: the SQLite state store (users, reservations, leases, accounting; docs/state-store.md).
    public var stateDatabase: String = "/var/lib/sstpd/state.sqlite"
    /// Seconds between accounting flushes (the counters a crash can lose at most).
    public var accountingFlushInterval: Int = 30

    /// `[users] file`: a legacy users file (NAME:NTHASH[:METHODS] lines), imported into the state store at start when
    /// the store has no users yet. nil = none.
    public var usersFile: String?

    /// `[auth]`
    /// Authentication methods in order of preference: "mschapv2", "eap-tls". The first is requested in LCP; the
    /// others are accepted when the client Naks with them.
    public var authMethods: [String] = ["mschapv2"]
    /// Trusted roots for client certificates (EAP-TLS): PEM files, each with one or more certificates (Azure
    /// allows 20 roots). Intermediates that issue client certificates may be listed too.
    public var clientCAFiles: [String] = []
    /// sstpctl's PKI directory: certificates revoked there (by thumbprint) are refused; re-read per connection.
    public var pkiDirectory: String?
    /// CRL files (PEM or DER) from the client CAs: certificates listed are refused. Each must be signed by a
    /// certificate in `clientCAFiles`; re-read per connection.
    public var crlFiles: [String] = []

    /// `[crl]`: serve a CRL over plain HTTP at its distribution point (Windows checks the server certificate's
    /// revocation and fails with 0x80092013 if the CRL cannot be fetched). Off unless `crlListen` is set.
    /// "ADDRESS:PORT", e.g. "0.0.0.0:80".
    public var crlListen: String?
    /// The URL path served, e.g. "/sstpd.crl" (the path of the URL given to `sstpctl cert server --crl-url`).
    public var crlPath: String = "/sstpd.crl"
    /// The CRL file served (PEM or DER; sent as DER). Re-read when it changes. Default: `pki_dir`'s crl.pem.
    public var crlFile: String?

    /// `[limits]`
    /// Maximum concurrent SSTP sessions; unset: the SKU's limit, or 1024 without a SKU.
    public var maxSessions: Int?
    /// A gateway size profile modelled on Azure VPN Gateway SKUs ("Basic", "VpnGw1", "VpnGw2", "VpnGw3"): sets the
    /// session limit (128) and the aggregate throughput all tunnels share, unless overridden.
    public var sku: String?
    /// Aggregate throughput cap in Mbit/s shared by all sessions (both directions counted separately); 0 = none;
    /// unset: the SKU's figure, or none.
    public var aggregateMbps: Int?
    /// Connections that have not reached Call Connected (TLS, HTTP, SSTP negotiation, PPP authentication) held at
    /// once; when reached, the oldest of them is closed to make room for a new one (ConnectionAdmission).
    public var maxUnauthenticated: Int = 256
    /// Such connections one client address may hold; one more is refused at accept. Half the total by default, so
    /// that one address can never take more than half the table, nor make room by evicting the others' handshakes.
    public var maxUnauthenticatedPerAddress: Int = 128

    /// `[vnet]`: a simulated virtual network topology (docs/vnet.md). The gateway takes its P2S pool, DNS, domain
    /// and client routes from it; `sstpctl vnet up` builds the network and sstpd runs in its gateway namespace.
    public var topologyFile: String?

    /// `[lockout]`: repeated authentication failures back off (docs/metrics.md#lockout). Failures within `window`
    /// seconds that lock a user name / a client address; the first lockout in seconds, doubled per further
    /// failure up to `max_duration`; how many keys are tracked per table.
    public var lockoutUserThreshold: Int = 5
    public var lockoutAddressThreshold: Int = 20
    public var lockoutWindow: Int = 900
    public var lockoutDuration: Int = 60
    public var lockoutMaxDuration: Int = 3600
    public var lockoutMaxTracked: Int = 10_000

    /// `[admin]`: the control socket `sstpctl` talks to (JSON lines, docs/control.md); empty or nil = off.
    public var controlSocket: String? = "/run/sstpd/control.sock"
    /// A group whose members may use the control socket (mode 0660); nil = root only (0600).
    public var controlGroup: String?
    /// "ADDRESS:PORT" of the admin HTTP listener serving Prometheus metrics at /metrics; nil = off.
    public var metricsListen: String?

    /// `[log]`: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"

    /// The file this configuration was read from, if any (for status; not a key).
    public var sourceFile: String?

    public init() {}

    /// A configuration error names the key at fault.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Checks values and cross-field rules; returns the parsed pool network and gateway address.
    public func validate() throws(ServerConfiguration.Error) -> (network: IPv4Network, gateway: IPv4Address) {
        // Port 0 asks the kernel for a free port (tests).
        guard (0...65535).contains(listenPort) else { throw Error("listen.port: \(listenPort) is not a TCP port") }
        guard ["1.2", "1.3"].contains(minimumTLSVersion) else { throw Error("tls.min_version: use \"1.2\" or \"1.3\"") }
        guard !hashProtocols.isEmpty, hashProtocols.allSatisfy({ $0 == "sha256" || $0 == "sha1" }) else {
            throw Error("sstp.hash_protocols: a non-empty list of \"sha256\" and \"sha1\"")
        }
        guard (1...300).contains(handshakeTimeout) else { throw Error("sstp.handshake_timeout: 1–300 seconds") }
        guard (5...600).contains(negotiationTimeout) else { throw Error("sstp.negotiation_timeout: 5–600 seconds") }
        guard (5...3600).contains(helloInterval) else { throw Error("sstp.hello_interval: 5–3600 seconds") }
        guard (0...10).contains(maxConnectRequestRetries) else { throw Error("sstp.max_connect_retries: 0–10") }
        guard (576...4091).contains(mru) else { throw Error("ppp.mru: 576–4091") }
        guard (1...10).contains(maxAuthenticationAttempts) else { throw Error("ppp.max_auth_attempts: 1–10") }
        guard let network = IPv4Network(poolNetwork) else { throw Error("pool.network: \(poolNetwork) is not a CIDR") }
        guard network.prefixLength <= 30 else { throw Error("pool.network: a /30 or larger network is needed") }
        guard let gateway = IPv4Address(gatewayAddress) else {
            throw Error("pool.gateway: \(gatewayAddress) is not an IPv4 address")
        }
        guard dnsServers.count <= 2 else { throw Error("pool.dns: at most two servers") }
        for dns in dnsServers where IPv4Address(dns) == nil {
            throw Error("pool.dns: \(dns) is not an IPv4 address")
        }
        for route in routes where IPv4Network(route) == nil {
            throw Error("pool.routes: \(route) is not a CIDR prefix (host bits must be zero)")
        }
        if let domain, domain.isEmpty || domain.utf8.count > 253 || domain.contains(" ") {
            throw Error("pool.domain: not a DNS domain name")
        }
        guard !authMethods.isEmpty, authMethods.allSatisfy({ $0 == "mschapv2" || $0 == "eap-tls" }),
            Set(authMethods).count == authMethods.count
        else {
            throw Error("auth.methods: a list of \"mschapv2\" and \"eap-tls\", each at most once")
        }
        if authMethods.contains("eap-tls") && clientCAFiles.isEmpty {
            throw Error("auth.client_ca: EAP-TLS needs the roots that issue client certificates")
        }
        if !crlFiles.isEmpty && clientCAFiles.isEmpty {
            throw Error("auth.crl: CRLs are checked against auth.client_ca, which is not set")
        }
        if let crlListen {
            guard Self.splitHostPort(crlListen) != nil else { throw Error("crl.listen: use ADDRESS:PORT") }
            guard crlPath.hasPrefix("/"), !crlPath.contains(" ") else { throw Error("crl.path: an absolute URL path") }
            guard effectiveCRLFile != nil else { throw Error("crl.file: which CRL to serve (or set auth.pki_dir)") }
        }
        guard (576...4091).contains(tunMTU) else { throw Error("tun.mtu: 576–4091") }
        guard (0...64).contains(tunQueues) else { throw Error("tun.queues: 0–64 (0 = one per event loop)") }
        guard stateDatabase.hasPrefix("/") || stateDatabase == ":memory:" else {
            throw Error("state.database: an absolute path")
        }
        guard (1...3600).contains(accountingFlushInterval) else { throw Error("state.accounting_flush_interval: 1–3600") }
        guard !tunName.isEmpty, tunName.utf8.count < 16 else { throw Error("tun.name: 1–15 characters") }
        if let maxSessions, !(1...100_000).contains(maxSessions) { throw Error("limits.max_sessions: 1–100000") }
        if let sku, GatewaySKU(name: sku) == nil {
            throw Error("limits.sku: \(sku) is not one of \(GatewaySKU.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let aggregateMbps, !(0...100_000).contains(aggregateMbps) { throw Error("limits.aggregate_mbps: 0–100000") }
        guard (1...100_000).contains(maxUnauthenticated) else { throw Error("limits.max_unauthenticated: 1–100000") }
        guard (1...maxUnauthenticated).contains(maxUnauthenticatedPerAddress) else {
            throw Error("limits.max_unauthenticated_per_address: 1–limits.max_unauthenticated")
        }
        if let controlSocket, !controlSocket.isEmpty, !controlSocket.hasPrefix("/") || controlSocket.utf8.count > 100 {
            throw Error("admin.control_socket: an absolute path of at most 100 bytes")
        }
        guard (1...1000).contains(lockoutUserThreshold) else { throw Error("lockout.user_threshold: 1–1000") }
        guard (1...100_000).contains(lockoutAddressThreshold) else { throw Error("lockout.address_threshold: 1–100000") }
        guard (1...86_400).contains(lockoutWindow) else { throw Error("lockout.window: 1–86400 seconds") }
        guard (1...86_400).contains(lockoutDuration) else { throw Error("lockout.duration: 1–86400 seconds") }
        guard (lockoutDuration...604_800).contains(lockoutMaxDuration) else {
            throw Error("lockout.max_duration: lockout.duration–604800 seconds")
        }
        guard (100...10_000_000).contains(lockoutMaxTracked) else { throw Error("lockout.max_tracked: 100–10000000") }
        if let metricsListen, Self.splitHostPort(metricsListen) == nil {
            throw Error("admin.metrics_listen: use ADDRESS:PORT")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw Error("log.level: \(logLevel) is not a level")
        }
        return (network, gateway)
    }

    /// The lockout policy these keys describe.
    public var lockoutPolicy: AuthenticationLockout.Policy {
        AuthenticationLockout.Policy(
            userThreshold: lockoutUserThreshold, addressThreshold: lockoutAddressThreshold,
            window: .seconds(lockoutWindow), lockoutDuration: .seconds(lockoutDuration),
            maximumLockout: .seconds(lockoutMaxDuration), maximumTrackedKeys: lockoutMaxTracked)
    }

    /// The numeric id of `controlGroup`, or nil when unset.
    public func controlGroupID() throws(ServerConfiguration.Error) -> gid_t? {
        guard let controlGroup else { return nil }
        guard let entry = getgrnam(controlGroup) else { throw Error("admin.control_group: no group \(controlGroup)") }
        return entry.pointee.gr_gid
    }

    /// The CRL file the `[crl]` listener serves: `crl.file`, else `pki_dir`'s crl.pem.
    public var effectiveCRLFile: String? {
        crlFile ?? pkiDirectory.map { $0 + "/crl.pem" }
    }

    /// "host:port" or "[v6]:port" → (host, port).
    public static func splitHostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        return (host, port)
    }

    /// The session limit in force: the explicit value, else the SKU's, else 1024.
    public var effectiveMaxSessions: Int {
        maxSessions ?? sku.flatMap(GatewaySKU.init(name:))?.maximumSSTPConnections ?? 1024
    }

    /// The aggregate cap in bits per second, or nil for none: the explicit value (0 = none), else the SKU's.
    public var effectiveAggregateBitsPerSecond: UInt64? {
        if let aggregateMbps { return aggregateMbps == 0 ? nil : UInt64(aggregateMbps) * 1_000_000 }
        return sku.flatMap(GatewaySKU.init(name:))?.aggregateBitsPerSecond
    }
}
