import AddressPool
import Foundation
import IPPackets
import NIOCore
import NIOEmbedded
import NIOPosix
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// Network → client traffic faster than a client takes it is dropped and counted, never queued without bound: at
/// the hand-off from the TUN reader to a session's event loop, and at the session's connection.
@Suite("Downlink back-pressure")
struct BackPressureTests {
    /// An IPv4 header (20 bytes, no payload needed by the router) to `destination`.
    static func packet(to destination: IPv4Address) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeBytes([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 78, 0, 2])
        buffer.writeInteger(destination.value)
        return buffer
    }

    @Test("the router hands a session at most maximumPendingPackets at a time; the rest is dropped and counted")
    func routerBacklogIsBounded() throws {
        let loop = EmbeddedEventLoop()
        let metrics = GatewayMetrics()
        let router = SessionRouter(metrics: metrics)
        let address = try #require(IPv4Address("10.77.0.2"))
        let delivered = Mutex(0)
        router.register(
            address: address.value,
            endpoint: SessionEndpoint(sessionID: 1, eventLoop: loop) { packets in delivered.withLock { $0 += packets.count } })
        let limit = SessionRouter.maximumPendingPackets
        #expect(limit == 512)
        let half = limit / 2
        let batch = [ByteBuffer](repeating: Self.packet(to: address), count: half)

        // The loop does not run: two half batches fill the backlog exactly, the third would not fit and is dropped.
        router.route(batch)
        router.route(batch)
        router.route(batch)
        #expect(router.droppedBacklog.load(ordering: .relaxed) == half)
        #expect(delivered.withLock { $0 } == 0)
        loop.run()
        #expect(delivered.withLock { $0 } == limit)
        // Delivered: the backlog is empty again and the next batch goes through.
        router.route(batch)
        loop.run()
        #expect(delivered.withLock { $0 } == limit + half)
        #expect(router.droppedBacklog.load(ordering: .relaxed) == half)

        // A packet for an address no session holds: counted as no_session; the backlog drops as cap.
        router.route([Self.packet(to: try #require(IPv4Address("10.77.0.99")))])
        #expect(router.droppedNoRoute.load(ordering: .relaxed) == 1)
        let text = metrics.exposition()
        #expect(text.contains(#"sstpd_tun_dropped_packets_total{reason="no_session"} 1"#), "\(text)")
        #expect(text.contains(#"sstpd_tun_dropped_packets_total{reason="cap"} \#(half)"#), "\(text)")
        try loop.syncShutdownGracefully()
    }

    @Test("a client that stops reading: its downlink is dropped at the connection queue, counted, and it recovers")
    func stalledClientDropsInsteadOfQueueing() async throws {
        let gateway = try await InProcessGateway.start()
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        // The client stops reading its socket: replies pile up in the kernel's buffers, then in sstpd's queue.
        try await tunnel.channel.setOption(.autoRead, value: false)
        let payload = ByteBuffer(repeating: 0xA5, count: 1372)  // 1400-byte IPv4 packets
        let counters = gateway.server.counters
        var sent = 0
        // Each echo request is answered by the simulated host with a 1400-byte reply to the stalled client. Loopback
        // buffers hold a few MiB, so a few thousand replies fill them; 40,000 (56 MB) bounds the test.
        while counters.downlinkQueueDropped.load(ordering: .relaxed) == 0 && sent < 40_000 {
            let requests = (0..<200).map { index in
                ICMPEcho(kind: .echoRequest, identifier: 7, sequenceNumber: UInt16(truncatingIfNeeded: sent + index), payload: payload)
                    .makeIPv4Packet(source: tunnel.info.address.value, destination: Fixtures.hostAddress.value)
            }
            // Send and wait until the client's event loop has written them (a round trip on that loop).
            tunnel.send(requests)
            try await tunnel.channel.eventLoop.submit {}.get()
            sent += requests.count
            // Let sstpd's loops take what was sent: a no-op task runs after the work queued before it.
            for loop in gateway.group.makeIterator() { try await loop.submit {}.get() }
        }
        let dropped = counters.downlinkQueueDropped.load(ordering: .relaxed)
        #expect(dropped > 0, "no downlink drop after \(sent) replies to a client that does not read")
        #expect(gateway.server.state.sessions().count == 1, "the session stays up")
        let info = try #require(gateway.server.state.sessions().first)
        #expect(info.counters.queueDropped.load(ordering: .relaxed) >= dropped, "replies still in flight may add drops")

        // Reading again: everything queued drains (old replies first) and a new ping gets its answer.
        let replies = Mailbox<UInt16>()
        tunnel.onPackets { packets in
            for packet in packets {
                if let (_, echo) = try? ICMPEcho.parseIPv4(packet), echo.kind == .echoReply { replies.put(echo.sequenceNumber) }
            }
        }
        try await tunnel.channel.setOption(.autoRead, value: true)
        tunnel.channel.read()
        // A marker ping, sent again every 2 s until its answer comes: while the old replies drain, the queue may
        // still be full when the first marker's reply reaches it, and dropping that reply is the behaviour under test.
        let marker: UInt16 = 60_000
        var answered = false
        let deadline = ContinuousClock.now + .seconds(60)
        resend: while !answered && ContinuousClock.now < deadline {
            tunnel.send([
                ICMPEcho(kind: .echoRequest, identifier: 7, sequenceNumber: marker, payload: ByteBuffer(bytes: [1]))
                    .makeIPv4Packet(source: tunnel.info.address.value, destination: Fixtures.hostAddress.value)
            ])
            while let sequence = await replies.next(within: 2) {
                if sequence == marker {
                    answered = true
                    continue resend
                }
            }
        }
        #expect(answered, "the session works again once the client reads")
        await tunnel.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()
    }
}
