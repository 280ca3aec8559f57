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
