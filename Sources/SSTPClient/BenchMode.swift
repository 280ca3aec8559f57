import AddressPool
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TLSEngine

#if canImport(Glibc)
import Glibc
#endif

/// What `sstp-dial bench` does: open many sessions at a chosen rate, hold them idle (only SSTP echoes), optionally
/// push UDP traffic through them to and from a host behind the gateway, check they all survived, hang up, and report.
public struct BenchConfiguration: Sendable {
    public typealias SourceAddresses = [IPv4Address]

    /// Every session dials with this (one user, one secret).
    public var dial: DialConfiguration
    /// Sessions to open.
    public var sessions: Int
    /// Connection attempts started per second; 0 = as fast as `parallel` allows.
    public var rate: Double
    /// Attempts in flight at once (TCP connect to tunnel up, or failure).
    public var parallel: Int
    /// How long to hold the sessions open once every attempt has finished.
    public var holdSeconds: Double
    /// Local addresses the sessions bind to, in turn; empty = the kernel chooses. Each address gives its own
    /// ephemeral port range (~28k on Linux's default), so many are needed only for very many sessions.
    public var sourceAddresses: [IPv4Address]
    /// The gateway's process, for CPU and memory figures from `/proc`; nil = none.
    public var gatewayPID: Int32?
    /// After the last session is gone, how long to wait at most for the gateway's memory to fall back within 10 %
    /// of where it started (polled every 100 ms).
    public var settleSeconds: Double
    /// After the hold: traffic between the sessions and a peer behind the gateway; nil = none.
    public var traffic: BenchTrafficConfiguration?

    public init(
        dial: DialConfiguration, sessions: Int, rate: Double = 0, parallel: Int = 64, holdSeconds: Double = 0,
        sourceAddresses: [IPv4Address] = [], gatewayPID: Int32? = nil, settleSeconds: Double = 10,
        traffic: BenchTrafficConfiguration? = nil
    ) {
        self.dial = dial
        self.sessions = sessions
        self.rate = rate
        self.parallel = parallel
        self.holdSeconds = holdSeconds
        self.sourceAddresses = sourceAddresses
        self.gatewayPID = gatewayPID
        self.settleSeconds = settleSeconds
        self.traffic = traffic
    }

    /// Parses `127.0.0.2-127.0.0.250`, `127.0.0.2,127.0.0.3` or a mix; nil if anything is not an IPv4 address or a
    /// range runs backwards.
    public static func parseSourceAddresses(_ text: String) -> [IPv4Address]? {
        var addresses: [IPv4Address] = []
        for part in text.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = IPv4Address(bounds[0]) else { return nil }
            let last = bounds.count == 2 ? IPv4Address(bounds[1]) : first
            guard let last, first.value <= last.value, last.value - first.value < 1 << 20 else { return nil }
            addresses += (first.value...last.value).map { IPv4Address($0) }
        }
        return addresses.isEmpty ? nil : addresses
    }
}

/// The outcome of a bench run; `--json` prints it as is.
public struct BenchReport: Sendable, Codable, Equatable {
    /// Milliseconds from TCP connect to IPCP up with Call Connected sent (`TunnelInfo.connectMilliseconds`), over
    /// the sessions that came up; nearest-rank percentiles.
    public struct ConnectTimes: Sendable, Codable, Equatable {
        public var p50: Double
        public var p99: Double
        public var max: Double

        public init(p50: Double, p99: Double, max: Double) {
            self.p50 = p50
            self.p99 = p99
            self.max = max
        }
    }

    /// The gateway process, sampled from `/proc/PID` before connecting (`before`), once every attempt has finished
    /// (`up`), at the end of the hold, and once memory settled after the last session closed (`after`).
    public struct Gateway: Sendable, Codable, Equatable {
        public var pid: Int32
        /// CPU (user + system, all threads) from before connecting to after settling.
        public var cpuSeconds: Double
        /// Of that: while connecting; per established session; during the hold; while disconnecting and settling.
        public var cpuConnectSeconds: Double
        public var cpuMsPerConnect: Double?
        public var cpuHoldSeconds: Double
        public var cpuDisconnectSeconds: Double
        public var rssBeforeKiB: Int
        public var rssUpKiB: Int
        public var rssAfterKiB: Int
        /// (rssUp − rssBefore) / established.
        public var rssPerSessionKiB: Double?
        /// Whether RSS fell back to within 10 % of `rssBeforeKiB` within the settle time.
        public var memoryReturned: Bool
        /// Seconds from the last session closing to the `after` sample.
        public var settleSeconds: Double
    }

