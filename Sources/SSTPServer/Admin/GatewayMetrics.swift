import Prometheus

/// The gateway's Prometheus metrics: one registry per gateway, every series created up front.
///
/// The registry is owned, never the global `MetricsSystem`: tests run many gateways in one process, and a global
/// bootstrap can happen only once. Every label value comes from a closed set (an enum here, or `"other"`), so the
/// number of series is fixed at construction and a scrape lists each of them, at 0 before the first event; that
/// keeps `rate()` and absent-series alerts well defined and means no call on the data path takes the registry lock
/// or allocates. Counters are relaxed atomics, so ``traffic(direction:bytes:packets:)`` is a few atomic adds per
/// batch. See docs/metrics.md for the meaning of each metric.
public final class GatewayMetrics: Sendable {
    /// Why a connection or session attempt failed, or why an established call was torn down abnormally
    /// (the `reason` label of `sstpd_failures_total`).
    public enum FailureReason: String, CaseIterable, Sendable {
        /// Inner authentication (MS-CHAPv2 or EAP-TLS) refused the credentials.
        case auth
        /// The SSTP crypto binding (MS-SSTP §3.2.5.2, Compound MAC / certificate hash / nonce) did not verify.
        case cryptoBinding = "crypto_binding"
        /// The client did not finish TLS + HTTP (or SSTP negotiation) in time.
        case handshakeTimeout = "handshake_timeout"
        /// Malformed SSTP or PPP framing.
        case framing
        /// Refused because the configured session limit was reached.
        case sessionLimit = "session_limit"
        /// Refused because the address pool had no free address.
        case poolExhausted = "pool_exhausted"
        /// Refused by the authentication lockout (repeated failures for the user or from the address).
        case lockedOut = "locked_out"
        /// The outer TLS handshake failed.
        case tls
        /// Refused at accept (its address held `limits.max_unauthenticated_per_address` connections not yet call
        /// connected), or closed to make room when `limits.max_unauthenticated` was reached.
        case unauthenticatedLimit = "unauthenticated_limit"
    }

    /// Which way traffic flows, seen from the gateway (the `direction` label).
    public enum Direction: String, CaseIterable, Sendable {
        /// From clients into the gateway (client → network): what sessions send.
        case inbound = "in"
        /// From the gateway to clients (network → client): what sessions receive.
        case outbound = "out"
    }

    /// Why a packet read from the TUN (or simulated network) side, or a client packet, was dropped
    /// (the `reason` label of `sstpd_tun_dropped_packets_total`).
    public enum TUNDropReason: String, CaseIterable, Sendable {
        /// A client sent a packet whose source is not the address it was assigned (anti-spoofing).
        case spoofed
        /// A packet for a pool address that no session holds.
        case noSession = "no_session"
        /// Dropped by a rate or queue cap.
        case cap
    }

    /// Inner authentication methods with their own `method` series; anything else is counted as `"other"`.
    public static let authenticationMethods = ["mschapv2", "eap-tls"]

    /// Upper bounds of the handshake histogram buckets, in seconds (TCP accept → SSTP call connected).
    /// A LAN client takes ~20–50 ms; a Windows client over the internet 0.2–1 s; 5 s is near the handshake timeout.
    public static let handshakeBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    /// The registry the metrics live in; exposed so that the composition can hand it to a
    /// `PrometheusMetricsFactory(registry:)` for libraries that record through swift-metrics.
    public let registry: PrometheusCollectorRegistry

    private let sessionsActive: Gauge
    private let connections: Counter
    private let sessionsByMethod: [String: Counter]
    private let sessionsOther: Counter
    private let failures: [FailureReason: Counter]
    private let bytesIn: Counter
    private let bytesOut: Counter
    private let packetsIn: Counter
    private let packetsOut: Counter
    private let handshakeDuration: ValueHistogram
    private let poolUsed: Gauge
    private let poolFree: Gauge
    private let tunDrops: [TUNDropReason: Counter]
    private let memory: [MemoryKind: Gauge]

    /// The `kind` label of `sstpd_memory_bytes` (see ``ProcessMemory``).
    public enum MemoryKind: String, CaseIterable, Sendable {
        case residentAnonymous = "resident_anonymous"
        case residentFile = "resident_file"
        case heapInUse = "heap_in_use"
        case heapFree = "heap_free"
        case sqlite
    }

