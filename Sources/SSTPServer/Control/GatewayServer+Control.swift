import AddressPool
import Foundation
import GatewayStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import TLSEngine

/// The control socket's operations on a running gateway.
extension GatewayServer {
    /// The version `sstpctl status` reports.
    public static let version = "0.6.0"

    public func handleControl(_ request: ControlRequest) -> ControlResponse {
        switch request.op {
        case .status:
            return ControlResponse(status: statusReport())
        case .sessions:
            return ControlResponse(sessions: state.sessions().map(Self.report))
        case .disconnect:
            if let id = request.id {
                guard state.disconnect(sessionID: id) else {
                    return .failure(.unknownSession, "no session \(id)")
                }
                logger.notice("session disconnected by the operator", metadata: ["session": "\(id)"])
                return ControlResponse(disconnected: 1)
            }
            guard let user = request.user else { return .failure(.badRequest, "disconnect needs id or user") }
            let count = state.disconnect(user: user)
            logger.notice("user disconnected by the operator", metadata: ["user": "\(user)", "sessions": "\(count)"])
            guard count > 0 else { return .failure(.unknownUser, "no session of user \(user)") }
            return ControlResponse(disconnected: count)
        case .pool:
            let gateway = settings.gateway
            return ControlResponse(pool: state.poolReport(gateway: gateway))
        case .reload:
            do {
                return ControlResponse(reload: try reload())
            } catch {
                logger.error("reload refused; the running configuration stays", metadata: ["error": "\(error)"])
                return .failure(.reloadFailed, "\(error)")
            }
        }
    }

    static func report(_ info: SessionInfo) -> SessionReport {
        SessionReport(
            id: info.id, user: info.user, address: info.address.map { "\($0)" }, peer: info.peer, method: info.method,
            cryptoBinding: info.cryptoBinding, phase: info.phase, since: info.since,
            bytesIn: info.counters.bytesIn.load(ordering: .relaxed),
            bytesOut: info.counters.bytesOut.load(ordering: .relaxed),
            packetsIn: info.counters.packetsIn.load(ordering: .relaxed),
            packetsOut: info.counters.packetsOut.load(ordering: .relaxed))
    }

    func statusReport() -> GatewayStatusReport {
        let configuration = self.configuration
        let pool = state.poolUsage()
        let loadedAt = reloadableLoadedAt
        return GatewayStatusReport(
            version: Self.version, pid: getpid(), startedAt: startedAt,
            listen: listenAddress.flatMap { address in address.ipAddress.map { "\($0):\(address.port ?? 0)" } }
                ?? "\(configuration.listenAddress):\(configuration.listenPort)",
            sessions: state.sessions().count, maxSessions: configuration.effectiveMaxSessions, poolSize: pool.size,
            poolUsed: pool.used, authMethods: configuration.authMethods,
            counters: [
                "framing_errors": counters.framingErrors.load(ordering: .relaxed),
                "invalid_messages": counters.invalidMessages.load(ordering: .relaxed),
                "authentication_failures": counters.authenticationFailures.load(ordering: .relaxed),
                "pool_exhausted": counters.poolExhausted.load(ordering: .relaxed),
                "spoofed_dropped": counters.spoofedDropped.load(ordering: .relaxed),
                "handshake_timeouts": counters.handshakeTimeouts.load(ordering: .relaxed),
                "session_limit_refusals": counters.sessionLimitRefusals.load(ordering: .relaxed),
                "call_aborts": counters.callAborts.load(ordering: .relaxed),
                "downlink_queue_dropped": counters.downlinkQueueDropped.load(ordering: .relaxed)
                    + router.droppedBacklog.load(ordering: .relaxed),
                "no_session_dropped": router.droppedNoRoute.load(ordering: .relaxed),
                "unauthenticated_refused": counters.unauthenticatedPerAddressRefusals.load(ordering: .relaxed),
                "unauthenticated_evicted": counters.unauthenticatedEvictions.load(ordering: .relaxed),
                "echo_responses_dropped": counters.echoResponsesDropped.load(ordering: .relaxed),
                "state_write_failures": recorder?.failures.withLockedValue { $0 } ?? 0,
            ],
            lockouts: lockoutReport(), configurationFile: configurationFile, loadedAt: loadedAt,
            memory: ProcessMemory.current())
    }

