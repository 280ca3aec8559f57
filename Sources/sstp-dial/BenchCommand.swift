import ArgumentParser
import Foundation
import SSTPClient

#if canImport(Glibc)
import Glibc
#endif

/// `sstp-dial bench`: many sessions against one gateway, with connect statistics and the gateway's CPU and memory.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Open many sessions, hold them idle, optionally push traffic, hang up, and report connect and gateway figures.",
        discussion: """
            Opens --sessions sessions (MS-CHAPv2, or EAP-TLS with --cert), starting --rate per second (0: as fast \
            as --parallel allows), holds them --hold seconds with only SSTP echoes, checks every one is still up, \
            disconnects all and reports. With --sstpd-pid, also the gateway's CPU time and RSS from /proc. With \
            --traffic-peer, after the hold every session exchanges UDP packets of --packet-size bytes with a host \
            behind the gateway (the peer socket, bound to ADDR:PORT, in namespace --peer-netns if given) for \
            --duration seconds, in --direction, at --packet-rate per session each way (0: flat out), and the report \
            gives Gbit/s, packets/s and loss each way and the CPU µs per packet of the gateway and of this process. \
            Exits non-zero if any session failed to connect or died during the hold or the traffic. See docs/bench.md.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "Sessions to open.") var sessions: Int = 100
    @Option(name: .long, help: "Connection attempts started per second (0 = as fast as --parallel allows).")
    var rate: Double = 0
    @Option(name: .long, help: "Connection attempts in flight at once.") var parallel: Int = 64
    @Option(name: .long, help: "Seconds to hold the sessions open (idle: only SSTP echoes).") var hold: Double = 0
    @Option(
        name: .customLong("source-addresses"),
        help: "Local addresses to bind, in turn: A.B.C.D-A.B.C.E and/or comma-separated (e.g. 127.0.0.2-127.0.0.250).")
    var sourceAddresses: String?
    @Option(name: .customLong("sstpd-pid"), help: "sstpd's process id: report its CPU time and RSS from /proc.")
    var sstpdPID: Int32?
    @Option(name: .long, help: "With --sstpd-pid: seconds to wait at most for its memory to settle after disconnect.")
    var settle: Double = 10
    @Option(name: .long, help: "Event loop threads for the sessions (default: one per core).") var threads: Int?
    @Option(name: .customLong("log-level"), help: "Client log level (per-session lines are at info and above).")
    var logLevel: String = "warning"
    @Option(
        name: .customLong("traffic-peer"),
        help: "ADDR:PORT of the host behind the gateway that sinks uplink and sources downlink UDP (enables traffic).")
    var trafficPeer: String?
    @Option(
        name: .customLong("peer-netns"),
        help: "With --traffic-peer: the network namespace (/var/run/netns/NAME) to create the peer socket in.")
    var peerNetns: String?
    @Option(name: .customLong("packet-size"), help: "With --traffic-peer: IP packet size in bytes, 64–1500 (default 1400).")
    var packetSize: Int?
    @Option(
        name: .customLong("packet-rate"),
        help: "With --traffic-peer: packets per second per session per direction (0 = flat out, the default).")
    var packetRate: Double?
    @Option(name: .long, help: "With --traffic-peer: up, down or both (default both).") var direction: String?
    @Option(name: .long, help: "With --traffic-peer: seconds of traffic (default 10).") var duration: Double?
    @Flag(name: .long, help: "Print the report as JSON on standard output (progress goes to standard error).")
    var json = false

    func validate() throws {
        guard sessions >= 1 else { throw ValidationError("--sessions must be at least 1") }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard hold >= 0, hold.isFinite else { throw ValidationError("--hold must be 0 or more") }
        guard settle >= 0, settle.isFinite else { throw ValidationError("--settle must be 0 or more") }
        if let threads { guard threads >= 1 else { throw ValidationError("--threads must be at least 1") } }
        _ = try trafficConfiguration()
    }

    /// The traffic options as a configuration (nil without --traffic-peer); throws a usage error for bad values or
    /// for traffic options given without --traffic-peer.
    func trafficConfiguration() throws -> BenchTrafficConfiguration? {
        guard let trafficPeer else {
            let given = [
                ("--peer-netns", peerNetns != nil), ("--packet-size", packetSize != nil),
                ("--packet-rate", packetRate != nil), ("--direction", direction != nil), ("--duration", duration != nil),
            ].filter(\.1).map(\.0)
            if let first = given.first { throw ValidationError("\(first) needs --traffic-peer") }
            return nil
        }
        guard let (address, port) = BenchTrafficConfiguration.parsePeer(trafficPeer) else {
            throw ValidationError("--traffic-peer must be IPv4ADDRESS:PORT (port 1–65535), not \(trafficPeer)")
        }
        var traffic = BenchTrafficConfiguration(peerAddress: address, peerPort: port, peerNetns: peerNetns)
        if let packetSize { traffic.packetSize = packetSize }
        if let packetRate { traffic.packetRate = packetRate }
        if let duration { traffic.durationSeconds = duration }
        if let direction {
            guard let parsed = BenchTrafficDirection(rawValue: direction) else {
                throw ValidationError("--direction must be up, down or both, not \(direction)")
            }
            traffic.direction = parsed
        }
        if let problem = traffic.problem { throw ValidationError(problem) }
        return traffic
    }

    func run() async throws {
        var sources: BenchConfiguration.SourceAddresses = []
        if let sourceAddresses {
            guard let parsed = BenchConfiguration.parseSourceAddresses(sourceAddresses) else {
                throw ValidationError("--source-addresses: not an address, range or list: \(sourceAddresses)")
            }
            sources = parsed
        }
        let dial = try connection.dialConfiguration()
        let limit = Self.raiseOpenFileLimit()
        if limit < UInt64(sessions) + 64 {
            Self.progress("warning: only \(limit) open files allowed; \(sessions) sessions need about \(sessions + 64)")
        }
        let report: BenchReport
        do {
            report = try await BenchMode.run(
                BenchConfiguration(
                    dial: dial, sessions: sessions, rate: rate, parallel: parallel, holdSeconds: hold,
                    sourceAddresses: sources, gatewayPID: sstpdPID, settleSeconds: settle,
                    traffic: try trafficConfiguration()),
                threads: threads, logger: ConnectionOptions.logger(level: logLevel), progress: Self.progress)
        } catch {
            throw ValidationError("\(error)")
        }
        if json {
            print(report.json())
        } else {
            for line in report.summary { print(line) }
        }
        if !report.ok { throw ExitCode.failure }
    }

    @Sendable static func progress(_ line: String) {
        FileHandle.standardError.write(Data(("bench: " + line + "\n").utf8))
    }

    /// Raises the soft open-file limit to the hard one (each session is a socket); returns the soft limit now.
    static func raiseOpenFileLimit() -> UInt64 {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
    }
}
