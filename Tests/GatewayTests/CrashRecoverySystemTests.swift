import AddressPool
import Foundation
import GatewayStore
import NIOCore
import NIOPosix
import SSTPClient
import SSTPServer
import Testing

/// `kill -9` the real sstpd with a session up, start it again: no lease is stuck, the open accounting record is
/// closed with reason "crash" and keeps the counters of the last flush.
@Suite("System: crash recovery of the state store", .serialized)
struct CrashRecoverySystemTests {
    @Test("kill -9 with a session up, restart: leases cleared, accounting closed as crash with the flushed counters")
    func killAndRestart() async throws {
        try #require(getuid() == 0, "the system tests create TUN devices and network namespaces: run them as root")
        let network = try TestNetwork(tag: "k", subnet: 3)
        defer { network.tearDownQuietly() }
        let directory = try SystemTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("state.sqlite").path
        let extra = """
            [log]
            level = "debug"
            """
        // accounting_flush_interval 1 s: the test waits for the "accounting flushed" line, not for time.
        let flush = "accounting_flush_interval = 1"
        var daemon = try SystemTests.startDaemon(in: network, directory: directory, extra: extra, state: flush)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = DialConfiguration(
            host: network.gatewayOuterAddress, port: 4443, serverName: Fixtures.serverName, caFile: Fixtures.caFile,
            username: "alice", password: "alice-password", timeoutSeconds: 10)
        let tunnel = try await SSTPDialer.connect(configuration, group: group, logger: quietLogger)
        let address = tunnel.info.address
        let host = try #require(IPv4Address(network.hostAddress))
        for sequence in UInt16(1)...3 { #expect(await ping(through: tunnel, sequence: sequence, to: host)) }
        // Wait until a flush has written this traffic (the flush after the pings).
        let marker = daemon.output.count
        guard daemon.waitForLine(containing: "accounting flushed", after: marker, timeout: 10) != nil else {
            Issue.record("no accounting flush:\n\(daemon.output.joined(separator: "\n"))")
            daemon.signal(SIGKILL)
            try await group.shutdownGracefully()
            return
        }

        // The real sstpctl against the real daemon's control socket sees the session.
        let socket = directory.appendingPathComponent("c.sock").path
        let listed = try Command.run([Command.executable("sstpctl"), "sessions", "list", "--json", "--socket", socket])
        let sessions = try JSONDecoder().decode([SessionReport].self, from: Data(listed.utf8))
        #expect(sessions.map(\.user) == ["alice"] && sessions.first?.address == "\(address)")
        #expect(sessions.first?.cryptoBinding == "SHA-256" && (sessions.first?.packetsIn ?? 0) >= 3)
        // A broken configuration file is refused by reload (SIGHUP's path too) and the daemon keeps serving.
        let config = directory.appendingPathComponent("sstpd.toml")
        let good = try String(contentsOf: config, encoding: .utf8)
        try (good + "\n[limits]\nmax_sessions = -1\n").write(to: config, atomically: true, encoding: .utf8)
        let refused = try Command.run([Command.executable("sstpctl"), "reload", "--socket", socket], allowFailure: true)
        #expect(refused.contains("limits.max_sessions"), "\(refused)")
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLine(containing: "reload refused", after: marker, timeout: 10) != nil)
        try good.write(to: config, atomically: true, encoding: .utf8)
        #expect(await ping(through: tunnel, sequence: 9, to: host))

        // While it runs: the lease and the open record are in the store (a second reader on the WAL file).
        let live = try GatewayStore(path: database)
        #expect(try live.leases().map(\.address) == ["\(address)"])
        let open = try #require(try live.openAccounting().first)
        #expect(open.user == "alice" && open.address == "\(address)" && open.method == "MS-CHAPv2")
        #expect(open.cryptoBinding == "SHA-256")
        #expect(open.packetsIn >= 3 && open.bytesIn > 0 && open.bytesOut > 0, "\(open)")
        try live.close()

        daemon.signal(SIGKILL)
        _ = daemon.waitForExit(timeout: 10)
        _ = await tunnel.waitForClose()
        // Nothing closed the record: the crash left it open on disk.
        let crashed = try GatewayStore(path: database)
        let stillOpen = try crashed.openAccounting()
        #expect(stillOpen.map(\.id) == [open.id])
        let flushed = try #require(stillOpen.first)
        try crashed.close()

        daemon = try SystemTests.startDaemon(in: network, directory: directory, extra: extra, state: flush, addUser: false)
        defer { daemon.signal(SIGKILL) }
        #expect(daemon.output.contains { $0.contains("recovered after an unclean shutdown") && $0.contains("records=1") && $0.contains("leases=1") })
        let after = try GatewayStore(path: database)
        #expect(try after.leases().isEmpty)
        #expect(try after.openAccounting().isEmpty)
        let closed = try #require(try after.accountingRecord(id: open.id))
        #expect(closed.stopReason == "crash")
        #expect(closed.stop == flushed.lastFlush)
        #expect(closed.bytesIn == flushed.bytesIn && closed.packetsIn == flushed.packetsIn && closed.bytesOut == flushed.bytesOut)
        try after.close()

        // No stuck lease: alice connects again and gets her address back (the same user gets the same address).
        let again = try await SSTPDialer.connect(configuration, group: group, logger: quietLogger)
        #expect(again.info.address == address)
        await again.disconnect()
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0)
        // A clean stop closes the second record with the session's reason, not "crash".
        let final = try GatewayStore(path: database)
        let records = try final.accounting(user: "alice")
        #expect(records.count == 2)
        #expect(records.first?.stopReason != nil && records.first?.stopReason != "crash")
        try final.close()
        try await group.shutdownGracefully()
    }
}
