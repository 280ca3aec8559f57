import Foundation
import GatewayPolicy
import GatewayStore
import AddressPool
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSEngine
import SSTPNIO
import Synchronization

/// The SSTP gateway: an HTTPS listener whose connections each run one SSTP session (MS-SSTP server role) with PPP
/// inside, plus the shared state (pool, users, sessions) and the router between sessions and the packet device.
public final class GatewayServer: Sendable {
    /// What can change on reload (`sstpctl reload`, SIGHUP): the configuration in force, the settings new
    /// connections start with, and the listener's TLS context (a renewed certificate). Live sessions keep theirs.
    struct Reloadable {
        var configuration: ServerConfiguration
        var settings: SessionSettings
        var tlsContext: TLSContext
        var loadedAt: Double
    }

    private let reloadable: NIOLockedValueBox<Reloadable>
    /// The configuration in force.
    public var configuration: ServerConfiguration { reloadable.withLockedValue { $0.configuration } }
    public let state: GatewayState
    public let router: SessionRouter
    public let counters = GatewayCounters()
    /// The shared throughput cap, if one is configured (directly or by SKU).
    public let limiter: AggregateLimiter?
    /// The settings a new connection starts with.
    var settings: SessionSettings { reloadable.withLockedValue { $0.settings } }
    var tlsContext: TLSContext { reloadable.withLockedValue { $0.tlsContext } }
    let device: any PacketDevice
    let group: any EventLoopGroup
    let logger: Logger
    private let channelBox = NIOLockedValueBoxChannel()
    /// When the gateway was created (seconds since 1970 UTC).
    public let startedAt = Date().timeIntervalSince1970
    /// Re-reads the configuration for a reload (the daemon: the file plus the same flags); nil = the configuration in
    /// force is re-applied (users, reservations and certificates are still re-read).
    let reloadSource: (@Sendable () throws -> ServerConfiguration)?
    /// Re-reads users for a reload; nil keeps the users in force.
    let usersSource: (@Sendable () throws -> UserDatabase)?
    /// Authentication failures per user name and client address, with back-off (`[lockout]`).
    let lockout: NIOLockedValueBox<AuthenticationLockout>
    /// Prometheus metrics (served by the admin listener when `[admin] metrics_listen` is set).
    public let metrics = GatewayMetrics()
    private let adminServer = NIOLockedValueBox<AdminHTTPServer?>(nil)
    private let metricsAddressBox = NIOLockedValueBox<SocketAddress?>(nil)
    /// Where the metrics listener is bound (after `start()`), if it runs.
    public var metricsListenerAddress: SocketAddress? { metricsAddressBox.withLockedValue { $0 } }
    /// Leases and accounting go to the state store through this, when there is one.
    let recorder: StateRecorder?
    /// The state store, when there is one.
    public var store: GatewayStore? { recorder?.store }
    private let flushTask = NIOLockedValueBox<RepeatedTask?>(nil)
    /// The control socket, when `[admin] control_socket` is set.
    let controlServer = NIOLockedValueBox<ControlServer?>(nil)
    private let listenAddressBox = NIOLockedValueBox<SocketAddress?>(nil)
    /// Where the SSTP listener is bound (after `start()`).
    public var listenAddress: SocketAddress? { listenAddressBox.withLockedValue { $0 } }
    /// The CRL distribution point listener, when `[crl] listen` is set.
    public let crlServer: CRLDistributionServer?
    private let crlAddressBox = NIOLockedValueBox<SocketAddress?>(nil)
    /// Where the CRL listener is bound (after `start()`), if it runs.
    public var crlListenerAddress: SocketAddress? { crlAddressBox.withLockedValue { $0 } }

