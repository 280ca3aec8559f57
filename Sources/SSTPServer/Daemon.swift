import AddressPool
import CryptoPrimitives
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import TLSEngine
import TUNDevice

/// Runs `sstpd` in the foreground: TUN device, TLS context, listener; SIGTERM/SIGINT send Call Disconnect to
/// every session and exit within 5 s; SIGHUP reloads the user database.
public enum Daemon {
    /// Checks that the files the configuration names are usable (for `--check-config`).
    public static func checkFiles(_ configuration: ServerConfiguration) throws {
        try CryptoSelfTest.run()
        _ = try makeTLSContext(configuration)
        _ = try UserDatabaseFile.load(path: configuration.usersFile)
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

    static func makeTLSContext(_ configuration: ServerConfiguration) throws -> TLSContext {
        try TLSContext.server(
            certificateChainFile: configuration.certificateChainFile,
            privateKeyFile: configuration.privateKeyFile,
            minimumVersion: configuration.minimumTLSVersion == "1.3" ? .tls13 : .tls12)
    }

    public static func run(configuration: ServerConfiguration) throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "sstpd")
        // MS-CHAPv2 needs MD4 and DES: refuse to start if they do not give their known answers.
        try CryptoSelfTest.run()
        let (network, gateway) = try configuration.validate()
        let tlsContext = try makeTLSContext(configuration)
        let users = try UserDatabaseFile.load(path: configuration.usersFile)
        let device = try TUNPacketDevice(
            name: configuration.tunName, gateway: gateway.value, prefixLength: network.prefixLength,
            mtu: configuration.tunMTU)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let server = try GatewayServer(
            configuration: configuration, tlsContext: tlsContext, device: device, users: users, group: group,
            logger: logger)

        let done = DispatchSemaphore(value: 0)
        let signalQueue = DispatchQueue(label: "sstpd.signals")
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler {
                if sig == SIGHUP {
                    do {
                        server.state.replaceUsers(try UserDatabaseFile.load(path: configuration.usersFile))
                        logger.notice("reloaded users", metadata: ["file": "\(configuration.usersFile)"])
                    } catch {
                        logger.error("reload failed; keeping the loaded users", metadata: ["error": "\(error)"])
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
        Task {
            do {
                let address = try await server.start()
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
