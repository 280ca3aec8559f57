import Foundation
import Logging
import NIOCore
import PPPAuth
import SSTPClient
import SSTPServer
import Testing

/// Secrets never reach the logs, at any level: the gateway and the client log at `trace` through a successful
/// MS-CHAPv2 login with traffic, a wrong password and an unknown user, and no record may contain a password, its NT
/// hash (the password equivalent MS-CHAPv2 stores), or a piece of the server's private key. (scripts/test.sh also
/// greps the logs of the whole test run and of the demo for the demo's password and NT hash.)
@Suite("Secrets stay out of the logs")
struct LogSecretsTests {
    @Test("trace-level logs of logins, a failed login and traffic contain no password, NT hash or private key")
    func noSecretsAtTraceLevel() async throws {
        let gateway = try await InProcessGateway.start(logLevel: .trace)
        let clientLogs = LogRecorder()
        var clientLogger = Logger(label: "test-client") { _ in RecordingLogHandler(recorder: clientLogs) }
        clientLogger.logLevel = .trace

        let tunnel = try await SSTPDialer.connect(
            gateway.dialConfiguration(), group: gateway.group, logger: clientLogger)
        #expect(await ping(through: tunnel))
        await tunnel.disconnect()
        await #expect(throws: (any Error).self) {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(password: "wrong-secret-pw"), group: gateway.group, logger: clientLogger)
        }
        await #expect(throws: (any Error).self) {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(user: "nobody", password: "nobody-secret-pw"), group: gateway.group,
                logger: clientLogger)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try await gateway.stop()

        let records = gateway.logs.all + clientLogs.all
        // The run really logged at trace/debug level (otherwise the check below would pass vacuously).
        #expect(records.count >= 10, "only \(records.count) records")
        #expect(records.contains { $0.level <= .debug }, "no debug records")
        let text = records.map(\.description).joined(separator: "\n")

        var secrets: [String: String] = [:]
        for password in ["alice-password", "wrong-secret-pw", "nobody-secret-pw"] {
            secrets["password \(password)"] = password
            let hash = NTHash.fromPassword(password)
            secrets["NT hash of \(password)"] = hash.map { String(format: "%02x", $0) }.joined()
            secrets["NT hash of \(password), upper case"] = hash.map { String(format: "%02X", $0) }.joined()
            secrets["NT hash of \(password), spaced"] = hash.map { String($0) }.joined(separator: ", ")
        }
        // Every 32-character piece of the server key's base64 body.
        let pem = try String(contentsOfFile: Fixtures.serverKey, encoding: .utf8)
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var offset = body.startIndex
        while body.distance(from: offset, to: body.endIndex) >= 32 {
            let end = body.index(offset, offsetBy: 32)
            secrets["server key at \(body.distance(from: body.startIndex, to: offset))"] = String(body[offset..<end])
            offset = end
        }
        for (name, secret) in secrets.sorted(by: { $0.key < $1.key }) {
            #expect(!text.contains(secret), "the logs contain the \(name)")
        }
    }
}