    /// - Parameters:
    ///   - configuration: a configuration that passed `validate()`.
    ///   - tlsContext: the server TLS context; its leaf certificate hashes feed the crypto binding.
    ///   - device: where client packets go (a TUN device in production).
    public init(
        configuration: ServerConfiguration,
        tlsContext: TLSContext,
        device: any PacketDevice,
        users: UserDatabase,
        reservations: [String: IPv4Address] = [:],
        group: any EventLoopGroup,
        logger: Logger,
        reloadSource: (@Sendable () throws -> ServerConfiguration)? = nil,
        usersSource: (@Sendable () throws -> UserDatabase)? = nil,
        store: GatewayStore? = nil
    ) throws {
        self.recorder = store.map { StateRecorder(store: $0, logger: logger) }
        self.lockout = NIOLockedValueBox(AuthenticationLockout(policy: configuration.lockoutPolicy))
        let (network, gateway) = try configuration.validate()
        let pool = try AddressPool(network: network, excluding: [gateway], reservations: reservations)
        self.state = GatewayState(pool: pool, users: users)
        self.router = SessionRouter(metrics: metrics)
        self.device = device
        self.group = group
        self.logger = logger
        self.reloadSource = reloadSource
        self.usersSource = usersSource
        self.reloadable = NIOLockedValueBox(
            Reloadable(
                configuration: configuration,
                settings: try SessionSettings(configuration: configuration, gateway: gateway, tlsContext: tlsContext),
                tlsContext: tlsContext, loadedAt: Date().timeIntervalSince1970))
        self.limiter = configuration.effectiveAggregateBitsPerSecond.map { AggregateLimiter(bitsPerSecond: $0) }
        if let listen = configuration.crlListen, let (host, port) = ServerConfiguration.splitHostPort(listen),
            let file = configuration.effectiveCRLFile
        {
            self.crlServer = CRLDistributionServer(
                host: host, port: port, path: configuration.crlPath, file: file, group: group, logger: logger)
        } else {
            self.crlServer = nil
        }
    }

    /// Ciphertext a session may have queued in sstpd (beyond the kernel's socket buffer) before downlink packets for
    /// it are dropped, and the level at which it is writable again. A router drops when its output queue is full;
    /// without this a client slower than the network behind the gateway made sstpd's memory grow without bound.
    static let downlinkQueueHighBytes = 256 * 1024
    static let downlinkQueueLowBytes = 128 * 1024

