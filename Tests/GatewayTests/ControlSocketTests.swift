import AddressPool
import Foundation
import NIOCore
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// `sstpctl` against a running gateway's control socket: the real sstpctl binary, a real Unix socket, a real
/// sstp-dial session over loopback.
@Suite("control socket and sstpctl")
struct ControlSocketTests {
    static func socketPath() -> String {
        // sun_path holds 108 bytes: keep it short.
        "/tmp/sstpd-test-\(UUID().uuidString.prefix(8)).sock"
    }

    /// Runs the built sstpctl; returns (exit status, stdout, stderr).
    static func sstpctl(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Command.executable("sstpctl"))
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = readToEndOfFile(out.fileHandleForReading)
        let errData = readToEndOfFile(err.fileHandleForReading)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    static func sessions(_ socket: String) throws -> [SessionReport] {
        let result = try sstpctl(["sessions", "list", "--json", "--socket", socket])
        #expect(result.status == 0, "\(result.err)")
        return try JSONDecoder().decode([SessionReport].self, from: Data(result.out.utf8))
    }

    @Test("sessions list shows a connected client with the right fields; kick disconnects it and frees the lease")
    func listAndKick() async throws {
        let socket = Self.socketPath()
        let gateway = try await InProcessGateway.start { $0.controlSocket = socket }
        let attributes = try FileManager.default.attributesOfItem(atPath: socket)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(await ping(through: tunnel))

        let sessions = try Self.sessions(socket)
        let session = try #require(sessions.first)
        #expect(sessions.count == 1)
        #expect(session.user == "alice")
        #expect(session.address == "\(tunnel.info.address)")
        #expect(session.method == "MS-CHAPv2")
        #expect(session.cryptoBinding == "SHA-256")
        #expect(session.phase == "connected")
        let localPort = try #require(tunnel.channel.localAddress?.port)
        #expect(session.peer == "127.0.0.1:\(localPort)")
        #expect(session.packetsIn >= 1 && session.packetsOut >= 1 && session.bytesIn > 0 && session.bytesOut > 0)
        #expect(abs(session.since - Date().timeIntervalSince1970) < 60)
        // The human table has the same session.
        let table = try Self.sstpctl(["sessions", "list", "--socket", socket])
        #expect(table.out.contains("alice") && table.out.contains("\(tunnel.info.address)") && table.out.contains("SHA-256"))

        let kick = try Self.sstpctl(["sessions", "kick", "\(session.id)", "--socket", socket])
        #expect(kick.status == 0 && kick.out.contains("disconnected 1 session"), "\(kick)")
        // The client saw the server's Call Disconnect.
        let reason = await tunnel.waitForClose()
        #expect(reason?.hasPrefix("disconnected by peer") == true, "\(reason ?? "nil")")
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        #expect(try Self.sessions(socket).isEmpty)

        // Unknown ids and users are clean errors.
        let unknown = try Self.sstpctl(["sessions", "kick", "999", "--socket", socket])
        #expect(unknown.status == 1 && unknown.err.contains("no session 999"), "\(unknown)")
        let nobody = try Self.sstpctl(["sessions", "kick", "--user", "nobody", "--socket", socket])
        #expect(nobody.status == 1 && nobody.err.contains("no session of user nobody"), "\(nobody)")
        try await gateway.stop()
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test("kick --user disconnects every session of that user, not others")
    func kickUser() async throws {
        let socket = Self.socketPath()
        let gateway = try await InProcessGateway.start { $0.controlSocket = socket }
        let alice1 = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let alice2 = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let bob = try await SSTPDialer.connect(
            gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group, logger: quietLogger)
        let kick = try Self.sstpctl(["sessions", "kick", "--user", "ALICE", "--socket", socket])
        #expect(kick.status == 0 && kick.out.contains("disconnected 2 session"), "\(kick)")
        _ = await alice1.waitForClose()
        _ = await alice2.waitForClose()
        #expect(await ping(through: bob))
        #expect(try Self.sessions(socket).map(\.user) == ["bob"])
        #expect(gateway.server.state.poolUsage().used == 1)
        await bob.disconnect()
        try await gateway.stop()
    }

    @Test("status and pool show; a daemon that is not running is a clear error")
    func statusAndPool() async throws {
        let socket = Self.socketPath()
        let gateway = try await InProcessGateway.start { $0.controlSocket = socket }
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let status = try Self.sstpctl(["status", "--json", "--socket", socket])
        #expect(status.status == 0, "\(status.err)")
        let report = try JSONDecoder().decode(GatewayStatusReport.self, from: Data(status.out.utf8))
        #expect(report.sessions == 1 && report.poolUsed == 1 && report.pid == getpid())
        #expect(report.counters["state_write_failures"] == 0)
        #expect(report.listen.hasSuffix(":\(gateway.port)"))
        let text = try Self.sstpctl(["status", "--socket", socket])
        #expect(text.out.contains("sessions:    1 of 1024"), "\(text.out)")
        let memory = try #require(report.memory)
        #expect(memory.residentFileBytes > 1 << 20, "\(memory)")
        #expect(!ProcessMemory.heapFiguresAvailable || (memory.heapInUseBytes ?? 0) > 1 << 20, "\(memory)")
        #expect(text.out.contains("memory:      ") && text.out.contains(" resident (anonymous "), "\(text.out)")

        let pool = try Self.sstpctl(["pool", "show", "--json", "--socket", socket])
        let poolReport = try JSONDecoder().decode(PoolReport.self, from: Data(pool.out.utf8))
        #expect(poolReport.network == "10.77.0.0/24" && poolReport.gateway == "10.77.0.1")
        #expect(poolReport.size == 253 && poolReport.used == 1 && poolReport.free == 252)
        #expect(poolReport.leases.map(\.address) == ["\(tunnel.info.address)"])
        #expect(poolReport.leases.first?.user == "alice")
        await tunnel.disconnect()
        try await gateway.stop()

        let down = try Self.sstpctl(["status", "--socket", socket])
        #expect(down.status == 69 && down.err.contains("sstpd is not running"), "\(down)")
        // Shell completion comes from swift-argument-parser and knows the subcommands.
        let completion = try Self.sstpctl(["--generate-completion-script", "bash"])
        #expect(completion.status == 0 && completion.out.contains("sessions") && completion.out.contains("accounting"))
    }

    @Test("reload: a broken file is refused with the reason and the running configuration stays; a good one applies")
    func reload() async throws {
        let socket = Self.socketPath()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let base = try await InProcessGateway.start { $0.controlSocket = socket }
        let configuration = base.server.configuration
        try await base.stop()
        // The reload source reads the file over the running configuration, as sstpd reads its file plus flags.
        let gateway = try await InProcessGateway.start(
            reloadSource: ReloadSource {
                var reloaded = try ConfigurationFile.load(path: file)
                reloaded.listenAddress = configuration.listenAddress
                reloaded.listenPort = configuration.listenPort
                reloaded.certificateChainFile = configuration.certificateChainFile
                reloaded.privateKeyFile = configuration.privateKeyFile
                reloaded.controlSocket = socket
                _ = try reloaded.validate()
                return reloaded
            }, configure: { $0.controlSocket = socket })
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)

        try "[limits]\nmax_sessions = \"many\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let broken = try Self.sstpctl(["reload", "--socket", socket])
        #expect(broken.status == 1 && broken.err.contains("limits.max_sessions must be an integer"), "\(broken)")
        try "[pool]\nnetwork = \"10.77.0.0/24\"\ngateway = \"10.77.0.9\"\n[ppp]\nmru = 99999\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let invalid = try Self.sstpctl(["reload", "--socket", socket])
        #expect(invalid.status == 1 && invalid.err.contains("ppp.mru"), "\(invalid)")
        #expect(gateway.server.configuration.effectiveMaxSessions == 1024)
        #expect(gateway.logs.contains("reload refused; the running configuration stays"))

        try "[limits]\nmax_sessions = 5\n[pool]\ndns = [\"10.78.0.2\"]\n[tun]\nmtu = 1300\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let good = try Self.sstpctl(["reload", "--socket", socket])
        #expect(good.status == 0, "\(good)")
        #expect(good.out.contains("limits.max_sessions") && good.out.contains("pool.dns"), "\(good.out)")
        #expect(good.out.contains("restart needed for: tun.mtu"), "\(good.out)")
        #expect(gateway.server.configuration.effectiveMaxSessions == 5)
        // The live session was not dropped.
        #expect(await ping(through: tunnel))
        #expect(gateway.server.state.sessions().count == 1)
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("the socket is root only (0600): another user gets a clear permission error; control_group lets a group in")
    func permissions() async throws {
        try #require(getuid() == 0, "needs root to run sstpctl as another user")
        // A copy of sstpctl that user nobody can execute (the build directory may be under a private home).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("perm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sstpctl = directory.appendingPathComponent("sstpctl").path
        try FileManager.default.copyItem(atPath: Command.executable("sstpctl"), toPath: sstpctl)
        chmod(directory.path, 0o755)
        chmod(sstpctl, 0o755)
        func asNobody(_ socket: String) throws -> String {
            try Command.run(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sstpctl, "status", "--socket", socket],
                allowFailure: true)
        }
        let socket = Self.socketPath()
        let rootOnly = try await InProcessGateway.start { $0.controlSocket = socket }
        #expect(try asNobody(socket).contains("permission denied on \(socket)"))
        try await rootOnly.stop()

        let group = try #require(getgrgid(65534).map { String(cString: $0.pointee.gr_name) })
        let shared = Self.socketPath()
        let gateway = try await InProcessGateway.start {
            $0.controlSocket = shared
            $0.controlGroup = group
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: shared)
        #expect(attributes[.posixPermissions] as? Int == 0o660)
        #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue == 65534)
        #expect(try asNobody(shared).contains("sessions:    0 of 1024"))
        try await gateway.stop()
    }

