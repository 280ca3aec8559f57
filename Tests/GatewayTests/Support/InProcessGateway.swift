import AddressPool
import Foundation
import GatewayStore
import Logging
import NIOCore
import NIOPosix
import PPPAuth
import SSTPClient
import SSTPServer
import TLSEngine

/// Test fixtures: certificates made by certs/make-demo-certs.sh, committed under Tests/Fixtures/certs.
enum Fixtures {
    static let certs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/certs")
    static var caFile: String { certs.appendingPathComponent("ca.pem").path }
    static var otherCAFile: String { certs.appendingPathComponent("other-ca.pem").path }
    static var serverChain: String { certs.appendingPathComponent("server.pem").path }
    static var serverKey: String { certs.appendingPathComponent("server.key").path }
    /// The name in the fixture server certificate.
    static let serverName = "sstp.example.test"
    /// The host behind the gateway that answers pings (in-memory device).
    static let hostAddress = IPv4Address(10, 78, 0, 2)

    static let users: UserDatabase = {
        var database = UserDatabase()
        try! database.set(UserRecord(name: "alice", ntPasswordHash: NTHash.fromPassword("alice-password")))
        try! database.set(UserRecord(name: "bob", ntPasswordHash: NTHash.fromPassword("bob-password")))
        return database
    }()
}

/// Where a test gateway re-reads its configuration on reload (a struct, so trailing closures stay `configure`).
struct ReloadSource {
    let load: @Sendable () throws -> ServerConfiguration
}

/// A gateway on 127.0.0.1 with an in-memory device (a host at 10.78.0.2 that answers pings): no root needed.
/// With `packetDevice` (a real TUN device, say) the gateway uses that instead and `device` is left idle.
final class InProcessGateway: Sendable {
    let server: GatewayServer
    let device: InMemoryHostDevice
    let port: Int
    let group: MultiThreadedEventLoopGroup

    /// Warnings and worse the gateway logged (tests assert refusals are logged with their reason).
    let logs: LogRecorder

    static func start(
        users: UserDatabase = Fixtures.users,
        reloadSource: ReloadSource? = nil,
        store: GatewayStore? = nil,
        packetDevice: (any PacketDevice)? = nil,
        logLevel: Logger.Level = .warning,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> InProcessGateway {
        var configuration = ServerConfiguration()
        configuration.listenAddress = "127.0.0.1"
        configuration.listenPort = 0
        configuration.certificateChainFile = Fixtures.serverChain
        configuration.privateKeyFile = Fixtures.serverKey
        configuration.poolNetwork = "10.77.0.0/24"
        configuration.gatewayAddress = "10.77.0.1"
        configuration.dnsServers = ["10.78.0.2", "10.78.0.3"]
        configuration.controlSocket = nil  // tests that want one set a private path
        // The test run starts ~100 suites at once on 2 cores: a TLS handshake can wait for a core for seconds, so
        // the handshake deadline is generous here (the deadline tests set their own).
        configuration.handshakeTimeout = 60
        configure(&configuration)
        let tls = try TLSContext.server(
            certificateChainFile: configuration.certificateChainFile, privateKeyFile: configuration.privateKeyFile)
        let device = InMemoryHostDevice(hosts: [Fixtures.hostAddress.value])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var usersSource: (@Sendable () throws -> UserDatabase)?
        if let store { usersSource = { try UserDatabase(store: store) } }
        let logs = LogRecorder()
        var logger = Logger(label: "test-sstpd") { _ in RecordingLogHandler(recorder: logs) }
        logger.logLevel = logLevel
        let server = try GatewayServer(
            configuration: configuration, tlsContext: tls, device: packetDevice ?? device, users: users, group: group,
            logger: logger, reloadSource: reloadSource?.load,
            usersSource: usersSource, store: store)
        let address = try await server.start()
        return InProcessGateway(server: server, device: device, port: address.port!, group: group, logs: logs)
    }

    private init(
        server: GatewayServer, device: InMemoryHostDevice, port: Int, group: MultiThreadedEventLoopGroup,
        logs: LogRecorder
    ) {
        self.server = server
        self.device = device
        self.port = port
        self.group = group
        self.logs = logs
    }

    func dialConfiguration(user: String = "alice", password: String = "alice-password") -> DialConfiguration {
        DialConfiguration(
            host: "127.0.0.1", port: port, serverName: Fixtures.serverName, caFile: Fixtures.caFile, username: user,
            password: password, timeoutSeconds: 30)
    }

    func stop() async throws {
        await server.shutdown(gracePeriod: 2)
        try await group.shutdownGracefully()
    }
}

/// A client logger that stays quiet unless something is wrong.
let quietLogger: Logger = {
    var logger = Logger(label: "test-client")
    logger.logLevel = .warning
    return logger
}()
