import Foundation

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
