import AddressPool
import Foundation
import IPPackets
import NIOCore
import SSTPClient
import SSTPServer
import TUNDevice
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sstp-dial bench --traffic-peer`: the template packet, the options, the report, and real traffic through an
/// in-process gateway whose device is a TUN interface in a namespace of its own, with the peer socket in it.
@Suite("Load generator traffic (sstp-dial bench --traffic-peer)")
struct BenchTrafficTests {
    // MARK: The template packet

    @Test("the template's IPv4 header: the RFC 1071 / Wikipedia example header checksums to 0xB861")
    func headerChecksumKnownAnswer() throws {
        // 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8 00c7 → b861.
        let packet = BenchPacket.udp(
            source: IPv4Address(192, 168, 0, 1), sourcePort: 40_000, destination: IPv4Address(192, 168, 0, 199),
            destinationPort: 9, size: 0x73)
        #expect(packet.readableBytes == 0x73)
        let header = try #require(packet.getBytes(at: 0, length: 20))
        #expect(
            header == [
                0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xB8, 0x61, 0xC0, 0xA8, 0x00, 0x01, 0xC0,
                0xA8, 0x00, 0xC7,
            ])
        // A header carrying its checksum sums to zero, and IPPackets' parser agrees.
        #expect(BenchPacket.headerChecksum(packet) == 0)
        let parsed = try IPv4Packet(parsing: packet)
        #expect(parsed.isHeaderChecksumValid)
        #expect(parsed.header.protocol == .udp)
        // UDP: ports 40000 → 9, length 0x73 − 20 = 0x5F, checksum 0 (none); zero payload.
        #expect(packet.getBytes(at: 20, length: 8) == [0x9C, 0x40, 0x00, 0x09, 0x00, 0x5F, 0x00, 0x00])
        #expect(packet.getBytes(at: 28, length: 0x73 - 28)?.allSatisfy { $0 == 0 } == true)
    }

    @Test("templates of every allowed size carry a valid header checksum", arguments: [64, 576, 1400, 1500])
    func templateSizes(size: Int) throws {
        let packet = BenchPacket.udp(
            source: IPv4Address(10, 77, 0, 9), sourcePort: BenchTrafficConfiguration.sessionPort,
            destination: IPv4Address(10, 78, 0, 2), destinationPort: 5001, size: size)
        let parsed = try IPv4Packet(parsing: packet)
        #expect(parsed.isHeaderChecksumValid)
        #expect(Int(parsed.header.totalLength) == size)
        #expect(parsed.header.source == IPv4Address(10, 77, 0, 9).value)
    }

    // MARK: Options

    @Test(
        "--traffic-peer is IPv4ADDRESS:PORT",
        arguments: [
            ("10.78.0.2:9", "10.78.0.2", 9),
            ("127.0.0.1:65535", "127.0.0.1", 65535),
            ("10.78.0.2", nil, nil),
            ("10.78.0.2:0", nil, nil),
            ("10.78.0.2:65536", nil, nil),
            ("10.78.0.256:9", nil, nil),
            ("host:9", nil, nil),
            (":9", nil, nil),
            ("10.78.0.2:9:1", nil, nil),
        ] as [(String, String?, Int?)])
    func peerParsing(text: String, address: String?, port: Int?) {
        let parsed = BenchTrafficConfiguration.parsePeer(text)
        #expect(parsed?.address.description == address)
        #expect(parsed.map { Int($0.port) } == port)
    }

    @Test("traffic settings are checked: size, rate, duration, namespace name")
    func validation() {
        let valid = BenchTrafficConfiguration(peerAddress: IPv4Address(10, 78, 0, 2), peerPort: 9, peerNetns: "host")
        #expect(valid.problem == nil)
        #expect(valid.packetSize == 1400 && valid.packetRate == 0 && valid.direction == .both)
        #expect(valid.durationSeconds == 10)
        func problem(_ change: (inout BenchTrafficConfiguration) -> Void) -> String? {
            var configuration = valid
            change(&configuration)
            return configuration.problem
        }
        #expect(problem { $0.packetSize = 63 }?.contains("--packet-size") == true)
        #expect(problem { $0.packetSize = 1501 }?.contains("--packet-size") == true)
        #expect(problem { $0.packetSize = 64 } == nil)
        #expect(problem { $0.packetSize = 1500 } == nil)
        #expect(problem { $0.packetRate = -1 }?.contains("--packet-rate") == true)
        #expect(problem { $0.packetRate = .infinity }?.contains("--packet-rate") == true)
        #expect(problem { $0.packetRate = 1000 } == nil)
        #expect(problem { $0.durationSeconds = 0 }?.contains("--duration") == true)
        #expect(problem { $0.durationSeconds = .nan }?.contains("--duration") == true)
        #expect(problem { $0.peerPort = 0 }?.contains("--traffic-peer") == true)
        for bad in ["", "a/b", "..", "."] {
            #expect(problem { $0.peerNetns = bad }?.contains("--peer-netns") == true, "\(bad)")
        }
        #expect(BenchTrafficDirection(rawValue: "sideways") == nil)
        #expect(BenchTrafficDirection.allCases.map(\.rawValue) == ["up", "down", "both"])
    }

    @Test(
        "the binary refuses bad traffic options with a usage error before dialling",
        arguments: [
            (["--packet-size", "1000"], "--packet-size needs --traffic-peer"),
            (["--traffic-peer", "10.78.0.2"], "--traffic-peer must be"),
            (["--traffic-peer", "10.78.0.2:9", "--direction", "sideways"], "--direction must be up, down or both"),
            (["--traffic-peer", "10.78.0.2:9", "--packet-size", "40"], "--packet-size must be 64–1500"),
            (["--traffic-peer", "10.78.0.2:9", "--duration", "0"], "--duration must be more than 0"),
            (["--traffic-peer", "10.78.0.2:9", "--peer-netns", "a/b"], "--peer-netns must be a namespace name"),
        ] as [([String], String)])
    func binaryValidation(arguments: [String], message: String) throws {
        let failure = #expect(throws: Command.Failure.self) {
            try Command.run(
                [
                    Command.executable("sstp-dial"), "bench", "--server", "127.0.0.1:9", "--insecure", "--user", "u",
                    "--password", "p",
                ] + arguments)
        }
        #expect(failure?.description.contains("exited 64") == true, "\(String(describing: failure))")
        #expect(failure?.description.contains(message) == true, "\(String(describing: failure))")
    }

    // MARK: The report

    @Test("a report with traffic survives a JSON round trip; without traffic the key is absent")
    func reportJSON() throws {
        let traffic = BenchReport.Traffic(
            packetSize: 1400, direction: "both", packetRate: 1000, sessions: 32, durationSeconds: 10.01,
            drainSeconds: 0.32,
            uplink: .init(sent: 320_000, received: 319_000, receivedBytes: 319_000 * 1400, durationSeconds: 10.01),
            downlink: .init(sent: 320_000, received: 320_000, receivedBytes: 320_000 * 1400, durationSeconds: 10.01),
            sstpdCpuSeconds: 4.2, sstpdCpuUsPerPacket: 4.2e6 / 639_000, sstpdRssBeforeKiB: 40_000,
            sstpdRssDuringKiB: 45_000, generatorCpuSeconds: 9.5, generatorCpuUsPerPacket: 9.5e6 / 639_000)
        #expect(traffic.uplink?.lossPercent == 1000.0 / 320_000 * 100)
        #expect(traffic.downlink?.lossPercent == 0)
        #expect(abs(traffic.downlink!.gbitPerSecond - 320_000.0 * 1400 * 8 / 10.01 / 1e9) < 1e-12)
        #expect(abs(traffic.downlink!.packetsPerSecond - 320_000 / 10.01) < 1e-9)
        var report = BenchReport(
            sessions: 32, established: 32, failed: 0, failures: [:], connectsPerSecond: 250, connectPhaseSeconds: 0.13,
            connectMs: .init(p50: 100, p99: 120, max: 125), holdSeconds: 0, aliveAtEnd: 32, sessionsEchoed: 0,
            echoRequests: 0, disconnectSeconds: 0.1, sstpd: nil, traffic: traffic)
        let decoded = try JSONDecoder().decode(BenchReport.self, from: Data(report.json().utf8))
        #expect(decoded == report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let trafficObject = try #require(object["traffic"] as? [String: Any])
        for key in [
            "packetSize", "direction", "packetRate", "sessions", "durationSeconds", "drainSeconds", "uplink", "downlink",
            "sstpdCpuSeconds", "sstpdCpuUsPerPacket", "sstpdRssBeforeKiB", "sstpdRssDuringKiB", "generatorCpuSeconds",
            "generatorCpuUsPerPacket",
        ] {
            #expect(trafficObject[key] != nil, "traffic.\(key) missing")
        }
        let uplink = try #require(trafficObject["uplink"] as? [String: Any])
        #expect(Set(uplink.keys) == ["sent", "received", "lossPercent", "packetsPerSecond", "gbitPerSecond"])
        #expect(report.summary.contains { $0.hasPrefix("uplink: 320000 sent, 319000 received") }, "\(report.summary)")
        #expect(report.summary.contains { $0.contains("µs per packet") }, "\(report.summary)")

        report.traffic = nil
        #expect(!report.json().contains("\"traffic\""))
        #expect(try JSONDecoder().decode(BenchReport.self, from: Data(report.json().utf8)) == report)
    }

    // MARK: End to end

    /// Root, a TUN device and `ip`: what the end-to-end tests need (they fail without them, like the other system tests).
    static let canCreateNamespaces =
        getuid() == 0 && FileManager.default.fileExists(atPath: "/dev/net/tun")
        && ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(
        "4 sessions flat out both ways through a TUN gateway (one queue + reader thread; one queue per event loop; with offloads): packets arrive each way, sessions stay up",
        .timeLimit(.minutes(2)), arguments: [(1, false), (2, false), (1, true), (2, true)])
    func flatOutBothWays(queues: Int, offload: Bool) async throws {
        try #require(Self.canCreateNamespaces, "run the system tests as root with /dev/net/tun and ip")
        let network = try PeerNamespace(tag: "f\(queues)\(offload ? "o" : "")")
        defer { network.remove() }
        let device = try await network.makeGatewayDevice(queues: queues, offload: offload)
        defer { device.close() }  // also when the test fails early (the gateway's stop closes it otherwise; idempotent)
        #expect(device.queues.count == queues)
        #expect(device.tun.offload == offload)
        let gateway = try await InProcessGateway.start(packetDevice: device)
        let report = try await BenchMode.run(
            BenchConfiguration(
                dial: gateway.dialConfiguration(), sessions: 4, parallel: 4, gatewayPID: getpid(), settleSeconds: 0,
                traffic: BenchTrafficConfiguration(
                    peerAddress: network.peerAddress, peerPort: 9, peerNetns: network.name, packetSize: 1000,
                    durationSeconds: 1)),
            threads: 2, logger: quietLogger)

        #expect(report.ok, "\(report.summary)")
        #expect(report.aliveAtEnd == 4)
        #expect(report.failures.isEmpty, "\(report.failures)")
        let traffic = try #require(report.traffic, "\(report.summary)")
        #expect(traffic.sessions == 4)
        #expect(traffic.packetSize == 1000 && traffic.direction == "both" && traffic.packetRate == 0)
        #expect(traffic.durationSeconds >= 1)
        let uplink = try #require(traffic.uplink)
        let downlink = try #require(traffic.downlink)
        for direction in [uplink, downlink] {
            #expect(direction.sent > 0, "\(report.summary)")
            #expect(direction.received > 0, "\(report.summary)")
            #expect(direction.received <= direction.sent, "\(report.summary)")
            #expect(direction.gbitPerSecond > 0 && direction.packetsPerSecond > 0)
        }
        // The gateway is this process here, so its figures and the generator's are both present.
        #expect(traffic.sstpdCpuSeconds != nil)
        #expect(traffic.sstpdCpuUsPerPacket != nil)
        #expect(traffic.sstpdRssDuringKiB ?? 0 > 0)
        #expect(traffic.generatorCpuUsPerPacket != nil)
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()
    }

    @Test(
        "the binary: 2 sessions paced uplink only; the JSON has uplink counts and no downlink", .timeLimit(.minutes(2)))
    func binaryPacedUplink() async throws {
        try #require(Self.canCreateNamespaces, "run the system tests as root with /dev/net/tun and ip")
        let network = try PeerNamespace(tag: "b")
        defer { network.remove() }
        let gateway = try await InProcessGateway.start(packetDevice: try await network.makeGatewayDevice())
        let output = try Command.run([
            Command.executable("sstp-dial"), "bench", "--server", "127.0.0.1:\(gateway.port)", "--server-name",
            Fixtures.serverName, "--ca", Fixtures.caFile, "--user", "alice", "--password", "alice-password",
            "--sessions", "2", "--traffic-peer", "\(network.peerAddress):5001", "--peer-netns", network.name,
            "--direction", "up", "--packet-rate", "200", "--packet-size", "200", "--duration", "1", "--json",
        ])
        let start = try #require(output.firstIndex(of: "{"), "no JSON in: \(output)")
        let report = try JSONDecoder().decode(BenchReport.self, from: Data(output[start...].utf8))
        #expect(report.ok, "\(output)")
        let traffic = try #require(report.traffic)
        #expect(traffic.direction == "up" && traffic.packetRate == 200 && traffic.packetSize == 200)
        #expect(traffic.downlink == nil)
        let uplink = try #require(traffic.uplink)
        #expect(uplink.sent > 0 && uplink.received > 0, "\(output)")
        #expect(uplink.received <= uplink.sent)
        // Without --sstpd-pid there are no gateway figures, but the generator's own are there.
        #expect(traffic.sstpdCpuSeconds == nil)
        #expect(traffic.generatorCpuUsPerPacket != nil)
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()
    }

    @Test(
        "a peer namespace that does not exist fails the run before any session is opened")
    func missingNamespace() async throws {
        try #require(Self.canCreateNamespaces, "run the system tests as root with /dev/net/tun and ip")
        let gateway = try await InProcessGateway.start()
        let error = await #expect(throws: BenchError.self) {
            try await BenchMode.run(
                BenchConfiguration(
                    dial: gateway.dialConfiguration(), sessions: 1,
                    traffic: BenchTrafficConfiguration(
                        peerAddress: IPv4Address(10, 78, 0, 2), peerPort: 9, peerNetns: "no-such-ns-\(getpid())")),
                threads: 1, logger: quietLogger)
        }
        #expect(error?.description.contains("--peer-netns") == true, "\(String(describing: error))")
        #expect(gateway.server.state.sessions().isEmpty)
        try await gateway.stop()
    }
}

/// A network namespace holding the gateway's TUN device (10.77.0.1/24, the in-process gateway's pool) and the
/// traffic peer's address (10.78.0.2/32 on lo): uplink the gateway writes to the TUN is delivered locally to the
/// peer socket; downlink the peer sends to 10.77.0.x is routed into the TUN, where the gateway reads it.
private final class PeerNamespace: Sendable {
    let name: String
    let peerAddress = IPv4Address(10, 78, 0, 2)

    init(tag: String) throws {
        name = "sbt\(tag)\(getpid() % 100_000)"
        remove()
        try Command.run(["ip", "netns", "add", name])
        do {
            try Command.run(["ip", "-n", name, "link", "set", "lo", "up"])
            try Command.run(["ip", "-n", name, "addr", "add", "\(peerAddress)/32", "dev", "lo"])
            try Command.run([
                "ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ])
        } catch {
            remove()
            throw error
        }
    }

    /// Creates the gateway's TUN device inside the namespace, on a thread that enters it (only that thread moves).
    func makeGatewayDevice(queues: Int = 1, offload: Bool = false) async throws -> TUNPacketDevice {
        try await inNamespace(name) {
            try TUNPacketDevice(
                name: "sstp0", gateway: IPv4Address(10, 77, 0, 1).value, prefixLength: 24, mtu: 1500, queues: queues,
                offload: offload)
        }
    }

    func remove() {
        _ = try? Command.run(["ip", "netns", "del", name], allowFailure: true)
    }
}
