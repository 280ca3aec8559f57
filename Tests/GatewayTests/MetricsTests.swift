import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SSTPServer
import Testing

/// Parses the Prometheus text exposition format into values keyed by `name{labels}` exactly as written
/// (`name` alone for a series without labels); comment lines (`# HELP`, `# TYPE`) and blank lines are skipped,
/// and a trailing timestamp is ignored. Returns nil for a line that does not parse, so a test can tell a broken
/// exposition from a missing series.
func parsePrometheus(_ text: String) -> [String: Double]? {
    var values: [String: Double] = [:]
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        if line.hasPrefix("#") || line.allSatisfy(\.isWhitespace) { continue }
        // The key ends at the first space outside the label set; label values may hold spaces and escaped quotes.
        var end = line.startIndex
        var inLabels = false
        var inQuotes = false
        var escaped = false
        while end < line.endIndex {
            let character = line[end]
            if escaped {
                escaped = false
            } else if inQuotes {
                if character == "\\" { escaped = true } else if character == "\"" { inQuotes = false }
            } else if character == "\"" && inLabels {
                inQuotes = true
            } else if character == "{" {
                inLabels = true
            } else if character == "}" {
                inLabels = false
            } else if character == " " && !inLabels {
                break
            }
            end = line.index(after: end)
        }
        guard end > line.startIndex, end < line.endIndex, !inLabels, !inQuotes else { return nil }
        let fields = line[end...].split(separator: " ")
        guard (1...2).contains(fields.count) else { return nil }
        let value: Double
        switch fields[0] {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let parsed = Double(fields[0]) else { return nil }
            value = parsed
        }
        values[String(line[..<end])] = value
    }
    return values
}

/// sstpd's Prometheus metrics and the admin HTTP listener that serves them.
@Suite("Metrics")
struct MetricsTests {
    // MARK: GatewayMetrics

    @Test("every series is listed from the start, at zero")
    func allSeriesUpFront() throws {
        let metrics = GatewayMetrics()
        let text = metrics.exposition()
        let values = try #require(parsePrometheus(text))
        var expected = ["sstpd_sessions_active", "sstpd_connections_total", #"sstpd_sessions_total{method="other"}"#]
        expected += GatewayMetrics.authenticationMethods.map { #"sstpd_sessions_total{method="\#($0)"}"# }
        expected += GatewayMetrics.FailureReason.allCases.map { #"sstpd_failures_total{reason="\#($0.rawValue)"}"# }
        for direction in ["in", "out"] {
            expected += [
                #"sstpd_bytes_total{direction="\#(direction)"}"#, #"sstpd_packets_total{direction="\#(direction)"}"#,
            ]
        }
        expected += [#"sstpd_pool_addresses{state="used"}"#, #"sstpd_pool_addresses{state="free"}"#]
        expected += GatewayMetrics.TUNDropReason.allCases.map {
            #"sstpd_tun_dropped_packets_total{reason="\#($0.rawValue)"}"#
        }
        expected += ["sstpd_handshake_duration_seconds_count", "sstpd_handshake_duration_seconds_sum"]
        // Set on each scrape by the admin listener; 0 until then.
        expected += ["resident_anonymous", "resident_file", "heap_in_use", "heap_free", "sqlite"].map {
            #"sstpd_memory_bytes{kind="\#($0)"}"#
        }
        #expect(GatewayMetrics.MemoryKind.allCases.map(\.rawValue) == [
            "resident_anonymous", "resident_file", "heap_in_use", "heap_free", "sqlite",
        ])
        for key in expected {
            #expect(values[key] == 0, "\(key)")
        }
        #expect(values.count == expected.count + GatewayMetrics.handshakeBuckets.count + 1)  // + the +Inf bucket
        // The failure reasons are exactly the documented closed set.
        #expect(
            GatewayMetrics.FailureReason.allCases.map(\.rawValue) == [
                "auth", "crypto_binding", "handshake_timeout", "framing", "session_limit", "pool_exhausted",
                "locked_out", "tls", "unauthenticated_limit",
            ])
        for (name, type) in [
            ("sstpd_sessions_active", "gauge"), ("sstpd_connections_total", "counter"),
            ("sstpd_sessions_total", "counter"), ("sstpd_failures_total", "counter"), ("sstpd_bytes_total", "counter"),
            ("sstpd_packets_total", "counter"), ("sstpd_handshake_duration_seconds", "histogram"),
            ("sstpd_pool_addresses", "gauge"), ("sstpd_tun_dropped_packets_total", "counter"),
        ] {
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name)")
            #expect(text.contains("# HELP \(name) "), "\(name)")
        }
    }

