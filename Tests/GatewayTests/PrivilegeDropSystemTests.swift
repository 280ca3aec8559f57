import AddressPool
import Foundation
import GatewayStore
import Glibc
import NIOCore
import NIOPosix
import SSTPClient
import SSTPServer
import Testing

/// The real sstpd started as root with `[daemon] user = "nobody"`: once its listener, TUN and state store are open it
/// runs as nobody with no capabilities and no way back, and everything after start-up still works — sessions and
/// traffic, sstpctl over the control socket, reload (certificate files re-read), accounting written at stop.
@Suite("System: sstpd drops privileges", .serialized)
struct PrivilegeDropSystemTests {
    @Test("started as root with daemon.user = nobody: uid/gid nobody, no capabilities, no_new_privs; still serves")
    func dropsToNobody() async throws {
        try #require(getuid() == 0, "the system tests create TUN devices and network namespaces: run them as root")
        let nobody = try #require(getpwnam("nobody")?.pointee, "this system has no user nobody")
        let network = try TestNetwork(tag: "p", subnet: 5)
        defer { network.tearDownQuietly() }
        let directory = try SystemTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The state directory belongs to the service user, as a packaged install (or systemd's StateDirectory=)
        // would set it up.
        #expect(chown(directory.path, nobody.pw_uid, nobody.pw_gid) == 0)
        let database = directory.appendingPathComponent("state.sqlite").path
        // The certificate and key belong to the service user, the key 0600, as the docs say to install them (reload
        // re-reads them after the switch).
        let key = directory.appendingPathComponent("server.key").path
        let chain = directory.appendingPathComponent("server.pem").path
        try FileManager.default.copyItem(atPath: Fixtures.serverKey, toPath: key)
        try FileManager.default.copyItem(atPath: Fixtures.serverChain, toPath: chain)
        for path in [key, chain] { #expect(chown(path, nobody.pw_uid, nobody.pw_gid) == 0) }
        #expect(chmod(key, 0o600) == 0)
        let daemon = try SystemTests.startDaemon(
            in: network, directory: directory, extra: "[daemon]\nuser = \"nobody\"\n[log]\nlevel = \"trace\"",
            certificate: chain, privateKey: key)
        defer { daemon.signal(SIGKILL) }
        #expect(daemon.output.contains { $0.contains("dropped privileges") && $0.contains("user=nobody") })

        // The kernel's view of the process.
        let status = try String(contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)
        func field(_ name: String) -> [String] {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .map { $0.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
                ?? []
        }
        #expect(field("Uid") == Array(repeating: "\(nobody.pw_uid)", count: 4), "\(status)")
        #expect(field("Gid") == Array(repeating: "\(nobody.pw_gid)", count: 4), "\(status)")
        #expect(field("Groups").isEmpty, "\(status)")
        for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
            #expect(field(set) == ["0000000000000000"], "\(set): \(status)")
        }
        #expect(field("NoNewPrivs") == ["1"], "\(status)")
        // The state store now belongs to the service user, still private.
        let attributes = try FileManager.default.attributesOfItem(atPath: database)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == nobody.pw_uid)
        #expect(attributes[.posixPermissions] as? Int == 0o600)

        // Sessions and traffic.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = DialConfiguration(
            host: network.gatewayOuterAddress, port: 4443, serverName: Fixtures.serverName, caFile: Fixtures.caFile,
            username: "alice", password: "alice-password", timeoutSeconds: 10)
        let tunnel: TunnelConnection
        do {
            tunnel = try await SSTPDialer.connect(configuration, group: group, logger: quietLogger)
        } catch {
            Issue.record("dial failed (running \(daemon.process.isRunning)): \(error)\n\(daemon.output.suffix(20).joined(separator: "\n"))")
            try await group.shutdownGracefully()
            return
        }
        let host = try #require(IPv4Address(network.hostAddress))
        for sequence in UInt16(1)...3 { #expect(await ping(through: tunnel, sequence: sequence, to: host)) }
        // sstpctl (root) over the control socket.
        let socket = directory.appendingPathComponent("c.sock").path
        let listed = try Command.run([Command.executable("sstpctl"), "sessions", "list", "--json", "--socket", socket])
        #expect(listed.contains("\"alice\""), "\(listed)")
        // Reload re-reads the configuration and the certificate and key as nobody.
        let marker = daemon.output.count
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLine(containing: "configuration reloaded", after: marker, timeout: 10) != nil,
            "\(daemon.output.suffix(10))")
        #expect(await ping(through: tunnel, sequence: 9, to: host))
        await tunnel.disconnect()

        // A clean stop still writes to the store: the record is closed.
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 10) == 0, "\(daemon.output.suffix(10))")
        let store = try GatewayStore(path: database)
        let records = try store.accounting(user: "alice")
        #expect(records.count == 1)
        #expect(records.first?.stopReason != nil && records.first?.stopReason != "crash", "\(records)")
        #expect(try store.leases().isEmpty)
        try store.close()
        try await group.shutdownGracefully()
    }

    @Test("daemon.user naming no user, or root, is refused before sstpd starts")
    func unknownUserIsRefused() throws {
        #expect(throws: PrivilegeDrop.Failure.self) { try PrivilegeDrop.identity(user: "no-such-user-sstp", group: nil) }
        #expect(throws: PrivilegeDrop.Failure.self) { try PrivilegeDrop.identity(user: "root", group: nil) }
        #expect(throws: PrivilegeDrop.Failure.self) {
            try PrivilegeDrop.identity(user: "nobody", group: "no-such-group-sstp")
        }
        let identity = try PrivilegeDrop.identity(user: "nobody", group: nil)
        #expect(identity.uid == getpwnam("nobody")?.pointee.pw_uid)
    }
}