    @Test("malformed requests get bad_request and do not disturb the daemon")
    func malformed() async throws {
        let socket = Self.socketPath()
        let gateway = try await InProcessGateway.start { $0.controlSocket = socket }
        for line in ["not json", #"{"op":"explode"}"#, #"{"op":"disconnect","id":"x"}"#] {
            let reply = try Self.raw(socket, line + "\n")
            #expect(reply.contains(#""code":"bad_request""#), "\(line) → \(reply)")
        }
        let reply = try Self.raw(socket, String(repeating: "x", count: 70_000))
        #expect(reply.contains("longer than"))
        // Still answering.
        let status = try ControlClient.send(ControlRequest(op: .status), socketPath: socket)
        #expect(status.ok && status.status?.sessions == 0)
        try await gateway.stop()
    }

    /// Sends raw bytes and returns the first answer line.
    static func raw(_ socket: String, _ text: String) throws -> String {
        // write(contentsOf:) throws where write(_:) and availableData would trap (the daemon may close early).
        let handle = try FileHandle(forUnixSocket: socket)
        defer { try? handle.close() }
        try? handle.write(contentsOf: Data(text.utf8))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

extension FileHandle {
    /// A connected Unix stream socket.
    convenience init(forUnixSocket path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw Command.Failure(description: "cannot connect to \(path)")
        }
        self.init(fileDescriptor: fd, closeOnDealloc: true)
    }
}