    /// The traffic phase (`--traffic-peer`): UDP of one IP size between every session and a peer behind the gateway,
    /// each way, counted where it was sent and where it arrived.
    public struct Traffic: Sendable, Codable, Equatable {
        /// One direction's counts. Uplink is sent by the sessions and received by the peer; downlink the reverse.
        public struct Direction: Sendable, Codable, Equatable {
            /// Packets handed to the tunnel (uplink: SSTP writes of the client) or to the kernel (downlink: sendmmsg).
            public var sent: Int
            /// Packets that arrived: at the peer's socket (uplink), out of the sessions' tunnels (downlink).
            public var received: Int
            /// (sent − received) / sent × 100; 0 when nothing was sent.
            public var lossPercent: Double
            /// received / durationSeconds.
            public var packetsPerSecond: Double
            /// Received IP bytes × 8 / durationSeconds / 10⁹.
            public var gbitPerSecond: Double

            public init(sent: Int, received: Int, receivedBytes: Int, durationSeconds: Double) {
                self.sent = sent
                self.received = received
                self.lossPercent = sent > 0 ? Double(sent - received) / Double(sent) * 100 : 0
                self.packetsPerSecond = durationSeconds > 0 ? Double(received) / durationSeconds : 0
                self.gbitPerSecond = durationSeconds > 0 ? Double(receivedBytes) * 8 / durationSeconds / 1e9 : 0
            }
        }

        /// IP packet size in bytes (both ways).
        public var packetSize: Int
        /// "up", "down" or "both".
        public var direction: String
        /// Packets per second per session per direction; 0 = flat out.
        public var packetRate: Double
        /// Sessions that carried traffic (those still up when it started).
        public var sessions: Int
        /// Seconds from starting the senders to all of them having stopped.
        public var durationSeconds: Double
        /// Seconds spent afterwards waiting for packets still in flight (until the counts stood still for 300 ms).
        public var drainSeconds: Double
        public var uplink: Direction?
        public var downlink: Direction?
        /// The gateway (`--sstpd-pid`) from the start of the traffic phase to the end of the drain: CPU seconds, and
        /// per packet that arrived (uplink received + downlink received), in µs.
        public var sstpdCpuSeconds: Double?
        public var sstpdCpuUsPerPacket: Double?
        /// The gateway's VmRSS before the senders started and just before they stopped.
        public var sstpdRssBeforeKiB: Int?
        public var sstpdRssDuringKiB: Int?
        /// This process (the sessions and the peer: the load generator), the same way.
        public var generatorCpuSeconds: Double
        public var generatorCpuUsPerPacket: Double?

        public init(
            packetSize: Int, direction: String, packetRate: Double, sessions: Int, durationSeconds: Double,
            drainSeconds: Double, uplink: Direction?, downlink: Direction?, sstpdCpuSeconds: Double?,
            sstpdCpuUsPerPacket: Double?, sstpdRssBeforeKiB: Int?, sstpdRssDuringKiB: Int?,
            generatorCpuSeconds: Double, generatorCpuUsPerPacket: Double?
        ) {
            self.packetSize = packetSize
            self.direction = direction
            self.packetRate = packetRate
            self.sessions = sessions
            self.durationSeconds = durationSeconds
            self.drainSeconds = drainSeconds
            self.uplink = uplink
            self.downlink = downlink
            self.sstpdCpuSeconds = sstpdCpuSeconds
            self.sstpdCpuUsPerPacket = sstpdCpuUsPerPacket
            self.sstpdRssBeforeKiB = sstpdRssBeforeKiB
            self.sstpdRssDuringKiB = sstpdRssDuringKiB
            self.generatorCpuSeconds = generatorCpuSeconds
            self.generatorCpuUsPerPacket = generatorCpuUsPerPacket
        }
    }

