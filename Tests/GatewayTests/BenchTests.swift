import AddressPool
import Foundation
import SSTPClient
import SSTPServer
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `sstp-dial bench` (the `BenchMode` library and the binary) against an in-process gateway on loopback.
@Suite("Load generator (sstp-dial bench)")
struct BenchTests {
    @Test("50 sessions from 4 loopback sources come up together, stay up, hang up, and leave the gateway empty")
    func fiftySessions() async throws {
        let gateway = try await InProcessGateway.start()
        let sources = try #require(BenchConfiguration.parseSourceAddresses("127.0.0.2-127.0.0.5"))
        let configuration = BenchConfiguration(
            dial: gateway.dialConfiguration(), sessions: 50, rate: 0, parallel: 16, holdSeconds: 0.2,
            sourceAddresses: sources, gatewayPID: getpid(), settleSeconds: 0)
        // What the gateway holds while the bench holds its sessions (read when the bench says it is holding).
        let seenDuringHold = Mutex<[SessionInfo]>([])
        let report = try await BenchMode.run(configuration, threads: 2, logger: quietLogger) { line in
            if line.hasPrefix("holding") { seenDuringHold.withLock { $0 = gateway.server.state.sessions() } }
        }

        #expect(report.ok, "\(report.summary)")
        #expect(report.sessions == 50)
        #expect(report.established == 50)
        #expect(report.failed == 0)
        #expect(report.failures.isEmpty)
        #expect(report.aliveAtEnd == 50)
        #expect(report.connectsPerSecond > 0)
        let times = try #require(report.connectMs)
        #expect(times.p50 > 0)
        #expect(times.p50 <= times.p99)
        #expect(times.p99 <= times.max)
        #expect(times.max <= 10_000, "every session came up within the dial timeout")
        // The gateway had all 50 at once, spread over the four source addresses, each with its own pool address.
        let held = seenDuringHold.withLock { $0 }
        #expect(held.count == 50)
        #expect(Set(held.compactMap(\.address)).count == 50)
        for source in ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"] {
            #expect(held.contains { $0.peer.contains(source) }, "no session from \(source): \(held.map(\.peer))")
        }
        // /proc figures (of this process, which hosts the gateway): present and consistent.
        let process = try #require(report.sstpd)
        #expect(process.rssBeforeKiB > 0)
        #expect(process.rssUpKiB > 0)
        #expect(process.cpuSeconds >= process.cpuConnectSeconds)
        #expect(process.rssPerSessionKiB != nil)
        // Hung up: the gateway is empty and every address is back in the pool.
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }

    @Test("idle sessions answer the gateway's SSTP echoes and survive two hello intervals")
    func echoes() async throws {
        // hello_interval's minimum is 5 s; the first Echo Request goes out after one or two silent intervals.
        let gateway = try await InProcessGateway.start { $0.helloInterval = 5 }
        let report = try await BenchMode.run(
            BenchConfiguration(dial: gateway.dialConfiguration(), sessions: 3, holdSeconds: 11.5),
            threads: 1, logger: quietLogger)
        #expect(report.ok, "\(report.summary)")
        #expect(report.aliveAtEnd == 3)
        #expect(report.sessionsEchoed == 3)
        #expect(report.echoRequests >= 3)
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()
    }

    @Test("EAP-TLS: 10 sessions with one client certificate come up and hang up")
    func eapTLS() async throws {
        let material = try EAPTLSGatewayTests.Material()
        defer { material.remove() }
        let gateway = try await EAPTLSGatewayTests.gateway(material)
        let report = try await BenchMode.run(
            BenchConfiguration(
                dial: EAPTLSGatewayTests.dial(gateway, material.carol, user: "carol"), sessions: 10, parallel: 5,
                holdSeconds: 0.1),
            threads: 2, logger: quietLogger)
        #expect(report.ok, "\(report.summary)")
        #expect(report.established == 10)
        #expect(report.aliveAtEnd == 10)
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()
    }

    @Test("failed sessions are counted by reason and make the run fail")
    func failures() async throws {
        let gateway = try await InProcessGateway.start()
        let report = try await BenchMode.run(
            BenchConfiguration(dial: gateway.dialConfiguration(user: "bob", password: "wrong"), sessions: 3),
            threads: 1, logger: quietLogger)
        #expect(!report.ok)
        #expect(report.established == 0)
        #expect(report.failed == 3)
        #expect(report.failures.values.reduce(0, +) == 3)
        #expect(report.failures.keys.allSatisfy { $0.hasPrefix("authenticationFailed") }, "\(report.failures)")
        #expect(report.connectMs == nil)
        try await gateway.stop()
    }

    @Test("a gateway that is not listening: every attempt fails with the socket error as its reason")
    func refused() async throws {
        let gateway = try await InProcessGateway.start()
        let dial = gateway.dialConfiguration()
        try await gateway.stop()
        let report = try await BenchMode.run(
            BenchConfiguration(dial: dial, sessions: 4, parallel: 2), threads: 1, logger: quietLogger)
        #expect(!report.ok)
        #expect(report.failed == 4)
        #expect(report.failures.count == 1, "one reason for all four: \(report.failures)")
        #expect(report.failures.keys.allSatisfy { $0.hasPrefix("connect: ") }, "\(report.failures)")
    }

    @Test("the binary: `sstp-dial bench --json` prints the documented fields; plain `sstp-dial --check` still dials")
    func binary() async throws {
        let gateway = try await InProcessGateway.start()
        let common = [
            "--server", "127.0.0.1:\(gateway.port)", "--server-name", Fixtures.serverName, "--ca", Fixtures.caFile,
            "--user", "alice", "--password", "alice-password",
        ]
        let output = try Command.run(
            [Command.executable("sstp-dial"), "bench"] + common + [
                "--sessions", "10", "--parallel", "4", "--sstpd-pid", "\(getpid())", "--settle", "0", "--json",
            ])
        // Progress goes to standard error (merged here): the JSON object is the text from the first "{".
        let start = try #require(output.firstIndex(of: "{"), "no JSON in: \(output)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any])
        #expect(object["sessions"] as? Int == 10)
        #expect(object["established"] as? Int == 10)
        #expect(object["failed"] as? Int == 0)
        #expect((object["failures"] as? [String: Int])?.isEmpty == true)
        #expect(object["aliveAtEnd"] as? Int == 10)
        #expect(object["connectsPerSecond"] as? Double != nil)
        #expect(object["holdSeconds"] as? Double == 0)
        let connectMs = try #require(object["connectMs"] as? [String: Double])
        #expect(Set(connectMs.keys) == ["p50", "p99", "max"])
        let sstpd = try #require(object["sstpd"] as? [String: Any])
        for key in ["cpuSeconds", "rssBeforeKiB", "rssUpKiB", "rssAfterKiB", "rssPerSessionKiB"] {
            #expect(sstpd[key] != nil, "sstpd.\(key) missing")
        }
        let decoded = try JSONDecoder().decode(BenchReport.self, from: Data(output[start...].utf8))
        #expect(decoded.ok)

        // The dial command is still the default: the old invocation works unchanged.
        let check = try Command.run(
            [Command.executable("sstp-dial")] + common
                + ["--check", "--ping", Fixtures.hostAddress.description, "--count", "1"])
        #expect(check.contains("1 sent, 1 received"), "\(check)")
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()
    }

    @Test("a failed bench exits non-zero")
    func binaryFailure() async throws {
        let gateway = try await InProcessGateway.start()
        let failure = #expect(throws: Command.Failure.self) {
            try Command.run(
                [
                    Command.executable("sstp-dial"), "bench", "--server", "127.0.0.1:\(gateway.port)", "--server-name",
                    Fixtures.serverName, "--ca", Fixtures.caFile, "--user", "alice", "--password", "wrong",
                    "--sessions", "2",
                ])
        }
        #expect(failure?.description.contains("exited 1") == true, "\(String(describing: failure))")
        #expect(failure?.description.contains("2 failed") == true, "\(String(describing: failure))")
        try await gateway.stop()
    }

    @Test(
        "source address lists and ranges",
        arguments: [
            ("127.0.0.2", ["127.0.0.2"]),
            ("127.0.0.2-127.0.0.4", ["127.0.0.2", "127.0.0.3", "127.0.0.4"]),
            ("127.0.0.9,127.0.1.1-127.0.1.2", ["127.0.0.9", "127.0.1.1", "127.0.1.2"]),
            ("127.0.0.4-127.0.0.2", nil),
            ("127.0.0.300", nil),
            ("", nil),
        ] as [(String, [String]?)])
    func sourceAddresses(text: String, expected: [String]?) {
        #expect(BenchConfiguration.parseSourceAddresses(text)?.map(\.description) == expected)
    }

    @Test("/proc/PID/stat and status: CPU from fields 14 and 15 after the command name, VmRSS in KiB")
    func procParsing() throws {
        // A command name with a space and a parenthesis must not shift the fields.
        let stat = "1234 (sstp d) x) S 1 1234 1234 0 -1 4194560 900 0 0 0 250 150 0 0 20 0 5 0 100 1000000 2500"
        let status = "Name:\tsstpd\nVmPeak:\t  99999 kB\nVmRSS:\t   30720 kB\nThreads:\t5\n"
        let sample = try #require(BenchProcessSample.parse(stat: stat, status: status, ticksPerSecond: 100))
        #expect(sample == BenchProcessSample(cpuSeconds: 4.0, rssKiB: 30720))
        #expect(BenchProcessSample.parse(stat: "garbage", status: status, ticksPerSecond: 100) == nil)
        #expect(BenchProcessSample.parse(stat: stat, status: "Name:\tx\n", ticksPerSecond: 100) == nil)
        // This process, live.
        let live = try #require(BenchProcessSample.read(pid: getpid()))
        #expect(live.rssKiB > 0)
    }
}