    /// Binds the listener and starts the device. Returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let router = self.router
        try await device.start(eventLoops: Array(group.makeIterator())) { batch, onEventLoop in
            router.route(batch, onEventLoop: onEventLoop)
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // One socket read per connection per loop iteration (NIO's default is 4): a loop shares its time between
            // its sessions and its TUN queue, and four 64 KiB reads from each of 16 busy sessions kept a loop away from
            // its queue long enough to overflow it (docs/architecture.md, "TUN layout").
            .childChannelOption(.maxMessagesPerRead, value: 1)
            // The queue a session may build in sstpd when its client cannot keep up: above the high mark the
            // channel is not writable and downlink batches are dropped (SSTPServerConnectionHandler.sendToClient).
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: Self.downlinkQueueLowBytes, high: Self.downlinkQueueHighBytes))
            .childChannelInitializer { [self, admission = ConnectionAdmission()] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Caps on connections not yet call connected, per address and in all (ConnectionAdmission).
                    guard let ticket = admission.admit(channel, gateway: self) else {
                        try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
                        return
                    }
                    channel.closeFuture.whenComplete { _ in ticket.release() }
                    // The context in force now: a reload with a renewed certificate applies to new connections.
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: self.tlsContext))
                    let handler = SSTPServerConnectionHandler(gateway: self, peer: channel.remoteAddress)
                    handler.admissionTicket = ticket
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        if let crlServer {
            let address = try await crlServer.start()
            crlAddressBox.withLockedValue { $0 = address }
        }
        let configuration = self.configuration
        if let recorder {
            let interval = TimeAmount.seconds(Int64(configuration.accountingFlushInterval))
            let state = self.state
            let task = group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                recorder.flush(state.sessions())
            }
            flushTask.withLockedValue { $0 = task }
        }
        if let listen = configuration.metricsListen, let (host, port) = ServerConfiguration.splitHostPort(listen) {
            let metrics = self.metrics
            let state = self.state
            let admin = AdminHTTPServer(host: host, port: port, group: group, logger: logger) {
                let pool = state.poolUsage()
                metrics.poolUsage(used: pool.used, free: pool.free)
                metrics.memory(ProcessMemory.current())
                return metrics.exposition()
            }
            let address = try await admin.start()
            adminServer.withLockedValue { $0 = admin }
            metricsAddressBox.withLockedValue { $0 = address }
        }
        if let path = configuration.controlSocket, !path.isEmpty {
            let control = ControlServer(path: path, group: group, logger: logger) { [self] request in
                self.handleControl(request)
            }
            try await control.start(adminGroup: try configuration.controlGroupID())
            controlServer.withLockedValue { $0 = control }
        }
        let channel = try await bootstrap.bind(host: configuration.listenAddress, port: configuration.listenPort).get()
        channelBox.set(channel)
        guard let address = channel.localAddress else { throw ServerConfiguration.Error("listener has no address") }
        listenAddressBox.withLockedValue { $0 = address }
        logger.notice("listening", metadata: ["address": "\(address)"])
        return address
    }

    var reloadableLoadedAt: Double { reloadable.withLockedValue { $0.loadedAt } }

    /// The configuration file the daemon was started with, for status.
    public var configurationFile: String? { configuration.sourceFile }

    func updateReloadable(configuration: ServerConfiguration, settings: SessionSettings, tlsContext: TLSContext) {
        reloadable.withLockedValue {
            $0 = Reloadable(
                configuration: configuration, settings: settings, tlsContext: tlsContext,
                loadedAt: Date().timeIntervalSince1970)
        }
    }

    /// Stops accepting, sends Call Disconnect to every session (MS-SSTP §3.1.1.1) and waits until they are gone or
    /// `gracePeriod` seconds passed, then closes the device.
    public func shutdown(gracePeriod: Int64 = 4) async {
        if let listener = channelBox.take() {
            try? await listener.close()
        }
        await crlServer?.close()
        await controlServer.withLockedValue { $0 }?.close()
        await adminServer.withLockedValue { $0 }?.close()
        let count = state.disconnectAll()
        logger.notice(
            "shutting down",
            metadata: [
                "sessions": "\(count)",
                "framing-errors": "\(counters.framingErrors.load(ordering: .relaxed))",
                "auth-failures": "\(counters.authenticationFailures.load(ordering: .relaxed))",
                "spoofed-dropped": "\(counters.spoofedDropped.load(ordering: .relaxed))",
                "session-limit-refusals": "\(counters.sessionLimitRefusals.load(ordering: .relaxed))",
                "call-aborts": "\(counters.callAborts.load(ordering: .relaxed))",
                "downlink-queue-dropped": "\(counters.downlinkQueueDropped.load(ordering: .relaxed))",
                "cap-dropped-up": "\(limiter?.droppedUplink.load(ordering: .relaxed) ?? 0)",
                "cap-dropped-down": "\(limiter?.droppedDownlink.load(ordering: .relaxed) ?? 0)",
            ])
        if !(await state.waitUntilNoSessions(timeout: .seconds(gracePeriod))) {
            logger.warning("sessions still open after the grace period", metadata: ["sessions": "\(state.sessions().count)"])
        }
        flushTask.withLockedValue { $0 }?.cancel()
        // Every session's accounting stop and lease release is queued by now: wait for the disk.
        recorder?.drain()
        device.close()
    }
}

/// The listener channel, set once on start and taken on shutdown.
final class NIOLockedValueBoxChannel: Sendable {
    private let box = NIOLockedValueBox<(any Channel)?>(nil)
    func set(_ channel: any Channel) { box.withLockedValue { $0 = channel } }
    func take() -> (any Channel)? { box.withLockedValue { let c = $0; $0 = nil; return c } }
}
