import DHCPProtocol
import Logging
import NIOCore
import NIOPosix
import SSTPNIO
import TLSEngine

/// A live tunnel: send IP packets in, receive IP packets out, hang up.
public final class TunnelConnection: Sendable {
    public let info: TunnelInfo
    public let channel: any Channel
    /// The client handler, for module code already running on `channel.eventLoop` (the load generator sends from
    /// there without a hop).
    let handler: NIOLoopBound<SSTPClientConnectionHandler>

    init(info: TunnelInfo, channel: any Channel, handler: NIOLoopBound<SSTPClientConnectionHandler>) {
        self.info = info
        self.channel = channel
        self.handler = handler
    }

    /// Sends IPv4 packets through the tunnel (safe from any thread).
    public func send(_ packets: [ByteBuffer]) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.send(packets) }
    }

    /// Sets where packets from the tunnel go; called on the connection's event loop, one batch per socket read.
    public func onPackets(_ body: @escaping @Sendable ([ByteBuffer]) -> Void) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.packetHandler = body }
    }

    /// Asks the server for routes, DNS servers and the DNS domain with a DHCPINFORM (as Windows does); nil if no
    /// answer comes within `timeoutSeconds` (a server need not answer).
    public func requestRoutes(timeoutSeconds: Int = 5) async -> DHCPInformAcknowledgement? {
        let handler = self.handler
        let promise = channel.eventLoop.makePromise(of: DHCPInformAcknowledgement.self)
        channel.eventLoop.execute { handler.value.requestRoutes(promise) }
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(Int64(timeoutSeconds))) {
            promise.fail(DialError(.timeout, "no DHCPACK"))
        }
        defer { timeout.cancel() }
        return try? await promise.futureResult.get()
    }

    /// Sends Call Disconnect and waits (at most ~6 s, the disconnect timers) for the connection to close.
    public func disconnect() async {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.disconnect() }
        try? await channel.closeFuture.get()
    }

    /// Completes when the connection is gone, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// Waits until the connection is gone and returns why it ended as the client saw it (for example
    /// "disconnected by peer" after the server's Call Disconnect), or nil if no reason was recorded.
    public func waitForClose() async -> String? {
        try? await channel.closeFuture.get()
        let handler = self.handler
        return try? await channel.eventLoop.submit { handler.value.closeReason }.get()
    }
}

/// Opens SSTP tunnels.
public enum SSTPDialer {
    /// Connects, authenticates and waits for IPCP and Call Connected (or fails within the configured timeout).
    ///
    /// - Parameters:
    ///   - tlsContext: a client context to share between many dials (the load generator); nil makes one from the
    ///     configuration's CA file.
    ///   - localAddress: the source address to bind (to spread many sessions over loopback addresses).
    ///   - extraHandler: a handler put between TLS and SSTP (the load generator's echo probe).
    public static func connect(
        _ configuration: DialConfiguration, group: any EventLoopGroup, logger: Logger,
        tlsContext: TLSContext? = nil, localAddress: SocketAddress? = nil,
        extraHandler: (@Sendable () -> any ChannelHandler)? = nil
    ) async throws -> TunnelConnection {
        let tlsContext =
            try tlsContext
            ?? TLSContext.client(trustRootsFile: configuration.caFile, verifyPeer: configuration.caFile != nil)
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: TunnelInfo.self)
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(Int64(configuration.timeoutSeconds)))
        if let localAddress { bootstrap = bootstrap.bind(to: localAddress) }
        let channel: any Channel
        do {
            channel = try await bootstrap.channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TLSHandler(context: tlsContext, serverName: configuration.serverName))
                    if let extraHandler { try channel.pipeline.syncOperations.addHandler(extraHandler()) }
                    try channel.pipeline.syncOperations.addHandler(
                        SSTPClientConnectionHandler(configuration: configuration, ready: ready, logger: logger))
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        } catch {
            // The handler never ran (or never saw the channel go inactive): nobody else completes the promise.
            ready.fail(error)
            throw error
        }
        let deadline = eventLoop.scheduleTask(in: .seconds(Int64(configuration.timeoutSeconds))) {
            ready.fail(DialError(.timeout, "no tunnel within \(configuration.timeoutSeconds) s"))
            channel.close(promise: nil)
        }
        do {
            let info = try await ready.futureResult.get()
            deadline.cancel()
            let handler = try await eventLoop.submit {
                // The server may hang up right after the tunnel came up: the handlers are gone with the channel.
                guard let handler = try? channel.pipeline.syncOperations.handler(type: SSTPClientConnectionHandler.self)
                else { throw DialError(.connectionClosed, "the connection closed as the tunnel came up") }
                return NIOLoopBound(handler, eventLoop: eventLoop)
            }.get()
            return TunnelConnection(info: info, channel: channel, handler: handler)
        } catch {
            deadline.cancel()
            try? await channel.close()
            throw error
        }
    }
}
