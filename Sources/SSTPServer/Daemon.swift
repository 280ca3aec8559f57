import AddressPool
import CryptoPrimitives
import Dispatch
import Foundation
import GatewayStore
import Logging
import NIOCore
import NIOPosix
import TLSEngine
import TUNDevice

/// Runs `sstpd` in the foreground: TUN device, TLS context, listener; SIGTERM/SIGINT send Call Disconnect to
/// every session and exit within 5 s; SIGHUP reloads (as `sstpctl reload`).
public enum Daemon {
    /// Checks that the files the configuration names are usable (for `--check-config`).
    public static func checkFiles(_ configuration: ServerConfiguration) throws {
        try CryptoSelfTest.run()
        _ = try makeTLSContext(configuration)
        if let usersFile = configuration.usersFile { _ = try UserDatabaseFile.load(path: usersFile) }
        _ = try UserDatabase(store: try GatewayStore(path: configuration.stateDatabase))
        if !configuration.clientCAFiles.isEmpty {
            // Loads the roots the EAP-TLS context trusts and checks every CRL's signature against them.
            _ = try TLSContext.server(
                certificateChainFile: configuration.certificateChainFile, privateKeyFile: configuration.privateKeyFile,
                clientTrustRootsFiles: configuration.clientCAFiles)
            _ = try CertificateRevocationList(issuersFiles: configuration.clientCAFiles, crlFiles: configuration.crlFiles)
        }
        if configuration.crlListen != nil, let file = configuration.effectiveCRLFile {
            _ = try CRLFile(path: file).der()
        }
    }

    /// Opens the state store, imports a legacy users file into an empty store, and closes what a crash left open:
    /// accounting records without a stop (reason "crash", counters as last flushed) and leases (no session survives
    /// a restart).
    public static func openStore(_ configuration: ServerConfiguration, logger: Logger) throws -> GatewayStore {
        let store = try GatewayStore(path: configuration.stateDatabase)
        if let usersFile = configuration.usersFile, FileManager.default.fileExists(atPath: usersFile),
            try store.users().isEmpty
        {
            let imported = try store.importUsersFile(text: try String(contentsOfFile: usersFile, encoding: .utf8))
            logger.notice(
                "imported the legacy users file into the state store; manage users with sstpctl user",
                metadata: ["file": "\(usersFile)", "users": "\(imported)"])
        }
        let recovered = try store.recoverAfterUncleanShutdown()
        if recovered.closedRecords > 0 || recovered.clearedLeases > 0 {
            logger.warning(
                "recovered after an unclean shutdown: closed accounting records with reason crash, cleared leases",
                metadata: ["records": "\(recovered.closedRecords)", "leases": "\(recovered.clearedLeases)"])
        }
        let userCount = try store.users().count
        logger.notice("state store open", metadata: ["path": "\(configuration.stateDatabase)", "users": "\(userCount)"])
        return store
    }

    static func makeTLSContext(_ configuration: ServerConfiguration) throws -> TLSContext {
        try TLSContext.server(
            certificateChainFile: configuration.certificateChainFile,
            privateKeyFile: configuration.privateKeyFile,
            minimumVersion: configuration.minimumTLSVersion == "1.3" ? .tls13 : .tls12)
    }

    /// Runs the daemon until SIGTERM/SIGINT.
    ///
    /// - Parameter reload: re-reads the configuration for SIGHUP and `sstpctl reload` (the file plus the same
    ///   command-line flags); nil re-applies the configuration in force.
    public static func run(
        configuration: ServerConfiguration, reload: (@Sendable () throws -> ServerConfiguration)? = nil
    ) throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "sstpd")
        // Before any thread starts, so every thread inherits it (it is per thread).
        if configuration.runAsUser != nil { try PrivilegeDrop.forbidNewPrivileges() }
        // MS-CHAPv2 needs MD4 and DES: refuse to start if they do not give their known answers.
        try CryptoSelfTest.run()
        let (network, gateway) = try configuration.validate()
        let tlsContext = try makeTLSContext(configuration)
        let store = try openStore(configuration, logger: logger)
        let users = try UserDatabase(store: store)
        let reservations = try store.poolReservations()
        let threads = System.coreCount
        let device = try TUNPacketDevice(
            name: configuration.tunName, gateway: gateway.value, prefixLength: network.prefixLength,
            mtu: configuration.tunMTU, queues: configuration.tunQueues == 0 ? threads : configuration.tunQueues,
            offload: configuration.tunOffload)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let server = try GatewayServer(
            configuration: configuration, tlsContext: tlsContext, device: device, users: users,
            reservations: reservations, group: group, logger: logger, reloadSource: reload,
            usersSource: { try UserDatabase(store: store) }, store: store)

        let done = DispatchSemaphore(value: 0)
        let signalQueue = DispatchQueue(label: "sstpd.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler {
                if sig == SIGHUP {
                    // The same reload as `sstpctl reload`; a bad file is logged and the running configuration stays.
                    do {
                        _ = try server.reload()
                    } catch {
                        logger.error("reload refused; the running configuration stays", metadata: ["error": "\(error)"])
                    }
                    return
                }
                logger.notice("signal received, disconnecting sessions", metadata: ["signal": "\(sig)"])
                Task {
                    await server.shutdown(gracePeriod: 4)
                    done.signal()
                }
            }
            source.resume()
            sources.append(source)
        }

        let startup = DispatchSemaphore(value: 0)
        let failure = NIOLockedBox<(any Error)?>(nil)
        // Resolved before anything starts, so a misspelt user fails the start, not the drop.
        let identity = try configuration.runAsUser.map { user throws(PrivilegeDrop.Failure) in
            try PrivilegeDrop.identity(user: user, group: configuration.runAsGroup)
        }
        Task {
            do {
                let address = try await server.start()
                if let identity {
                    // Everything that needs root is open now: the listener, the TUN queues, the control socket,
                    // the metrics and CRL listeners, the state store.
                    let database = configuration.stateDatabase
                    try PrivilegeDrop.drop(
                        to: identity,
                        handingOver: [database, database + "-wal", database + "-shm"]
                            + (configuration.controlSocket.map { [$0] } ?? []))
                    logger.notice(
                        "dropped privileges",
                        metadata: ["user": "\(identity.user)", "uid": "\(identity.uid)", "gid": "\(identity.gid)"])
                }
                logger.notice(
                    "sstpd ready",
                    metadata: [
                        "listen": "\(address)", "tun": "\(device.tun.name)", "pool": "\(network)",
                        "gateway": "\(gateway)", "max-sessions": "\(configuration.effectiveMaxSessions)",
                        "aggregate-cap-mbps": "\(configuration.effectiveAggregateBitsPerSecond.map { "\($0 / 1_000_000)" } ?? "none")",
                    ])
            } catch {
                failure.value = error
                done.signal()
            }
            startup.signal()
        }
        startup.wait()
        done.wait()
        try? group.syncShutdownGracefully()
        if let error = failure.value { throw error }
        _ = sources
    }
}

/// A tiny locked box for handing a value between the startup task and the main thread.
final class NIOLockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return _value }
        set { lock.lock(); _value = newValue; lock.unlock() }
    }
}