    public var sessions: Int
    public var established: Int
    public var failed: Int
    /// Why attempts failed, and why established sessions died during the hold ("died: ..."), with counts.
    public var failures: [String: Int]
    /// Established sessions per second of the connect phase (first attempt started → last attempt finished).
    public var connectsPerSecond: Double
    public var connectPhaseSeconds: Double
    public var connectMs: ConnectTimes?
    public var holdSeconds: Double
    /// Established sessions still connected at the end of the hold.
    public var aliveAtEnd: Int
    /// Sessions that received (and so answered) at least one SSTP Echo Request, and the requests in all.
    public var sessionsEchoed: Int
    public var echoRequests: Int
    /// Seconds from starting to hang up to the last session closing.
    public var disconnectSeconds: Double
    public var sstpd: Gateway?
    /// With `--traffic-peer`: the traffic phase.
    public var traffic: Traffic?

    public init(
        sessions: Int, established: Int, failed: Int, failures: [String: Int], connectsPerSecond: Double,
        connectPhaseSeconds: Double, connectMs: ConnectTimes?, holdSeconds: Double, aliveAtEnd: Int,
        sessionsEchoed: Int, echoRequests: Int, disconnectSeconds: Double, sstpd: Gateway?, traffic: Traffic? = nil
    ) {
        self.sessions = sessions
        self.established = established
        self.failed = failed
        self.failures = failures
        self.connectsPerSecond = connectsPerSecond
        self.connectPhaseSeconds = connectPhaseSeconds
        self.connectMs = connectMs
        self.holdSeconds = holdSeconds
        self.aliveAtEnd = aliveAtEnd
        self.sessionsEchoed = sessionsEchoed
        self.echoRequests = echoRequests
        self.disconnectSeconds = disconnectSeconds
        self.sstpd = sstpd
        self.traffic = traffic
    }

    /// Every session came up and was still up at the end of the hold (and of the traffic phase).
    public var ok: Bool { failed == 0 && established == sessions && aliveAtEnd == established }

