import AddressPool
import Foundation
import IPPackets
import NIOCore
import NIOPosix
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// sstp-dial's client library against sstpd's server library over real loopback TLS, with an in-memory host
/// behind the gateway (the system tests use a real TUN and namespaces).
@Suite("In-process gateway over loopback TLS")
struct InProcessGatewayTests {
    @Test("connect, authenticate with MS-CHAPv2, get an address and DNS, ping through the tunnel, release the lease")
    func connectAndPing() async throws {
        let gateway = try await InProcessGateway.start()
        let report = await CheckMode.check(
            configuration: gateway.dialConfiguration(), pingTargets: [Fixtures.hostAddress.description], count: 3,
            logger: quietLogger, group: gateway.group, output: { _ in })
        #expect(report.error == nil)
        #expect(report.sent == 3)
        #expect(report.received == 3)
        let info = try #require(report.info)
        #expect(IPv4Network("10.77.0.0/24")!.contains(info.address))
        #expect(info.address != IPv4Address(10, 77, 0, 1))
        #expect(info.serverAddress == IPv4Address(10, 77, 0, 1))
        #expect(info.dnsServers == [IPv4Address(10, 78, 0, 2), IPv4Address(10, 78, 0, 3)])
        #expect(info.cryptoBinding == "SHA-256")
        // Three echo requests reached the device, three replies came back.
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 3)
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        #expect(gateway.server.router.count == 0)
        try await gateway.stop()
    }

    @Test("with IPv6 on, IPV6CP completes and the gateway answers pings to its link-local address")
    func ipv6LinkLocal() async throws {
        let gateway = try await InProcessGateway.start { $0.ipv6 = true }
        var configuration = gateway.dialConfiguration()
        configuration.ipv6 = true
        let report = await CheckMode.check(
            configuration: configuration, pingTargets: [], count: 2, logger: quietLogger, group: gateway.group,
            output: { _ in })
        #expect(report.error == nil)
        #expect(report.sent == 2)
        #expect(report.received == 2)
        let info = try #require(report.info)
        #expect(info.localInterfaceIdentifier != nil)
        #expect(info.serverInterfaceIdentifier != nil)
        #expect(info.localInterfaceIdentifier != info.serverInterfaceIdentifier)
        // Nothing IPv6 reached the IPv4 device.
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 0)
        try await gateway.stop()
    }

    @Test("with IPv6 off, a client's IPV6CP is Protocol-Rejected and IPv4 still comes up")
    func ipv6Off() async throws {
        let gateway = try await InProcessGateway.start()
        var configuration = gateway.dialConfiguration()
        configuration.ipv6 = true
        let tunnel = try await SSTPDialer.connect(configuration, group: gateway.group, logger: quietLogger)
        #expect(tunnel.info.serverInterfaceIdentifier == nil)
        #expect(await ping(through: tunnel))
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("the crypto binding uses SHA-1 when the server offers only SHA-1")
    func sha1Binding() async throws {
        let gateway = try await InProcessGateway.start { $0.hashProtocols = ["sha1"] }
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(tunnel.info.cryptoBinding == "SHA-1")
        let sessions = gateway.server.state.sessions()
        #expect(sessions.count == 1)
        #expect(sessions.first?.cryptoBinding == "SHA-1")
        #expect(sessions.first?.user == "alice")
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("a wrong password fails with E=691, leases nothing, and the gateway keeps serving")
    func wrongPassword() async throws {
        let gateway = try await InProcessGateway.start()
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(password: "wrong"), group: gateway.group, logger: quietLogger)
        }
        do {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(user: "nobody", password: "x"), group: gateway.group, logger: quietLogger)
            Issue.record("an unknown user connected")
        } catch let error as DialError {
            #expect(error.code == .authenticationFailed)
            #expect(error.detail.contains("691"))
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.counters.authenticationFailures.load(ordering: .relaxed) == 2)
        #expect(gateway.server.state.poolUsage().used == 0)
        // The daemon still serves a correct client.
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("when the attempt limit is reached the server ends the call itself: CHAP Failure, LCP down, Call Disconnect")
    func attemptLimitReached() async throws {
        let gateway = try await InProcessGateway.start { $0.maxAuthenticationAttempts = 1 }
        do {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(password: "wrong"), group: gateway.group, logger: quietLogger)
            Issue.record("a wrong password connected")
        } catch let error as DialError {
            #expect(error.code == .authenticationFailed)
            // The last allowed attempt says "no retry" (RFC 2759 §6: R=0).
            #expect(error.detail.contains("691"))
            #expect(error.detail.contains("retryAllowed: false"))
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.counters.authenticationFailures.load(ordering: .relaxed) == 1)
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }

    @Test("50 concurrent sessions get 50 distinct addresses and release all of them")
    func fiftyConcurrentSessions() async throws {
        let gateway = try await InProcessGateway.start()
        let configuration = gateway.dialConfiguration()
        let tunnels = try await withThrowingTaskGroup(of: TunnelConnection.self) { group in
            for _ in 0..<50 {
                group.addTask { try await SSTPDialer.connect(configuration, group: gateway.group, logger: quietLogger) }
            }
            var all: [TunnelConnection] = []
            for try await tunnel in group { all.append(tunnel) }
            return all
        }
        #expect(tunnels.count == 50)
        #expect(Set(tunnels.map(\.info.address)).count == 50)
        #expect(gateway.server.state.poolUsage().used == 50)
        #expect(gateway.server.router.count == 50)
        await withTaskGroup(of: Void.self) { group in
            for tunnel in tunnels { group.addTask { await tunnel.disconnect() } }
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(15)))
        #expect(gateway.server.state.poolUsage().used == 0)
        #expect(gateway.server.router.count == 0)
        try await gateway.stop()
    }

    @Test("an exhausted pool refuses the next client cleanly; the connected one keeps working")
    func poolExhaustion() async throws {
        // A /30 has two host addresses; the gateway takes one, so one client fits.
        let gateway = try await InProcessGateway.start { $0.poolNetwork = "10.77.0.0/30" }
        let alice = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(alice.info.address == IPv4Address(10, 77, 0, 2))
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group,
                logger: quietLogger)
        }
        #expect(gateway.server.counters.poolExhausted.load(ordering: .relaxed) == 1)
        #expect(await ping(through: alice))
        #expect(gateway.server.state.poolUsage().used == 1)
        await alice.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }

    @Test("the same user gets the same address back on reconnect")
    func stickyAddress() async throws {
        let gateway = try await InProcessGateway.start()
        let first = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let address = first.info.address
        await first.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        let other = try await SSTPDialer.connect(
            gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group, logger: quietLogger)
        let second = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(second.info.address == address)
        #expect(other.info.address != address)
        await second.disconnect()
        await other.disconnect()
        try await gateway.stop()
    }

    @Test("a packet with a spoofed source address is dropped and counted; genuine traffic still flows")
    func spoofedSourceDropped() async throws {
        let gateway = try await InProcessGateway.start()
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let replies = Mailbox<UInt16>()
        tunnel.onPackets { packets in
            for packet in packets {
                if let (_, echo) = try? ICMPEcho.parseIPv4(packet), echo.kind == .echoReply {
                    replies.put(echo.sequenceNumber)
                }
            }
        }
        func echo(from source: IPv4Address, sequence: UInt16) -> ByteBuffer {
            ICMPEcho(kind: .echoRequest, identifier: 7, sequenceNumber: sequence, payload: ByteBuffer(bytes: [1, 2, 3, 4]))
                .makeIPv4Packet(source: source.value, destination: Fixtures.hostAddress.value)
        }
        // Spoofed first, then a genuine request on the same connection: the reply to the genuine one proves the
        // spoofed one was processed (in order) before we look at the counters.
        tunnel.send([echo(from: IPv4Address(10, 77, 0, 200), sequence: 1)])
        tunnel.send([echo(from: tunnel.info.address, sequence: 2)])
        #expect(await replies.next(within: 10) == 2)
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 1)
        #expect(gateway.server.counters.spoofedDropped.load(ordering: .relaxed) == 1)
        #expect(gateway.server.state.sessions().first?.counters.spoofedDropped.load(ordering: .relaxed) == 1)
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("an administrative disconnect sends Call Disconnect; the client sees it and the lease comes back")
    func administrativeDisconnect() async throws {
        let gateway = try await InProcessGateway.start()
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let id = try #require(gateway.server.state.sessions().first?.id)
        #expect(gateway.server.state.disconnect(sessionID: id))
        try await withTimeout(10, "client close") { try await tunnel.closeFuture.get() }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }

    @Test("a client that trusts another CA refuses the server and nothing is leased")
    func wrongCA() async throws {
        let gateway = try await InProcessGateway.start()
        var configuration = gateway.dialConfiguration()
        configuration.caFile = Fixtures.otherCAFile
        await #expect(throws: (any Error).self) {
            _ = try await SSTPDialer.connect(configuration, group: gateway.group, logger: quietLogger)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }
}
