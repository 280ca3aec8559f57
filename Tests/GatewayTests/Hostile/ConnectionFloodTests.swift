import Foundation
import NIOCore
import NIOPosix
import SSTPServer
import Synchronization
import TLSEngine
import Testing

/// Connection-level attacks on an in-process gateway: slow TLS and HTTP heads (the handshake deadline), thousands of
/// half-open connections from one address and from many (the caps on unauthenticated connections). Every test
/// checks the refusal (closed without a byte, counted, in the metrics, logged) and that a fresh legitimate client
/// connects and passes traffic while the hostile connections are held, and afterwards.
@Suite("Hostile clients: slow and half-open connection floods", .serialized)
struct HostileConnectionFloodTests {
    /// The first flight of a real TLS client: a ClientHello for the fixture server name.
    static func clientHello() throws -> [UInt8] {
        let connection = try TLSConnection(context: HostileConnection.tls, serverName: Fixtures.serverName)
        _ = connection.drive()
        return Array(try #require(connection.takeCiphertext()).readableBytesView)
    }

    /// Sends `bytes` one byte at a time, `interval` apart, on every connection (an attacker's pacing, not a wait).
    static func drip(_ bytes: [UInt8], to connections: [HostileConnection], interval: Duration) -> Task<Void, Never> {
        Task {
            for byte in bytes {
                for connection in connections where !connection.isClosed { try? await connection.send([byte]) }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }

    /// Connections the gateway has dealt with: held, refused or evicted (an evicted one may be counted twice until
    /// its close is processed: enough to pace the connects).
    static func processed(_ gateway: InProcessGateway) -> @Sendable () -> Int {
        {
            let counters = gateway.server.counters
            return gateway.server.state.count + counters.unauthenticatedPerAddressRefusals.load(ordering: .relaxed)
                + counters.unauthenticatedEvictions.load(ordering: .relaxed)
        }
    }

    @Test("slow TLS: silent connections and a ClientHello sent a byte at a time are cut at the handshake deadline")
    func slowTLSHandshake() async throws {
        let deadline = 5
        let gateway = try await InProcessGateway.start { $0.handshakeTimeout = deadline }
        // Every deadline runs from its connection's accept, so from after this instant.
        let opened = ContinuousClock.now
        var silent: [HostileConnection] = []
        var dripping: [HostileConnection] = []
        for _ in 0..<8 {
            silent.append(try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", tls: false, group: gateway.group))
            dripping.append(try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", tls: false, group: gateway.group))
        }
        // A full ClientHello at 5 bytes a second takes about a minute: far past the deadline.
        let drip = Self.drip(try Self.clientHello(), to: dripping, interval: .milliseconds(200))
        defer { drip.cancel() }

        // During: every slow connection is still held, and a legitimate client connects and passes traffic.
        let during = await legitimateClientProblem(gateway)
        #expect(during == nil, "during the attack: \(during ?? "")")
        let heldDuring = (silent + dripping).filter { !$0.isClosed }.count
        if ContinuousClock.now - opened < .seconds(deadline) {
            #expect(heldDuring == 16, "the attack was still under way while the legitimate client connected")
        }

        // The refusal: each is closed by the server at the deadline, without a byte (no TLS alert, no HTTP).
        for connection in silent + dripping {
            #expect(await connection.waitClosed(within: deadline + 10))
            #expect(connection.received.isEmpty)
        }
        #expect(ContinuousClock.now - opened >= .seconds(deadline - 1), "closed by the deadline, not before")
        #expect(gateway.server.counters.handshakeTimeouts.load(ordering: .relaxed) == 16)
        #expect(failures(gateway, "handshake_timeout") == 16)
        #expect(await eventually { gateway.server.state.count == 0 })

        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("slow HTTP head: TLS completes, then the request trickles in; no HTTP answer, closed at the deadline")
    func slowHTTPHead() async throws {
        let deadline = 5
        let gateway = try await InProcessGateway.start { $0.handshakeTimeout = deadline }
        let opened = ContinuousClock.now
        var slow: [HostileConnection] = []
        for _ in 0..<8 {
            let connection = try await HostileConnection.open(port: gateway.port, from: "127.0.0.3", group: gateway.group)
            guard case .tlsEstablished? = await connection.next(within: 30) else {
                Issue.record("TLS did not complete")
                return
            }
            slow.append(connection)
        }
        let drip = Self.drip(HostileConnection.requestHead, to: slow, interval: .milliseconds(200))
        defer { drip.cancel() }

        let during = await legitimateClientProblem(gateway)
        #expect(during == nil, "during the attack: \(during ?? "")")
        if ContinuousClock.now - opened < .seconds(deadline - 1) {
            #expect(slow.filter { !$0.isClosed }.count == 8, "the attack was still under way")
        }

        for connection in slow {
            #expect(await connection.waitClosed(within: deadline + 10))
            // Nothing in plaintext: no HTTP response, not even an error status.
            #expect(connection.received.isEmpty)
        }
        #expect(gateway.server.counters.handshakeTimeouts.load(ordering: .relaxed) == 8)
        #expect(failures(gateway, "handshake_timeout") == 8)
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("2000 half-open connections from one address: the address keeps its cap, the rest are refused at once")
    func halfOpenFromOneAddress() async throws {
        let perAddress = 16
        let gateway = try await InProcessGateway.start {
            $0.maxUnauthenticatedPerAddress = perAddress
            $0.maxUnauthenticated = 64
        }
        let attackers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let started = ContinuousClock.now
        let flood = try await IdleConnections.open(
            count: 2000, from: ["127.0.0.2"], port: gateway.port, processed: Self.processed(gateway), group: attackers)

        // The refusal: all but `perAddress` are closed at accept, before TLS, without a byte; counted and logged.
        #expect(await eventually(within: 60) { flood.closed == 2000 - perAddress })
        #expect(flood.bytesReceived == 0)
        #expect(gateway.server.counters.unauthenticatedPerAddressRefusals.load(ordering: .relaxed) == 2000 - perAddress)
        #expect(failures(gateway, "unauthenticated_limit") == Double(2000 - perAddress))
        #expect(
            gateway.logs.contains(
                "refused connection: too many unauthenticated connections from this address", "limit", "\(perAddress)"))
        // Rate limited: a flood of refusals does not become a flood of log lines (one per second at most).
        let lines = gateway.logs.all.filter { $0.message.hasPrefix("refused connection: too many unauthenticated") }
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        #expect(lines.count >= 1 && lines.count <= seconds + 1, "\(lines.count) lines in \(seconds) s")
        #expect(await eventually { gateway.server.state.count == perAddress })

        // During: the held connections are still open, and a client from another address gets in.
        let during = await legitimateClientProblem(gateway)
        #expect(during == nil, "during the attack: \(during ?? "")")
        #expect(flood.open == perAddress)

        await flood.closeAll()
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        #expect(ContinuousClock.now - started < .seconds(60))
        try await attackers.shutdownGracefully()
        try await gateway.stop()
    }

    @Test("1000 half-open connections from 25 addresses: the gateway holds its global cap by closing the oldest")
    func halfOpenFromManyAddresses() async throws {
        // The defaults: 256 unauthenticated connections in all, 128 per address.
        let gateway = try await InProcessGateway.start()
        let total = gateway.server.configuration.maxUnauthenticated
        #expect(total == 256 && gateway.server.configuration.maxUnauthenticatedPerAddress == 128)
        let attackers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let started = ContinuousClock.now
        let sources = (1...25).map { "127.0.1.\($0)" }
        let flood = try await IdleConnections.open(
            count: 1000, from: sources, port: gateway.port, processed: Self.processed(gateway), group: attackers)

        let counters = gateway.server.counters
        @Sendable func refusedOrEvicted() -> Int {
            counters.unauthenticatedEvictions.load(ordering: .relaxed)
                + counters.unauthenticatedPerAddressRefusals.load(ordering: .relaxed)
        }
        #expect(await eventually(within: 60) { flood.closed == 1000 - total && refusedOrEvicted() == 1000 - total })
        #expect(counters.unauthenticatedEvictions.load(ordering: .relaxed) > 0)
        #expect(flood.bytesReceived == 0)
        #expect(failures(gateway, "unauthenticated_limit") == Double(1000 - total))
        #expect(gateway.logs.contains("closed the oldest unauthenticated connection to make room", "limit", "\(total)"))
        #expect(await eventually { gateway.server.state.count == total })

        // During: the table is full of attackers, yet a fresh client gets in (the oldest attacker makes room) and
        // passes traffic; the rest of the flood is still held.
        let during = await legitimateClientProblem(gateway)
        #expect(during == nil, "during the attack: \(during ?? "")")
        #expect(flood.open == total - 1, "exactly one attacker was closed to let the client in")
        #expect(counters.unauthenticatedEvictions.load(ordering: .relaxed) + counters.unauthenticatedPerAddressRefusals.load(ordering: .relaxed) == 1000 - total + 1)

        await flood.closeAll()
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        #expect(ContinuousClock.now - started < .seconds(60))
        try await attackers.shutdownGracefully()
        try await gateway.stop()
    }

    @Test("the caps are configuration: [limits] keys parse, validate and default")
    func configurationKeys() throws {
        let parsed = try ConfigurationFile.parse(
            """
            [limits]
            max_unauthenticated = 100
            max_unauthenticated_per_address = 4
            """)
        #expect(parsed.maxUnauthenticated == 100)
        #expect(parsed.maxUnauthenticatedPerAddress == 4)
        #expect(ServerConfiguration().maxUnauthenticated == 256)
        #expect(ServerConfiguration().maxUnauthenticatedPerAddress == 128)
        var bad = ServerConfiguration()
        bad.maxUnauthenticatedPerAddress = 300  // above max_unauthenticated
        #expect(throws: ServerConfiguration.Error.self) { try bad.validate() }
        bad = ServerConfiguration()
        bad.maxUnauthenticated = 0
        #expect(throws: ServerConfiguration.Error.self) { try bad.validate() }
        #expect(throws: ServerConfiguration.Error.self) {
            try ConfigurationFile.parse("[limits]\nmax_unauthenticated = \"many\"\n")
        }
    }
}
