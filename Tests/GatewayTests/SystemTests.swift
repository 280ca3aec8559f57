import AddressPool
import Foundation
import IPPackets
import NIOCore
import NIOPosix
import SSTPClient
import Testing

/// The real binaries as root: sstpd in a network namespace with a real TUN device and a host behind it in another
/// namespace; clients in the test process (over a veth) and the sstp-dial executable.
@Suite("System: sstpd with a real TUN and network namespaces", .serialized)
struct SystemTests {
    /// Writes a configuration and a state store with a user (through `sstpctl user add`) and starts sstpd in the
    /// namespace.
    static func startDaemon(
        in network: some GatewayNamespaceProviding, directory: URL, extra: String = "", state: String = "",
        addUser: Bool = true, certificate: String = Fixtures.serverChain, privateKey: String = Fixtures.serverKey
    ) throws -> ChildProcess {
        let users = directory.appendingPathComponent("state.sqlite").path
        if addUser { try addAlice(users: users, directory: directory) }
        let config = directory.appendingPathComponent("sstpd.toml")
        try """
            [listen]
            address = "0.0.0.0"
            port = 4443
            [tls]
            certificate = "\(certificate)"
            private_key = "\(privateKey)"
            [pool]
            network = "10.77.0.0/24"
            gateway = "10.77.0.1"
            dns = ["10.78.0.2"]
            [tun]
            name = "sstpsys%d"
            [state]
            database = "\(users)"
            \(state)
            [admin]
            control_socket = "\(directory.appendingPathComponent("c.sock").path)"
            \(extra)
            """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = try ChildProcess(network.inGateway([Command.executable("sstpd"), "--config", config.path]))
        guard daemon.waitForLine(containing: "sstpd ready", timeout: 20) != nil else {
            throw Command.Failure(description: "sstpd did not start:\n" + daemon.output.joined(separator: "\n"))
        }
        return daemon
    }

    /// `sstpctl user add alice` into the state store.
    static func addAlice(users: String, directory: URL) throws {
        let add = Process()
        add.executableURL = URL(fileURLWithPath: Command.executable("sstpctl"))
        add.arguments = [
            "user", "add", "alice", "--password-stdin", "--state", users, "--socket", directory.appendingPathComponent("c.sock").path,
        ]
        let input = Pipe()
        add.standardInput = input
        add.standardOutput = FileHandle.nullDevice
        try add.run()
        try? input.fileHandleForWriting.write(contentsOf: Data("alice-password\n".utf8))
        try input.fileHandleForWriting.close()
        add.waitUntilExit()
        #expect(add.terminationStatus == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: users)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sstpd-system-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("sstp-dial pings a host behind sstpd's TUN; a spoofed source is dropped; SIGTERM disconnects and exits")
    func endToEnd() async throws {
        try #require(getuid() == 0, "the system tests create TUN devices and network namespaces: run them as root")
        let network = try TestNetwork(tag: "e", subnet: 1)
        defer { network.tearDownQuietly() }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let daemon = try Self.startDaemon(in: network, directory: directory)
        defer { daemon.signal(SIGKILL) }

        // 1. The real sstp-dial executable, from the root namespace to the gateway's outer address.
        let dial = try Command.run(
            [
                Command.executable("sstp-dial"), "--server", "\(network.gatewayOuterAddress):4443", "--server-name",
                Fixtures.serverName, "--ca", Fixtures.caFile, "--user", "alice", "--password", "alice-password",
                "--check", "--ping", network.hostAddress, "--count", "3",
            ])
        #expect(dial.contains("binding SHA-256"))
        #expect(dial.contains("3 sent, 3 received"))

        // 2. A client in this process: genuine echo requests reach the real host; a spoofed one does not.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = DialConfiguration(
            host: network.gatewayOuterAddress, port: 4443, serverName: Fixtures.serverName, caFile: Fixtures.caFile,
            username: "alice", password: "alice-password", timeoutSeconds: 10)
        let tunnel = try await SSTPDialer.connect(configuration, group: group, logger: quietLogger)
        let replies = Mailbox<UInt16>()
        tunnel.onPackets { packets in
            for packet in packets {
                if let (_, echo) = try? ICMPEcho.parseIPv4(packet), echo.kind == .echoReply {
                    replies.put(echo.sequenceNumber)
                }
            }
        }
        func echo(from source: UInt32, sequence: UInt16) -> ByteBuffer {
            ICMPEcho(kind: .echoRequest, identifier: 99, sequenceNumber: sequence, payload: ByteBuffer(bytes: [9, 9, 9, 9]))
                .makeIPv4Packet(source: source, destination: IPv4Address(network.hostAddress)!.value)
        }
        tunnel.send([echo(from: tunnel.info.address.value, sequence: 1)])
        let first = await replies.next(within: 10)
        #expect(first == 1)
        let before = try network.hostReceivedEchoRequests()
        tunnel.send([echo(from: IPv4Address(10, 77, 0, 250).value, sequence: 2)])
        tunnel.send([echo(from: tunnel.info.address.value, sequence: 3)])
        let second = await replies.next(within: 10)
        #expect(second == 3)
        let after = try network.hostReceivedEchoRequests()
        #expect(after - before == 1, "only the genuine echo request may reach the host")

        // 3. SIGTERM: Call Disconnect to the live session, then exit within 5 s.
        daemon.signal(SIGTERM)
        try await withTimeout(10, "client sees the disconnect") { try await tunnel.closeFuture.get() }
        let status = daemon.waitForExit(timeout: 5)
        #expect(status == 0)
        let log = daemon.output.joined(separator: "\n")
        #expect(log.contains("spoofed-dropped=1"))
        #expect(log.contains("shutting down"))
        #expect(log.contains("disconnected"))
        try await group.shutdownGracefully()
    }
}
