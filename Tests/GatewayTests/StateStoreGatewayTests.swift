import AddressPool
import Foundation
import GatewayStore
import PPPAuth
import SSTPClient
import SSTPServer
import Testing

/// The state store behind a running gateway, driven with the real sstpctl: reservations, locking, passwords and
/// accounting take effect without a restart.
@Suite("state store through sstpctl")
struct StateStoreGatewayTests {
    struct Setup {
        let directory: URL
        let database: String
        let socket: String
        let store: GatewayStore
        let gateway: InProcessGateway

        static func start() async throws -> Setup {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
            let database = directory.appendingPathComponent("state.sqlite").path
            let socket = ControlSocketTests.socketPath()
            let store = try GatewayStore(path: database)
            try store.upsertUser(GatewayStore.User(name: "alice", ntPasswordHash: NTHash.fromPassword("alice-password")))
            try store.upsertUser(GatewayStore.User(name: "bob", ntPasswordHash: NTHash.fromPassword("bob-password")))
            let gateway = try await InProcessGateway.start(users: try UserDatabase(store: store), store: store) {
                $0.controlSocket = socket
            }
            return Setup(directory: directory, database: database, socket: socket, store: store, gateway: gateway)
        }

        func sstpctl(_ arguments: [String], input: String? = nil) throws -> (status: Int32, out: String, err: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Command.executable("sstpctl"))
            process.arguments = arguments + ["--state", database, "--socket", socket]
            let out = Pipe()
            let err = Pipe()
            let stdin = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = stdin
            try process.run()
            if let input { try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
            try stdin.fileHandleForWriting.close()
            let outData = readToEndOfFile(out.fileHandleForReading)
            let errData = readToEndOfFile(err.fileHandleForReading)
            process.waitUntilExit()
            return (
                process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self)
            )
        }

        func stop() async throws {
            try await gateway.stop()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test("pool reserve gives the user that address at the next connection; release returns it to the pool")
    func reserve() async throws {
        let setup = try await Setup.start()
        let gateway = setup.gateway
        let reserve = try setup.sstpctl(["pool", "reserve", "alice", "10.77.0.50"])
        #expect(reserve.status == 0 && reserve.out.contains("reserved 10.77.0.50 for alice"), "\(reserve)")
        #expect(reserve.out.contains("sstpd reloaded"), "\(reserve.out)")
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(tunnel.info.address == IPv4Address(10, 77, 0, 50))
        #expect(await ping(through: tunnel))
        let pool = try ControlClient.send(ControlRequest(op: .pool), socketPath: setup.socket).pool
        #expect(pool?.reservations == [PoolReport.Reservation(user: "alice", address: "10.77.0.50")])
        // Bob never gets alice's address, even while she is away.
        await tunnel.disconnect()
        // Refusals: outside the pool, the gateway, an unknown user, an address reserved for someone else.
        for (arguments, message) in [
            (["pool", "reserve", "bob", "10.99.0.5"], "outside the pool"),
            (["pool", "reserve", "bob", "10.77.0.1"], "outside the pool"),
            (["pool", "reserve", "nobody", "10.77.0.60"], "nobody"),
            (["pool", "reserve", "bob", "10.77.0.50"], "alice"),
        ] {
            let refused = try setup.sstpctl(arguments)
            #expect(refused.status == 1 && refused.err.contains(message), "\(arguments) → \(refused)")
        }
        let release = try setup.sstpctl(["pool", "release", "10.77.0.50"])
        #expect(release.status == 0, "\(release)")
        #expect(try setup.store.reservations().isEmpty)
        #expect(gateway.server.state.poolReport(gateway: IPv4Address(10, 77, 0, 1)).reservations.isEmpty)
        try await setup.stop()
    }

    @Test("user lock refuses the next login (logged); unlock and passwd apply without a restart")
    func lockAndPasswd() async throws {
        let setup = try await Setup.start()
        let gateway = setup.gateway
        #expect(try setup.sstpctl(["user", "lock", "alice"]).status == 0)
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        }
        #expect(gateway.logs.contains("user locked"))
        #expect(try setup.sstpctl(["user", "unlock", "alice"]).status == 0)
        let changed = try setup.sstpctl(["user", "passwd", "alice", "--password-stdin"], input: "new-secret\n")
        #expect(changed.status == 0, "\(changed)")
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        }
        let tunnel = try await SSTPDialer.connect(
            gateway.dialConfiguration(user: "alice", password: "new-secret"), group: gateway.group, logger: quietLogger)
        await tunnel.disconnect()
        let list = try setup.sstpctl(["user", "list", "--json"])
        #expect(list.out.contains(#""name" : "alice""#) && !list.out.contains("new-secret"), "\(list.out)")
        #expect(try setup.sstpctl(["user", "lock", "nobody"]).err.contains("unknown user nobody"))
        try await setup.stop()
    }

    @Test("accounting: one record per session with method, binding, bytes and the stop reason")
    func accounting() async throws {
        let setup = try await Setup.start()
        let gateway = setup.gateway
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(await ping(through: tunnel))
        await tunnel.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()  // drains the state writes
        let result = try setup.sstpctl(["accounting", "--user", "alice", "--json"])
        #expect(result.status == 0, "\(result)")
        struct Row: Decodable {
            var user: String
            var method: String
            var cryptoBinding: String?
            var stopReason: String?
            var bytesIn: Int64
            var packetsIn: Int64
            var address: String?
        }
        let rows = try JSONDecoder().decode([Row].self, from: Data(result.out.utf8))
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(row.user == "alice" && row.method == "MS-CHAPv2" && row.cryptoBinding == "SHA-256")
        #expect(row.address == "\(tunnel.info.address)")
        #expect(row.packetsIn >= 1 && row.bytesIn > 0)
        #expect(row.stopReason != nil && row.stopReason != "crash")
        #expect(try setup.store.leases().isEmpty)
        try? FileManager.default.removeItem(at: setup.directory)
    }
}
