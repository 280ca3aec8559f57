import Foundation
import NIOCore
import SSTPClient
import SSTPServer
import Testing

/// Prometheus metrics scraped from a running gateway while a real session moves bytes; the lockout end to end.
@Suite("metrics and lockout on a running gateway")
struct MetricsGatewayTests {
    static func scrape(_ gateway: InProcessGateway) async throws -> [String: Double] {
        let port = try #require(gateway.server.metricsListenerAddress?.port)
        let response = try await MetricsTests.request("GET", "/metrics", port: port, group: gateway.group)
        #expect(response.status == 200)
        return try #require(parsePrometheus(response.body))
    }

    @Test("a scrape during a session shows it, its bytes and packets, the handshake and the pool; after it, none")
    func sessionAndBytesMoving() async throws {
        let gateway = try await InProcessGateway.start { $0.metricsListen = "127.0.0.1:0" }
        let idle = try await Self.scrape(gateway)
        #expect(idle["sstpd_sessions_active"] == 0)
        #expect(idle[#"sstpd_bytes_total{direction="in"}"#] == 0)
        for kind in ["resident_anonymous", "resident_file"] + (ProcessMemory.heapFiguresAvailable ? ["heap_in_use"] : []) {
            #expect((idle[#"sstpd_memory_bytes{kind="\#(kind)"}"#] ?? 0) > 1_048_576, "\(kind): over 1 MiB")
        }

        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        for sequence in UInt16(1)...3 { #expect(await ping(through: tunnel, sequence: sequence)) }
        let during = try await Self.scrape(gateway)
        #expect(during["sstpd_sessions_active"] == 1)
        #expect(during[#"sstpd_sessions_total{method="mschapv2"}"#] == 1)
        #expect(during["sstpd_connections_total"] == 1)
        #expect((during[#"sstpd_packets_total{direction="in"}"#] ?? 0) >= 3)
        #expect((during[#"sstpd_packets_total{direction="out"}"#] ?? 0) >= 3)
        let bytesIn = during[#"sstpd_bytes_total{direction="in"}"#] ?? 0
        #expect(bytesIn >= 3 * 31, "three 31-byte echo requests at least")
        #expect(during["sstpd_handshake_duration_seconds_count"] == 1)
        #expect(during[#"sstpd_pool_addresses{state="used"}"#] == 1)
        #expect(during[#"sstpd_pool_addresses{state="free"}"#] == 252)

        // More traffic moves the counters.
        #expect(await ping(through: tunnel, sequence: 4))
        let later = try await Self.scrape(gateway)
        #expect((later[#"sstpd_bytes_total{direction="in"}"#] ?? 0) > bytesIn)

        await tunnel.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        let after = try await Self.scrape(gateway)
        #expect(after["sstpd_sessions_active"] == 0)
        #expect(after[#"sstpd_pool_addresses{state="used"}"#] == 0)
        try await gateway.stop()
    }

    @Test("repeated wrong passwords lock the user out (counted, logged, in status); the right password then fails too")
    func lockout() async throws {
        let socket = ControlSocketTests.socketPath()
        let gateway = try await InProcessGateway.start {
            $0.metricsListen = "127.0.0.1:0"
            $0.controlSocket = socket
            $0.lockoutUserThreshold = 3
            $0.lockoutDuration = 600
            $0.maxAuthenticationAttempts = 1
        }
        for _ in 0..<3 {
            await #expect(throws: DialError.self) {
                _ = try await SSTPDialer.connect(
                    gateway.dialConfiguration(password: "wrong"), group: gateway.group, logger: quietLogger)
            }
        }
        // Locked: the right password is refused without being checked.
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        }
        #expect(gateway.logs.contains("authentication refused: locked out", "scope", "user"))
        let status = try ControlClient.send(ControlRequest(op: .status), socketPath: socket).status
        let entry = try #require(status?.lockouts.first)
        #expect(entry.scope == "user" && entry.key == "alice" && entry.failures >= 3)
        #expect(entry.until > Date().timeIntervalSince1970 + 500)
        let metrics = try await Self.scrape(gateway)
        #expect(metrics[#"sstpd_failures_total{reason="locked_out"}"#] == 1)
        #expect((metrics[#"sstpd_failures_total{reason="auth"}"#] ?? 0) >= 3)
        // Another user from the same address is not affected.
        let bob = try await SSTPDialer.connect(
            gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group, logger: quietLogger)
        await bob.disconnect()
        try await gateway.stop()
    }
}
