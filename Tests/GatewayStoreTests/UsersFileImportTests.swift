import Foundation
import GatewayStore
import Testing

@Suite("Legacy users file import")
struct UsersFileImportTests {
    @Test func importsHashesMethodsAndCertificateOnlyUsers() throws {
        let store = try GatewayStore.inMemory()
        let text = """
            # sstpd users: NAME:NT-HASH[:METHODS]

            User:44EBBA8D5312B8D611474411F56989AE
            dave:44ebba8d5312b8d611474411f56989ae:mschapv2,eap-tls
              carol:*:eap-tls
            """
        #expect(try store.importUsersFile(text: text) == 3)
        #expect(try store.users() == [
            .init(name: "carol", ntPasswordHash: nil, allowedMethods: ["eap-tls"]),
            .init(name: "dave", ntPasswordHash: clientPassHash, allowedMethods: ["mschapv2", "eap-tls"]),
            .init(name: "User", ntPasswordHash: clientPassHash, allowedMethods: nil),
        ])
        #expect(try store.user(named: "WORKGROUP\\user")?.ntPasswordHash == clientPassHash)
    }

    @Test func importReplacesExistingUsersButKeepsLockAndReservation() throws {
        let store = try GatewayStore.inMemory()
        try store.upsertUser(.init(name: "user", ntPasswordHash: nil, allowedMethods: ["eap-tls"], locked: true))
        try store.reserve(user: "user", address: "172.16.0.10")
        #expect(try store.importUsersFile(text: "User:44EBBA8D5312B8D611474411F56989AE\n") == 1)
        #expect(try store.user(named: "user") == .init(name: "User", ntPasswordHash: clientPassHash, locked: true))
        #expect(try store.reservation(forUser: "user") == "172.16.0.10")
    }

    @Test func emptyFileImportsNothing() throws {
        let store = try GatewayStore.inMemory()
        #expect(try store.importUsersFile(text: "# nothing\n\n") == 0)
        #expect(try store.users().isEmpty)
    }

    @Test(arguments: [
        ("alice", 1),
        ("alice:44EBBA8D5312B8D611474411F56989AE:mschapv2:x", 1),
        ("al ice:44EBBA8D5312B8D611474411F56989AE", 1),
        ("alice:44EBBA8D5312B8D611474411F56989", 1),
        ("alice:44EBBA8D5312B8D611474411F56989ZZ", 1),
        ("alice:*", 1),
        ("alice:*:mschapv2", 1),
        ("alice:44EBBA8D5312B8D611474411F56989AE:pap", 1),
        ("alice:44EBBA8D5312B8D611474411F56989AE:", 1),
        ("# ok\nalice:*:eap-tls\nALICE:*:eap-tls", 3),
    ])
    func invalidLinesNameTheLineAndImportNothing(text: String, line: Int) throws {
        let store = try GatewayStore.inMemory()
        let error = #expect(throws: GatewayStoreError.self) {
            try store.importUsersFile(text: "bob:*:eap-tls\n" + text)
        }
        #expect(error?.code == .invalidUsersFile)
        #expect(error?.description.contains("line \(line + 1):") == true, "\(String(describing: error))")
        #expect(error?.description.contains("44EBBA8D") == false)
        #expect(try store.users().isEmpty)
    }
}