    @Test("events show up as the exact exposition lines")
    func exactLines() throws {
        let metrics = GatewayMetrics()
        for _ in 0..<3 { metrics.connectionAccepted() }
        metrics.sessionStarted(method: "mschapv2")
        metrics.sessionStarted(method: "eap-tls")
        metrics.sessionStarted(method: "pap")  // not a method sstpd offers: counted as "other"
        metrics.sessionEnded()
        metrics.sessionEnded()
        metrics.failure(.auth)
        metrics.failure(.auth)
        metrics.failure(.cryptoBinding)
        metrics.traffic(direction: .inbound, bytes: 1000, packets: 2)
        metrics.traffic(direction: .inbound, bytes: 500, packets: 1)
        metrics.traffic(direction: .outbound, bytes: 4096, packets: 3)
        metrics.traffic(direction: .outbound, bytes: 0, packets: 0)
        metrics.poolUsage(used: 3, free: 250)
        metrics.tunDropped(reason: .spoofed, count: 2)
        metrics.tunDropped(reason: .noSession)
        metrics.tunDropped(reason: .cap, count: 0)

        let lines = Set(metrics.exposition().split(separator: "\n").map(String.init))
        for line in [
            "sstpd_connections_total 3",
            // Gauges are doubles in swift-prometheus's output; Prometheus reads `1.0` and `1` alike.
            "sstpd_sessions_active 1.0",
            #"sstpd_sessions_total{method="mschapv2"} 1"#,
            #"sstpd_sessions_total{method="eap-tls"} 1"#,
            #"sstpd_sessions_total{method="other"} 1"#,
            #"sstpd_failures_total{reason="auth"} 2"#,
            #"sstpd_failures_total{reason="crypto_binding"} 1"#,
            #"sstpd_failures_total{reason="tls"} 0"#,
            #"sstpd_bytes_total{direction="in"} 1500"#,
            #"sstpd_bytes_total{direction="out"} 4096"#,
            #"sstpd_packets_total{direction="in"} 3"#,
            #"sstpd_packets_total{direction="out"} 3"#,
            #"sstpd_pool_addresses{state="used"} 3.0"#,
            #"sstpd_pool_addresses{state="free"} 250.0"#,
            #"sstpd_tun_dropped_packets_total{reason="spoofed"} 2"#,
            #"sstpd_tun_dropped_packets_total{reason="no_session"} 1"#,
            #"sstpd_tun_dropped_packets_total{reason="cap"} 0"#,
        ] {
            #expect(lines.contains(line), "missing: \(line)")
        }
    }