    /// Creates the metrics in `registry` (a fresh one by default). Registering the same names twice in one
    /// registry returns the existing series, so two `GatewayMetrics` on one registry share their values.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func name(_ metricName: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "sstpd", metricName: metricName, unitName: unit, helpText: help)
        }

        sessionsActive = registry.makeGauge(
            descriptor: name("sessions", "active", "SSTP sessions currently established (call connected)."))
        connections = registry.makeCounter(
            descriptor: name("connections", "total", "TCP connections accepted on the SSTP listener."))

        let sessions = name("sessions", "total", "Sessions established, by inner authentication method.")
        var byMethod: [String: Counter] = [:]
        for method in Self.authenticationMethods {
            byMethod[method] = registry.makeCounter(descriptor: sessions, labels: [("method", method)])
        }
        sessionsByMethod = byMethod
        sessionsOther = registry.makeCounter(descriptor: sessions, labels: [("method", "other")])

        let failure = name("failures", "total", "Connections or sessions that failed, by reason.")
        var failureCounters: [FailureReason: Counter] = [:]
        for reason in FailureReason.allCases {
            failureCounters[reason] = registry.makeCounter(descriptor: failure, labels: [("reason", reason.rawValue)])
        }
        failures = failureCounters

        let bytes = name("bytes", "total", "IP payload bytes carried by sessions (in: from clients, out: to clients).")
        bytesIn = registry.makeCounter(descriptor: bytes, labels: [("direction", Direction.inbound.rawValue)])
        bytesOut = registry.makeCounter(descriptor: bytes, labels: [("direction", Direction.outbound.rawValue)])
        let packets = name("packets", "total", "IP packets carried by sessions (in: from clients, out: to clients).")
        packetsIn = registry.makeCounter(descriptor: packets, labels: [("direction", Direction.inbound.rawValue)])
        packetsOut = registry.makeCounter(descriptor: packets, labels: [("direction", Direction.outbound.rawValue)])

        handshakeDuration = registry.makeValueHistogram(
            descriptor: name(
                "handshake_duration", "seconds",
                "Time from TCP accept to SSTP call connected, for sessions that got there."),
            labels: [], buckets: Self.handshakeBuckets)

        let pool = name("pool", "addresses", "Client addresses in the pool, by state.")
        poolUsed = registry.makeGauge(descriptor: pool, labels: [("state", "used")])
        poolFree = registry.makeGauge(descriptor: pool, labels: [("state", "free")])

        let drops = name("tun_dropped_packets", "total", "Packets dropped between sessions and the network, by reason.")
        var dropCounters: [TUNDropReason: Counter] = [:]
        for reason in TUNDropReason.allCases {
            dropCounters[reason] = registry.makeCounter(descriptor: drops, labels: [("reason", reason.rawValue)])
        }
        tunDrops = dropCounters

        let memoryName = name(
            "memory", "bytes", "sstpd's memory: resident anonymous and file-backed pages, malloc heap in use and free, SQLite's share.")
        var memoryGauges: [MemoryKind: Gauge] = [:]
        for kind in MemoryKind.allCases {
            memoryGauges[kind] = registry.makeGauge(descriptor: memoryName, labels: [("kind", kind.rawValue)])
        }
        memory = memoryGauges
    }

    /// A TCP connection was accepted on the SSTP listener.
    public func connectionAccepted() {
        connections.increment()
    }

    /// A session reached call connected with the given inner authentication method (`"mschapv2"`, `"eap-tls"`;
    /// any other string is counted as `"other"`). Pair every call with one ``sessionEnded()``.
    public func sessionStarted(method: String) {
        (sessionsByMethod[method] ?? sessionsOther).increment()
        sessionsActive.increment()
    }

    /// A session counted by ``sessionStarted(method:)`` ended, for whatever reason.
    public func sessionEnded() {
        sessionsActive.decrement()
    }

    /// Counts one failure.
    public func failure(_ reason: FailureReason) {
        failures[reason]?.increment()
    }

    /// Counts a batch of session traffic. Cheap: four relaxed atomic adds at most, no lock, no allocation.
    public func traffic(direction: Direction, bytes: Int, packets: Int) {
        precondition(bytes >= 0 && packets >= 0, "traffic counters only go up")
        switch direction {
        case .inbound:
            if bytes > 0 { bytesIn.increment(by: Int64(bytes)) }
            if packets > 0 { packetsIn.increment(by: Int64(packets)) }
        case .outbound:
            if bytes > 0 { bytesOut.increment(by: Int64(bytes)) }
            if packets > 0 { packetsOut.increment(by: Int64(packets)) }
        }
    }

    /// Records one handshake's duration (TCP accept → call connected), in seconds.
    public func handshakeCompleted(seconds: Double) {
        handshakeDuration.record(max(0, seconds))
    }

    /// Sets the pool gauges (call after every allocation and release, or on each scrape).
    public func poolUsage(used: Int, free: Int) {
        poolUsed.set(to: Double(used))
        poolFree.set(to: Double(free))
    }

    /// Sets the memory gauges (on each scrape).
    public func memory(_ snapshot: ProcessMemory) {
        memory[.residentAnonymous]?.set(to: Double(snapshot.residentAnonymousBytes))
        memory[.residentFile]?.set(to: Double(snapshot.residentFileBytes))
        memory[.heapInUse]?.set(to: Double(snapshot.heapInUseBytes ?? 0))
        memory[.heapFree]?.set(to: Double(snapshot.heapFreeBytes ?? 0))
        memory[.sqlite]?.set(to: Double(snapshot.sqliteBytes ?? 0))
    }

    /// Counts `count` dropped packets.
    public func tunDropped(reason: TUNDropReason, count: Int = 1) {
        guard count > 0 else { return }
        tunDrops[reason]?.increment(by: Int64(count))
    }

    /// The Prometheus text exposition format (version 0.0.4) of every metric in the registry.
    public func exposition() -> String {
        registry.emitToString()
    }
}
