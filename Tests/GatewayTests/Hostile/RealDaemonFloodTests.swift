import AddressPool
import Foundation
import NIOCore
import NIOPosix
import SSTPClient
import Testing

/// The connection floods against the real `sstpd` executable in a network namespace with its real TUN device: a
/// half-open flood from one address, silent TLS and a trickled HTTP head from another, while a legitimate client
/// from that other address connects and pings a host behind the gateway through the TUN. Root only (namespaces).
@Suite("Hostile clients against the real sstpd", .serialized)
struct HostileRealDaemonFloodTests {
    @Test("real sstpd: half-open flood, slow TLS and slow HTTP are refused and logged; a client still gets through")
    func floodsAgainstTheDaemon() async throws {
        try #require(getuid() == 0, "this test runs sstpd in network namespaces: run it as root")
        let network = try await offPool { try TestNetwork(tag: "h", subnet: 9) }
        defer { network.tearDownQuietly() }
        // A second source address on the test's side of the link, for the flood (the gateway routes it back).
        let suffix = "h\(getpid() % 10000)"
        let floodSource = "10.79.9.5"
        try await offPool {
            try Command.run(["ip", "addr", "add", "\(floodSource)/32", "dev", "vo\(suffix)"])
            try Command.run(network.inGateway(["ip", "route", "add", "\(floodSource)/32", "dev", "vi\(suffix)"]))
        }
        let directory = try SystemTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let perAddress = 8
        let deadline = 10
        let daemon = try await offPool {
            try SystemTests.startDaemon(
                in: network, directory: directory,
                extra: """
                    [limits]
                    max_unauthenticated_per_address = \(perAddress)
                    [sstp]
                    handshake_timeout = \(deadline)
                    """)
        }
        defer { daemon.signal(SIGKILL) }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        // Every handshake deadline of the attack's connections runs from a later instant than this.
        let opened = ContinuousClock.now
        let host = network.gatewayOuterAddress
        let configuration = DialConfiguration(
            host: host, port: 4443, serverName: Fixtures.serverName, caFile: Fixtures.caFile, username: "alice",
            password: "alice-password", timeoutSeconds: 20)
        func legitimateClientProblem() async -> String? {
            do {
                let tunnel = try await SSTPDialer.connect(configuration, group: group, logger: quietLogger)
                let ok = await ping(through: tunnel, sequence: UInt16.random(in: 1...60_000), to: IPv4Address(network.hostAddress)!)
                await tunnel.disconnect()
                return ok ? nil : "no echo reply from the host behind the TUN"
            } catch {
                return "\(error)"
            }
        }

        // 1. Silent TCP (no ClientHello) and a trickled HTTP head, from the legitimate client's address.
        var slow: [HostileConnection] = []
        for _ in 0..<3 { slow.append(try await HostileConnection.open(port: 4443, host: host, tls: false, group: group)) }
        var trickling: [HostileConnection] = []
        for _ in 0..<2 {
            let connection = try await HostileConnection.open(port: 4443, host: host, group: group)
            guard case .tlsEstablished? = await connection.next(within: 30) else {
                Issue.record("TLS did not complete")
                return
            }
            trickling.append(connection)
        }
        let drip = HostileConnectionFloodTests.drip(HostileConnection.requestHead, to: trickling, interval: .milliseconds(200))
        defer { drip.cancel() }

        // 2. 400 half-open connections from the flood address: the daemon keeps `perAddress` and closes the rest at
        // once, without a byte: long before any handshake deadline could have passed.
        let flood = try await IdleConnections.open(
            count: 400, from: [floodSource], port: 4443, host: host, batch: 100, group: group)
        let firstDeadline = flood.started + .seconds(deadline)
        #expect(await eventually(within: 60) { flood.closed >= 400 - perAddress })
        // Refused at accept, not timed out: the daemon counted exactly the excess as per-address refusals (a count,
        // not a time: under a loaded test run closing 392 connections can itself take longer than the deadline).
        let counters = try await offPool {
            try Command.run([
                Command.executable("sstpctl"), "status", "--json", "--socket", directory.appendingPathComponent("c.sock").path,
            ])
        }
        // At most `perAddress` held at any time: every connection of the flood beyond them was refused, except where a
        // held one reached its deadline first (a slow run) and made room.
        let json = try JSONSerialization.jsonObject(with: Data(counters.utf8)) as? [String: Any]
        let values = json?["counters"] as? [String: Int] ?? [:]
        let refused = values["unauthenticated_refused"] ?? -1
        let timedOut = values["handshake_timeouts"] ?? 0
        #expect(refused <= 400 - perAddress && refused + timedOut >= 400 - perAddress, "\(counters)")
        #expect(flood.bytesReceived == 0)
        let refusalLine = try await offPool {
            daemon.waitForLine(containing: "too many unauthenticated connections from this address", timeout: 10)
        }
        #expect(refusalLine?.contains("limit=\(perAddress)") == true)

        // During: the flood's held connections and the slow ones are still open; a client from the slow ones'
        // address connects and pings a host behind the TUN.
        let during = await legitimateClientProblem()
        #expect(during == nil, "during the attack: \(during ?? "")")
        if ContinuousClock.now < opened + .seconds(deadline) {
            #expect(flood.open == perAddress)
            #expect((slow + trickling).filter { !$0.isClosed }.count == 5, "the slow connections were still open")
        }

        // The slow ones and the flood's held ones end at the handshake deadline, without a byte; the daemon logs it.
        for connection in slow + trickling {
            #expect(await connection.waitClosed(within: deadline + 20))
            #expect(connection.received.isEmpty)
        }
        #expect(await eventually(within: Double(deadline) + 20) { flood.closed == 400 })
        #expect(flood.closeInstants.suffix(perAddress).allSatisfy { $0 >= firstDeadline }, "held until the deadline")
        let deadlineLine = try await offPool { daemon.waitForLine(containing: "handshake deadline passed; closing", timeout: 10) }
        #expect(deadlineLine != nil)

        // After: the flood ends; a client connects again.
        await flood.closeAll()
        let after = await legitimateClientProblem()
        #expect(after == nil, "after the attack: \(after ?? "")")

        daemon.signal(SIGTERM)
        let status = try await offPool { daemon.waitForExit(timeout: 10) }
        #expect(status == 0)
        try await group.shutdownGracefully()
    }
}