    /// Stable, sorted JSON (one object, then a newline).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The human summary, one line per figure.
    public var summary: [String] {
        func f(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        var lines = ["sessions \(sessions): \(established) established, \(failed) failed"]
        lines.append("connects: \(f(connectsPerSecond)) per second (\(established) in \(f(connectPhaseSeconds, 2)) s)")
        if let connectMs {
            lines.append(
                "connect time (TCP connect → Call Connected): p50 \(f(connectMs.p50)) ms, "
                    + "p99 \(f(connectMs.p99)) ms, max \(f(connectMs.max)) ms")
        }
        lines.append(
            "hold \(f(holdSeconds)) s: \(aliveAtEnd) of \(established) alive at the end; \(sessionsEchoed) answered "
                + "SSTP echoes (\(echoRequests) in all)")
        lines.append("disconnect: all closed in \(f(disconnectSeconds, 2)) s")
        if let g = sstpd {
            lines.append(
                "sstpd CPU: \(f(g.cpuSeconds, 2)) s in all; connecting \(f(g.cpuConnectSeconds, 2)) s"
                    + (g.cpuMsPerConnect.map { " (\(f($0, 2)) ms per session)" } ?? "")
                    + ", hold \(f(g.cpuHoldSeconds, 2)) s, disconnect \(f(g.cpuDisconnectSeconds, 2)) s")
            lines.append(
                "sstpd RSS: \(g.rssBeforeKiB) KiB before, \(g.rssUpKiB) KiB with the sessions up"
                    + (g.rssPerSessionKiB.map { " (\(f($0)) KiB per session)" } ?? "")
                    + ", \(g.rssAfterKiB) KiB after; back within 10 %: \(g.memoryReturned ? "yes" : "no") "
                    + "(\(f(g.settleSeconds)) s after the last close)")
        }
        if let t = traffic {
            let rate = t.packetRate == 0 ? "flat out" : "\(f(t.packetRate, 0)) packets/s per session each way"
            lines.append(
                "traffic: \(t.packetSize)-byte IP packets, \(t.direction), \(rate), \(t.sessions) sessions, "
                    + "\(f(t.durationSeconds, 2)) s (drained \(f(t.drainSeconds, 2)) s)")
            for (name, d) in [("uplink", t.uplink), ("downlink", t.downlink)] {
                guard let d else { continue }
                lines.append(
                    "\(name): \(d.sent) sent, \(d.received) received (loss \(f(d.lossPercent, 2)) %), "
                        + "\(f(d.packetsPerSecond, 0)) packets/s, \(f(d.gbitPerSecond, 3)) Gbit/s")
            }
            if let cpu = t.sstpdCpuSeconds {
                lines.append(
                    "sstpd during traffic: CPU \(f(cpu, 2)) s"
                        + (t.sstpdCpuUsPerPacket.map { " (\(f($0, 2)) µs per packet)" } ?? "")
                        + (t.sstpdRssBeforeKiB.map { ", RSS \($0) KiB" } ?? "")
                        + (t.sstpdRssDuringKiB.map { " → \($0) KiB" } ?? ""))
            }
            lines.append(
                "generator (sstp-dial) during traffic: CPU \(f(t.generatorCpuSeconds, 2)) s"
                    + (t.generatorCpuUsPerPacket.map { " (\(f($0, 2)) µs per packet)" } ?? ""))
        }
        let byCount = failures.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        for (reason, count) in byCount {
            lines.append("failure: \(count) × \(reason)")
        }
        return lines
    }
}

/// The load generator behind `sstp-dial bench`.
public enum BenchMode {
    /// Runs one bench on an event loop group of its own (`threads`, default one per core), shut down afterwards.
    public static func run(
        _ configuration: BenchConfiguration, threads: Int?, logger: Logger,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> BenchReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads ?? System.coreCount)
        do {
            let report = try await run(configuration, group: group, logger: logger, progress: progress)
            try? await group.shutdownGracefully()
            return report
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Runs one bench. Throws only if it cannot start (the CA file does not load, the gateway's /proc is
    /// unreadable, the traffic peer's namespace or address is unusable); failed sessions are in the report. `progress` gets a line per phase.
    public static func run(
        _ configuration: BenchConfiguration, group: any EventLoopGroup, logger: Logger,
        progress: @Sendable (String) -> Void = { _ in }
    ) async throws -> BenchReport {
        let dial = configuration.dial
        let tlsContext = try TLSContext.client(trustRootsFile: dial.caFile, verifyPeer: dial.caFile != nil)
        let pid = configuration.gatewayPID
        var before: BenchProcessSample?
        if let pid {
            before = BenchProcessSample.read(pid: pid)
            guard before != nil else { throw BenchError("cannot read /proc/\(pid)/stat and status") }
        }
        let clock = ContinuousClock()
        // The peer first: a bad --traffic-peer or --peer-netns fails before any session is opened.
        let peer: BenchPeer?
        if let traffic = configuration.traffic {
            peer = try await BenchPeer.open(
                address: traffic.peerAddress, port: traffic.peerPort, netns: traffic.peerNetns)
        } else {
            peer = nil
        }

        // Connect.
        let rate = configuration.rate == 0 ? "unlimited" : "\(configuration.rate)/s"
        progress(
            "connecting \(configuration.sessions) sessions (rate \(rate), at most \(configuration.parallel) at once)")
        let connectStart = clock.now
        let outcomes = await connectAll(configuration, tlsContext: tlsContext, group: group, logger: logger)
        let connectPhase = seconds(clock.now - connectStart)
        let up = pid.flatMap(BenchProcessSample.read(pid:))
        var tunnels: [(TunnelConnection, BenchSessionProbe)] = []
        var failures: [String: Int] = [:]
        for outcome in outcomes {
            switch outcome {
            case .success(let session): tunnels.append(session)
            case .failure(let error): failures[reason(error), default: 0] += 1
            }
        }
        let connectTimes = tunnels.map(\.0.info.connectMilliseconds).sorted()
        progress(
            "\(tunnels.count) up, \(outcomes.count - tunnels.count) failed in \(String(format: "%.2f", connectPhase)) s")

        // Hold.
        if configuration.holdSeconds > 0 {
            progress("holding for \(configuration.holdSeconds) s")
            try? await Task.sleep(for: .milliseconds(Int64(configuration.holdSeconds * 1000)))
        }
        let endOfHold = pid.flatMap(BenchProcessSample.read(pid:))

        // Traffic.
        var trafficReport: BenchReport.Traffic?
        var endOfTraffic: BenchProcessSample?
        if let traffic = configuration.traffic, let peer {
            let (report, trafficFailures) = await runTraffic(
                traffic, peer: peer, tunnels: tunnels, gatewayPID: pid, progress: progress)
            trafficReport = report
            failures.merge(trafficFailures, uniquingKeysWith: +)
            endOfTraffic = pid.flatMap(BenchProcessSample.read(pid:))
        }
        await peer?.close()

        var alive = 0
        for (tunnel, _) in tunnels {
            if tunnel.channel.isActive {
                alive += 1
            } else {
                failures["died: " + (await tunnel.waitForClose() ?? "closed"), default: 0] += 1
            }
        }
        let echoCounts = tunnels.map { $0.1.echoRequests.load(ordering: .relaxed) }

        // Disconnect, then let the gateway settle.
        progress("disconnecting")
        let disconnectStart = clock.now
        await withTaskGroup(of: Void.self) { group in
            for (tunnel, _) in tunnels { group.addTask { await tunnel.disconnect() } }
        }
        let lastClose = clock.now
        var gateway: BenchReport.Gateway?
        if let pid, let before, let up, let endOfHold {
            let established = Double(tunnels.count)
            var after = BenchProcessSample.read(pid: pid) ?? endOfHold
            let deadline = lastClose + .milliseconds(Int64(configuration.settleSeconds * 1000))
            while Double(after.rssKiB) > Double(before.rssKiB) * 1.1 && clock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
                guard let sample = BenchProcessSample.read(pid: pid) else { break }
                after = sample
            }
            gateway = BenchReport.Gateway(
                pid: pid, cpuSeconds: after.cpuSeconds - before.cpuSeconds,
                cpuConnectSeconds: up.cpuSeconds - before.cpuSeconds,
                cpuMsPerConnect: tunnels.isEmpty ? nil : (up.cpuSeconds - before.cpuSeconds) * 1000 / established,
                cpuHoldSeconds: endOfHold.cpuSeconds - up.cpuSeconds,
                cpuDisconnectSeconds: after.cpuSeconds - (endOfTraffic ?? endOfHold).cpuSeconds,
                rssBeforeKiB: before.rssKiB, rssUpKiB: up.rssKiB, rssAfterKiB: after.rssKiB,
                rssPerSessionKiB: tunnels.isEmpty ? nil : Double(up.rssKiB - before.rssKiB) / established,
                memoryReturned: Double(after.rssKiB) <= Double(before.rssKiB) * 1.1,
                settleSeconds: seconds(clock.now - lastClose))
        }
        return BenchReport(
            sessions: configuration.sessions, established: tunnels.count, failed: outcomes.count - tunnels.count,
            failures: failures, connectsPerSecond: connectPhase > 0 ? Double(tunnels.count) / connectPhase : 0,
            connectPhaseSeconds: connectPhase,
            connectMs: connectTimes.isEmpty
                ? nil
                : .init(
                    p50: percentile(connectTimes, 0.50), p99: percentile(connectTimes, 0.99), max: connectTimes.last!),
            holdSeconds: configuration.holdSeconds, aliveAtEnd: alive,
            sessionsEchoed: echoCounts.filter { $0 > 0 }.count, echoRequests: echoCounts.reduce(0, +),
            disconnectSeconds: seconds(lastClose - disconnectStart), sstpd: gateway, traffic: trafficReport)
    }

    /// The traffic phase: count downlink in every live session, start the uplink senders (one per session, on its
    /// event loop) and the peer's downlink sender, run for the duration, stop the senders, drain, and report.
    /// Returns failure reasons for a direction that sent but received nothing.
    private static func runTraffic(
        _ traffic: BenchTrafficConfiguration, peer: BenchPeer, tunnels: [(TunnelConnection, BenchSessionProbe)],
        gatewayPID pid: Int32?, progress: @Sendable (String) -> Void
    ) async -> (BenchReport.Traffic, [String: Int]) {
        let clock = ContinuousClock()
        let live = tunnels.filter { $0.0.channel.isActive }
        let port = BenchTrafficConfiguration.sessionPort
        // Downlink counters first; the submit after each onPackets (same loop, FIFO) makes sure they are in place.
        for (tunnel, probe) in live {
            tunnel.onPackets { packets in
                var count = 0
                var bytes = 0
                for packet in packets where BenchPacket.isUDP(packet, toPort: port) {
                    count += 1
                    bytes += packet.readableBytes
                }
                if count > 0 {
                    probe.downlinkReceived.add(count, ordering: .relaxed)
                    probe.downlinkReceivedBytes.add(bytes, ordering: .relaxed)
                }
            }
            try? await tunnel.channel.eventLoop.submit {}.get()
        }
        let rate = traffic.packetRate == 0 ? "flat out" : "\(traffic.packetRate) packets/s per session"
        progress(
            "traffic: \(live.count) sessions, \(traffic.direction.rawValue), \(traffic.packetSize) bytes, \(rate), "
                + "\(traffic.durationSeconds) s, peer \(traffic.peerAddress):\(traffic.peerPort)")
        let self0 = BenchProcessSample.read(pid: getpid())
        let gateway0 = pid.flatMap(BenchProcessSample.read(pid:))

        // Send.
        let sendStart = clock.now
        var uplinkTasks: [(RepeatedTask, any EventLoop)] = []
        if traffic.direction.uplink {
            for (tunnel, probe) in live {
                let packet = BenchPacket.udp(
                    source: tunnel.info.address, sourcePort: port, destination: traffic.peerAddress,
                    destinationPort: traffic.peerPort, size: traffic.packetSize,
                    allocator: tunnel.channel.allocator)
                let task = BenchUplinkSender.start(
                    tunnel: tunnel, packet: packet, rate: traffic.packetRate, probe: probe)
                if let task = try? await task.get() { uplinkTasks.append((task, tunnel.channel.eventLoop)) }
            }
        }
        if traffic.direction.downlink {
            peer.startSending(
                to: live.map(\.0.info.address), port: port, packetSize: traffic.packetSize,
                packetsPerSecond: traffic.packetRate * Double(live.count))
        }
        // Pacing, not synchronisation: the duration is the load being generated.
        try? await clock.sleep(until: sendStart + .milliseconds(Int64(traffic.durationSeconds * 1000)))
        let gatewayDuring = pid.flatMap(BenchProcessSample.read(pid:))
        for (task, eventLoop) in uplinkTasks {
            let cancelled = eventLoop.makePromise(of: Void.self)
            task.cancel(promise: cancelled)
            try? await cancelled.futureResult.get()
        }
        await peer.stopSending()
        let duration = seconds(clock.now - sendStart)

        // Drain: until the receive counts stand still for 300 ms (at most 3 s).
        progress("traffic: senders stopped after \(String(format: "%.2f", duration)) s; draining")
        func received() -> Int {
            peer.uplinkReceived.load(ordering: .relaxed)
                + live.reduce(0) { $0 + $1.1.downlinkReceived.load(ordering: .relaxed) }
        }
        let drainStart = clock.now
        var last = received()
        var stillSince = clock.now
        while clock.now - stillSince < .milliseconds(300) && clock.now - drainStart < .seconds(3) {
            try? await clock.sleep(for: .milliseconds(20))
            let now = received()
            if now != last {
                last = now
                stillSince = clock.now
            }
        }
        let drain = seconds(clock.now - drainStart)
        let self1 = BenchProcessSample.read(pid: getpid())
        let gateway1 = pid.flatMap(BenchProcessSample.read(pid:))

        // Count.
        var uplink: BenchReport.Traffic.Direction?
        var downlink: BenchReport.Traffic.Direction?
        if traffic.direction.uplink {
            uplink = .init(
                sent: live.reduce(0) { $0 + $1.1.uplinkSent.load(ordering: .relaxed) },
                received: peer.uplinkReceived.load(ordering: .relaxed),
                receivedBytes: peer.uplinkReceivedBytes.load(ordering: .relaxed), durationSeconds: duration)
        }
        if traffic.direction.downlink {
            downlink = .init(
                sent: peer.downlinkSent.load(ordering: .relaxed),
                received: live.reduce(0) { $0 + $1.1.downlinkReceived.load(ordering: .relaxed) },
                receivedBytes: live.reduce(0) { $0 + $1.1.downlinkReceivedBytes.load(ordering: .relaxed) },
                durationSeconds: duration)
        }
        var failures: [String: Int] = [:]
        for (name, direction) in [("uplink", uplink), ("downlink", downlink)] {
            guard let direction else { continue }
            if direction.sent == 0 {
                failures["traffic: no \(name) packets sent", default: 0] += 1
            } else if direction.received == 0 {
                failures["traffic: \(name): \(direction.sent) sent, none received", default: 0] += 1
            }
        }
        let sendErrors = peer.downlinkSendErrors.load(ordering: .relaxed)
        if sendErrors > 0 {
            let text = BenchPeer.errnoText(peer.lastSendErrno.load(ordering: .relaxed))
            failures["traffic: downlink sendmmsg failed: \(text)", default: 0] += sendErrors
        }
        let delivered = (uplink?.received ?? 0) + (downlink?.received ?? 0)
        func perPacket(_ cpu: Double?) -> Double? {
            guard let cpu, delivered > 0 else { return nil }
            return cpu * 1e6 / Double(delivered)
        }
        let gatewayCPU = gateway0.flatMap { start in gateway1.map { $0.cpuSeconds - start.cpuSeconds } }
        let generatorCPU = self0.flatMap { start in self1.map { $0.cpuSeconds - start.cpuSeconds } } ?? 0
        let report = BenchReport.Traffic(
            packetSize: traffic.packetSize, direction: traffic.direction.rawValue, packetRate: traffic.packetRate,
            sessions: live.count, durationSeconds: duration, drainSeconds: drain, uplink: uplink, downlink: downlink,
            sstpdCpuSeconds: gatewayCPU, sstpdCpuUsPerPacket: perPacket(gatewayCPU),
            sstpdRssBeforeKiB: gateway0?.rssKiB, sstpdRssDuringKiB: gatewayDuring?.rssKiB,
            generatorCpuSeconds: generatorCPU, generatorCpuUsPerPacket: perPacket(generatorCPU))
        return (report, failures)
    }

    /// Starts attempt i no earlier than i / rate seconds after the first, with at most `parallel` in flight.
    private static func connectAll(
        _ configuration: BenchConfiguration, tlsContext: TLSContext, group: any EventLoopGroup, logger: Logger
    ) async -> [Result<(TunnelConnection, BenchSessionProbe), any Error>] {
        let clock = ContinuousClock()
        let start = clock.now
        let sources = configuration.sourceAddresses
        let parallel = max(configuration.parallel, 1)
        return await withTaskGroup(of: Result<(TunnelConnection, BenchSessionProbe), any Error>.self) { tasks in
            var results: [Result<(TunnelConnection, BenchSessionProbe), any Error>] = []
            results.reserveCapacity(configuration.sessions)
            var inFlight = 0
            for index in 0..<configuration.sessions {
                if inFlight >= parallel, let result = await tasks.next() {
                    results.append(result)
                    inFlight -= 1
                }
                if configuration.rate > 0 {
                    // Pacing, not synchronisation: the schedule is the load being generated.
                    try? await clock.sleep(until: start + .seconds(Double(index) / configuration.rate))
                }
                let local: SocketAddress? =
                    sources.isEmpty ? nil : try? SocketAddress(ipAddress: "\(sources[index % sources.count])", port: 0)
                tasks.addTask {
                    let probe = BenchSessionProbe()
                    do {
                        let tunnel = try await BenchDialer.connect(
                            configuration.dial, tlsContext: tlsContext, localAddress: local, probe: probe, group: group,
                            logger: logger)
                        return .success((tunnel, probe))
                    } catch {
                        return .failure(error)
                    }
                }
                inFlight += 1
            }
            for await result in tasks { results.append(result) }
            return results
        }
    }

    /// A short, stable key for grouping failures: the dial error's code and detail, or the error's description.
    static func reason(_ error: any Error) -> String {
        let text: String
        if let dial = error as? DialError {
            text = "\(dial.code): \(dial.detail)"
        } else if let connect = error as? NIOConnectionError, let first = connect.connectionErrors.first {
            // The target address is the same for every session; the socket error is what differs.
            text = "connect: \(first.error)"
        } else {
            text = "\(error)"
        }
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }

    /// Nearest-rank percentile of sorted, non-empty values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The bench could not start.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
