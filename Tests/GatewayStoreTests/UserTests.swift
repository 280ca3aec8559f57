import Foundation
import GatewayStore
import Testing

@Suite("Users")
struct UserTests {
    @Test func upsertAndLookUpIgnoringCaseAndDomain() throws {
        let store = try GatewayStore.inMemory()
        try store.upsertUser(.init(name: "Alice", ntPasswordHash: clientPassHash))
        let expected = GatewayStore.User(name: "Alice", ntPasswordHash: clientPassHash, allowedMethods: nil, locked: false)
        #expect(try store.user(named: "Alice") == expected)
        #expect(try store.user(named: "alice") == expected)
        #expect(try store.user(named: "CORP\\ALICE") == expected)
        #expect(try store.user(named: "bob") == nil)
        #expect(try store.user(named: "") == nil)
        #expect(try store.user(named: "CORP\\") == nil)
    }

    @Test func upsertReplacesTheUserWithTheSameKey() throws {
        let store = try GatewayStore.inMemory()
        try store.upsertUser(.init(name: "alice", ntPasswordHash: clientPassHash))
        let replacement = GatewayStore.User(name: "ALICE", ntPasswordHash: nil, allowedMethods: ["eap-tls"])
        try store.upsertUser(replacement)
        #expect(try store.users() == [replacement])
        #expect(try store.user(named: "Alice") == replacement)
    }

    @Test func usersAreSortedByNameIgnoringCase() throws {
        let store = try GatewayStore.inMemory()
        for name in ["carol", "Bob", "alice"] {
            try store.upsertUser(.init(name: name, ntPasswordHash: clientPassHash, allowedMethods: ["mschapv2", "eap-tls"]))
        }
        #expect(try store.users().map(\.name) == ["alice", "Bob", "carol"])
        #expect(try store.user(named: "bob")?.allowedMethods == ["mschapv2", "eap-tls"])
    }

    @Test func deleteUser() throws {
        let store = try GatewayStore.inMemory()
        try store.upsertUser(.init(name: "alice", ntPasswordHash: clientPassHash))
        #expect(try store.deleteUser("DOMAIN\\Alice"))
        #expect(try !store.deleteUser("alice"))
        #expect(try store.users().isEmpty)
    }

    @Test func lockAndUnlock() throws {
        let store = try GatewayStore.inMemory()
        try store.upsertUser(.init(name: "alice", ntPasswordHash: clientPassHash))
        #expect(try store.setLocked("ALICE", true))
        #expect(try store.user(named: "alice")?.locked == true)
        #expect(try store.setLocked("alice", false))
        #expect(try store.user(named: "alice")?.locked == false)
        #expect(try !store.setLocked("nobody", true))
    }

    @Test(arguments: ["", "a:b", "a/b", "a\\b", "a b", "tab\t", "é", String(repeating: "x", count: 65)])
    func invalidNamesAreRefused(name: String) throws {
        let store = try GatewayStore.inMemory()
        let error = #expect(throws: GatewayStoreError.self) {
            try store.upsertUser(.init(name: name, ntPasswordHash: clientPassHash))
        }
        #expect(error?.code == .invalidUserName)
        #expect(try store.users().isEmpty)
    }

    @Test func sixtyFourCharacterNameIsAccepted() throws {
        let store = try GatewayStore.inMemory()
        let name = String(repeating: "x", count: 64)
        try store.upsertUser(.init(name: name, ntPasswordHash: clientPassHash))
        #expect(try store.user(named: name.uppercased())?.name == name)
    }

    @Test(arguments: [
        GatewayStore.User(name: "a", ntPasswordHash: Array(clientPassHash.prefix(15))),
        GatewayStore.User(name: "a", ntPasswordHash: clientPassHash, allowedMethods: []),
        GatewayStore.User(name: "a", ntPasswordHash: clientPassHash, allowedMethods: ["pap"]),
        GatewayStore.User(name: "a", ntPasswordHash: clientPassHash, allowedMethods: ["eap-tls", "eap-tls"]),
        GatewayStore.User(name: "a", ntPasswordHash: nil),
        GatewayStore.User(name: "a", ntPasswordHash: nil, allowedMethods: ["mschapv2"]),
    ])
    func invalidUsersAreRefused(user: GatewayStore.User) throws {
        let store = try GatewayStore.inMemory()
        let error = #expect(throws: GatewayStoreError.self) { try store.upsertUser(user) }
        #expect(error?.code == .invalidUser)
        #expect(try store.users().isEmpty)
    }

    @Test func theHashIsNeverInAnErrorOrDescription() throws {
        let store = try GatewayStore.inMemory()
        let badName = GatewayStore.User(name: "bad name", ntPasswordHash: clientPassHash)
        let shortHash = GatewayStore.User(name: "alice", ntPasswordHash: Array(clientPassHash.prefix(15)))
        var texts: [String] = [badName.description, String(reflecting: badName), "\(shortHash)"]
        for user in [badName, shortHash] {
            let error = #expect(throws: GatewayStoreError.self) { try store.upsertUser(user) }
            texts.append(error?.description ?? "")
        }
        let badFile = "alice:44EBBA8D5312B8D611474411F56989:mschapv2\n"
        let error = #expect(throws: GatewayStoreError.self) { try store.importUsersFile(text: badFile) }
        texts.append(error?.description ?? "")
        let decimalBytes = clientPassHash.map(String.init).joined(separator: ", ")
        for text in texts {
            #expect(!text.isEmpty)
            for secret in clientPassHash.hexSpellings + ["44EBBA8D5312B8D611474411F56989", decimalBytes] {
                #expect(!text.contains(secret), "\(text)")
            }
        }
        #expect(badName.description.contains("NT hash set"))
    }
}