    @Test("the handshake histogram counts into cumulative buckets, with sum and count")
    func histogram() throws {
        let metrics = GatewayMetrics()
        #expect(GatewayMetrics.handshakeBuckets.first == 0.005 && GatewayMetrics.handshakeBuckets.last == 5)
        // Values exact in binary, so the sum is exact: 0.25 + 0.5 + 2 + 8 = 10.75.
        for seconds in [0.25, 0.5, 2, 8] { metrics.handshakeCompleted(seconds: seconds) }
        let text = metrics.exposition()
        let values = try #require(parsePrometheus(text))
        let bucket = { (le: String) in values[#"sstpd_handshake_duration_seconds_bucket{le="\#(le)"}"#] }
        #expect(bucket("0.005") == 0)
        #expect(bucket("0.1") == 0)
        #expect(bucket("0.25") == 1)  // le is inclusive
        #expect(bucket("0.5") == 2)
        #expect(bucket("1.0") == 2)
        #expect(bucket("2.5") == 3)
        #expect(bucket("5.0") == 3)
        #expect(bucket("+Inf") == 4)
        #expect(values["sstpd_handshake_duration_seconds_sum"] == 10.75)
        #expect(values["sstpd_handshake_duration_seconds_count"] == 4)
        #expect(text.contains(#"sstpd_handshake_duration_seconds_bucket{le="+Inf"} 4"# + "\n"))
        #expect(text.contains("sstpd_handshake_duration_seconds_count 4\n"))
    }

    @Test("two gateways in one process keep separate metrics (no global registry)")
    func independentInstances() throws {
        let first = GatewayMetrics()
        let second = GatewayMetrics()
        first.traffic(direction: .inbound, bytes: 10, packets: 1)
        let a = try #require(parsePrometheus(first.exposition()))
        let b = try #require(parsePrometheus(second.exposition()))
        #expect(a[#"sstpd_bytes_total{direction="in"}"#] == 10)
        #expect(b[#"sstpd_bytes_total{direction="in"}"#] == 0)
    }

    @Test("data-path counters are safe and exact under concurrent batches")
    func concurrentTraffic() async throws {
        let metrics = GatewayMetrics()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<10_000 { metrics.traffic(direction: .outbound, bytes: 1400, packets: 1) }
                }
            }
        }
        let values = try #require(parsePrometheus(metrics.exposition()))
        let bytes: Double = 8 * 10_000 * 1400
        #expect(values[#"sstpd_bytes_total{direction="out"}"#] == bytes)
        #expect(values[#"sstpd_packets_total{direction="out"}"#] == 80_000)
    }

    @Test("the parser reads labels with spaces and escapes, timestamps and special values, and refuses garbage")
    func parser() throws {
        let text = """
            # HELP x A metric.
            # TYPE x gauge
            x 1
            y{a="b c",d="say \\"hi\\" }"} 2.5 1700000000000
            z_bucket{le="+Inf"} +Inf
            w NaN

            """
        let values = try #require(parsePrometheus(text))
        #expect(values["x"] == 1)
        #expect(values[#"y{a="b c",d="say \"hi\" }"}"#] == 2.5)
        #expect(values[#"z_bucket{le="+Inf"}"#] == .infinity)
        #expect(values["w"]?.isNaN == true)
        #expect(values.count == 4)
        #expect(parsePrometheus("x{a=\"b\" 1\n") == nil)
        #expect(parsePrometheus("x one\n") == nil)
        #expect(parsePrometheus("x\n") == nil)
    }

    // MARK: AdminHTTPServer over TCP

    struct AdminResponse {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Sends `request` as is over a new TCP connection and reads until the server closes it.
    static func adminExchange(port: Int, _ request: String, group: any EventLoopGroup) async throws -> AdminResponse {
        let exchange = try await HTTPExchange.send(port: port, request, group: group)
        return AdminResponse(
            status: exchange.status, headers: exchange.headers, body: String(decoding: exchange.body, as: UTF8.self))
    }

    static func request(_ method: String, _ path: String, port: Int, group: any EventLoopGroup) async throws
        -> AdminResponse
    {
        try await adminExchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n", group: group)
    }

    @Test("a scrape over TCP shows sessions and bytes moving; other paths and methods are refused")
    func scrapeOverHTTP() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let metrics = GatewayMetrics()
        let server = AdminHTTPServer(
            host: "127.0.0.1", port: 0, group: group, logger: Logger(label: "test.admin"),
            metrics: { metrics.exposition() })
        let port = try #require(try await server.start().port)

        metrics.connectionAccepted()
        metrics.sessionStarted(method: "mschapv2")
        metrics.traffic(direction: .inbound, bytes: 1500, packets: 1)
        let first = try await Self.request("GET", "/metrics", port: port, group: group)
        #expect(first.status == 200)
        #expect(first.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(first.headers["connection"] == "close")
        #expect(first.headers["content-length"] == "\(first.body.utf8.count)")
        let before = try #require(parsePrometheus(first.body))
        #expect(before["sstpd_sessions_active"] == 1)
        #expect(before[#"sstpd_sessions_total{method="mschapv2"}"#] == 1)
        #expect(before[#"sstpd_bytes_total{direction="in"}"#] == 1500)

        // More traffic and a second session: the next scrape moves.
        metrics.connectionAccepted()
        metrics.sessionStarted(method: "eap-tls")
        metrics.traffic(direction: .inbound, bytes: 600, packets: 2)
        metrics.traffic(direction: .outbound, bytes: 9000, packets: 7)
        let after = try #require(
            parsePrometheus(try await Self.request("GET", "/metrics?x=1", port: port, group: group).body))
        #expect(after["sstpd_sessions_active"] == 2)
        #expect(after["sstpd_connections_total"] == 2)
        #expect(after[#"sstpd_bytes_total{direction="in"}"#] == 2100)
        #expect(after[#"sstpd_bytes_total{direction="out"}"#] == 9000)
        #expect(after[#"sstpd_packets_total{direction="out"}"#] == 7)

        let head = try await Self.request("HEAD", "/metrics", port: port, group: group)
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-length"] != "0")
        let health = try await Self.request("GET", "/healthz", port: port, group: group)
        #expect(health.status == 200 && health.body == "ok\n" && health.headers["connection"] == "close")
        let missing = try await Self.request("GET", "/metricz", port: port, group: group)
        #expect(missing.status == 404 && missing.headers["connection"] == "close")
        let post = try await Self.request("POST", "/metrics", port: port, group: group)
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD" && post.headers["connection"] == "close")
        // Garbage gets a 400 and does not disturb the listener.
        let garbage = try await Self.adminExchange(port: port, "\u{1}\u{2} nonsense\r\n\r\n", group: group)
        #expect(garbage.status == 400)
        #expect(try await Self.request("GET", "/healthz", port: port, group: group).status == 200)

        await server.close()
        await server.close()  // idempotent
        // Closed: a new connection is refused.
        await #expect(throws: (any Error).self) {
            _ = try await Self.request("GET", "/healthz", port: port, group: group)
        }
        try await group.shutdownGracefully()
    }
}