    /// Re-reads the configuration (if the gateway has a source for it), users and certificates, and applies what
    /// can change without dropping sessions. A configuration that does not validate, or whose certificate, key or
    /// client roots do not load, is refused as a whole and the running one stays.
    public func reload() throws -> ReloadReport {
        let old = configuration
        let new = try reloadSource?() ?? old
        let (_, gateway) = try new.validate()
        // Everything that can fail is done before anything is applied.
        let tls = try TLSContext.server(
            certificateChainFile: new.certificateChainFile, privateKeyFile: new.privateKeyFile,
            minimumVersion: new.minimumTLSVersion == "1.3" ? .tls13 : .tls12)
        let settings = try SessionSettings(configuration: new, gateway: gateway, tlsContext: tls)
        if !new.clientCAFiles.isEmpty {
            _ = try CertificateRevocationList(issuersFiles: new.clientCAFiles, crlFiles: new.crlFiles)
        }
        let users = try usersSource?()
        let reservations = try store?.poolReservations()
        var applied = Self.changedKeys(old, new, among: Self.reloadableKeys)
        applied.append("tls.certificate (reloaded)")
        let restartRequired = Self.changedKeys(old, new, among: Self.restartKeys)
        if let reservations {
            try state.replaceReservations(reservations)
            applied.append("reservations")
        }
        if let users {
            state.replaceUsers(users)
            applied.append("users")
        }
        updateReloadable(configuration: new, settings: settings, tlsContext: tls)
        logger.notice(
            "configuration reloaded",
            metadata: [
                "applied": "\(applied.joined(separator: ","))",
                "restart-required": "\(restartRequired.joined(separator: ","))",
            ])
        return ReloadReport(applied: applied, restartRequired: restartRequired)
    }

    /// Keys a reload applies to new connections.
    static let reloadableKeys: [(String, @Sendable (ServerConfiguration) -> String)] = [
        ("tls.min_version", { $0.minimumTLSVersion }),
        ("sstp.hash_protocols", { "\($0.hashProtocols)" }),
        ("sstp.handshake_timeout", { "\($0.handshakeTimeout)" }),
        ("sstp.negotiation_timeout", { "\($0.negotiationTimeout)" }),
        ("sstp.hello_interval", { "\($0.helloInterval)" }),
        ("sstp.max_connect_retries", { "\($0.maxConnectRequestRetries)" }),
        ("sstp.legacy_eap_tls_binding", { "\($0.legacyEAPTLSBinding)" }),
        ("ppp.mru", { "\($0.mru)" }),
        ("ppp.max_auth_attempts", { "\($0.maxAuthenticationAttempts)" }),
        ("ppp.ipv6", { "\($0.ipv6)" }),
        ("pool.dns", { "\($0.dnsServers)" }),
        ("pool.routes", { "\($0.routes)" }),
        ("pool.domain", { "\($0.domain ?? "")" }),
        ("auth.methods", { "\($0.authMethods)" }),
        ("auth.client_ca", { "\($0.clientCAFiles)" }),
        ("auth.pki_dir", { $0.pkiDirectory ?? "" }),
        ("auth.crl", { "\($0.crlFiles)" }),
        ("limits.max_sessions", { "\($0.effectiveMaxSessions)" }),
        ("limits.max_unauthenticated", { "\($0.maxUnauthenticated)" }),
        ("limits.max_unauthenticated_per_address", { "\($0.maxUnauthenticatedPerAddress)" }),
    ]

    /// Keys that only take effect after a restart.
    static let restartKeys: [(String, @Sendable (ServerConfiguration) -> String)] = [
        ("listen.address", { $0.listenAddress }),
        ("listen.port", { "\($0.listenPort)" }),
        ("pool.network", { $0.poolNetwork }),
        ("pool.gateway", { $0.gatewayAddress }),
        ("tun.name", { $0.tunName }),
        ("tun.mtu", { "\($0.tunMTU)" }),
        ("tun.queues", { "\($0.tunQueues)" }),
        ("tun.offload", { "\($0.tunOffload)" }),
        ("limits.aggregate_mbps", { "\($0.effectiveAggregateBitsPerSecond ?? 0)" }),
        ("crl.listen", { $0.crlListen ?? "" }),
        ("crl.path", { $0.crlPath }),
        ("crl.file", { $0.crlFile ?? "" }),
        ("admin.control_socket", { $0.controlSocket ?? "" }),
        ("admin.control_group", { $0.controlGroup ?? "" }),
        ("daemon.user", { $0.runAsUser ?? "" }),
        ("daemon.group", { $0.runAsGroup ?? "" }),
        ("admin.metrics_listen", { $0.metricsListen ?? "" }),
        ("vnet.topology", { $0.topologyFile ?? "" }),
        ("log.level", { $0.logLevel }),
    ]

    static func changedKeys(
        _ old: ServerConfiguration, _ new: ServerConfiguration,
        among keys: [(String, @Sendable (ServerConfiguration) -> String)]
    ) -> [String] {
        keys.filter { $0.1(old) != $0.1(new) }.map(\.0)
    }
}
