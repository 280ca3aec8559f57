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
    public let configuration: ServerConfiguration
    public let state: GatewayState
    public let router: SessionRouter
    public let counters = GatewayCounters()
    /// The shared throughput cap, if one is configured (directly or by SKU).
    public let limiter: AggregateLimiter?
    let settings: SessionSettings
    let tlsContext: TLSContext
    let device: any PacketDevice
    let group: any EventLoopGroup
    let logger: Logger
    private let channelBox = NIOLockedValueBoxChannel()
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
        group: any EventLoopGroup,
        logger: Logger
    ) throws {
        let (network, gateway) = try configuration.validate()
        let pool = try AddressPool(network: network, excluding: [gateway])
        self.configuration = configuration
        self.state = GatewayState(pool: pool, users: users)
        self.router = SessionRouter()
        self.tlsContext = tlsContext
        self.device = device
        self.group = group
        self.logger = logger
        self.settings = try SessionSettings(configuration: configuration, gateway: gateway, tlsContext: tlsContext)
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

    /// Binds the listener and starts the device. Returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let router = self.router
        try device.start { batch in router.route(batch) }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: self.tlsContext))
                    try channel.pipeline.syncOperations.addHandler(
                        SSTPServerConnectionHandler(gateway: self, peer: channel.remoteAddress))
                }
            }
        if let crlServer {
            let address = try await crlServer.start()
            crlAddressBox.withLockedValue { $0 = address }
        }
        let channel = try await bootstrap.bind(host: configuration.listenAddress, port: configuration.listenPort).get()
        channelBox.set(channel)
        guard let address = channel.localAddress else { throw ServerConfiguration.Error("listener has no address") }
        logger.notice("listening", metadata: ["address": "\(address)"])
        return address
    }

    /// Stops accepting, sends Call Disconnect to every session (MS-SSTP §3.1.1.1) and waits until they are gone or
    /// `gracePeriod` seconds passed, then closes the device.
    public func shutdown(gracePeriod: Int64 = 4) async {
        if let listener = channelBox.take() {
            try? await listener.close()
        }
        await crlServer?.close()
        let count = state.disconnectAll()
        logger.notice(
            "shutting down",
            metadata: [
                "sessions": "\(count)",
                "framing-errors": "\(counters.framingErrors.load(ordering: .relaxed))",
                "auth-failures": "\(counters.authenticationFailures.load(ordering: .relaxed))",
                "spoofed-dropped": "\(counters.spoofedDropped.load(ordering: .relaxed))",
                "session-limit-refusals": "\(counters.sessionLimitRefusals.load(ordering: .relaxed))",
                "cap-dropped-up": "\(limiter?.droppedUplink.load(ordering: .relaxed) ?? 0)",
                "cap-dropped-down": "\(limiter?.droppedDownlink.load(ordering: .relaxed) ?? 0)",
            ])
        if !(await state.waitUntilNoSessions(timeout: .seconds(gracePeriod))) {
            logger.warning("sessions still open after the grace period", metadata: ["sessions": "\(state.sessions().count)"])
        }
        device.close()
    }
}

/// The listener channel, set once on start and taken on shutdown.
final class NIOLockedValueBoxChannel: Sendable {
    private let box = NIOLockedValueBox<(any Channel)?>(nil)
    func set(_ channel: any Channel) { box.withLockedValue { $0 = channel } }
    func take() -> (any Channel)? { box.withLockedValue { let c = $0; $0 = nil; return c } }
}
