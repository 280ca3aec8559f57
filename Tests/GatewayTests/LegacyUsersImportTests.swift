import Foundation
import GatewayStore
import Logging
import SSTPServer
import Testing

/// Upgrading from the users file: `[users] file` is imported into an empty state store once; afterwards the store
/// is authoritative.
@Suite("legacy users file import at start")
struct LegacyUsersImportTests {
    @Test("an empty store imports the file; a store with users does not re-import it")
    func importOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let usersFile = directory.appendingPathComponent("users").path
        // RFC 2759 §9.2: NtPasswordHash("clientPass") = 44EBBA8D5312B8D611474411F56989AE.
        try "User:44EBBA8D5312B8D611474411F56989AE\ncarol:*:eap-tls\n".write(
            toFile: usersFile, atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        configuration.stateDatabase = directory.appendingPathComponent("state.sqlite").path
        configuration.usersFile = usersFile
        let logs = LogRecorder()
        var logger = Logger(label: "test") { _ in RecordingLogHandler(recorder: logs) }
        logger.logLevel = .notice

        let first = try Daemon.openStore(configuration, logger: logger)
        #expect(try first.users().map(\.name) == ["carol", "User"])
        #expect(try first.user(named: "user")?.ntPasswordHash?.count == 16)
        #expect(try first.user(named: "carol")?.allowedMethods == ["eap-tls"])
        #expect(logs.contains("imported the legacy users file into the state store; manage users with sstpctl user", "users", "2"))
        // The operator deletes a user with sstpctl; a restart must not bring it back from the old file.
        #expect(try first.deleteUser("carol"))
        try first.close()
        let second = try Daemon.openStore(configuration, logger: logger)
        #expect(try second.users().map(\.name) == ["User"])
        try second.close()
    }
}
