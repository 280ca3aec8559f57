import Foundation
import GatewayStore
import Testing

@Suite("Reservations")
struct ReservationTests {
    /// A store with users alice and bob.
    private func storeWithUsers() throws -> GatewayStore {
        let store = try GatewayStore.inMemory()
        try store.upsertUser(.init(name: "Alice", ntPasswordHash: clientPassHash))
        try store.upsertUser(.init(name: "bob", ntPasswordHash: clientPassHash))
        return store
    }

    @Test func reserveAndLookUp() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "CORP\\alice", address: "172.16.0.10")
        #expect(try store.reservation(forUser: "ALICE") == "172.16.0.10")
        #expect(try store.reservation(forUser: "bob") == nil)
        #expect(try store.reservation(forAddress: "172.16.0.10") == .init(user: "Alice", address: "172.16.0.10"))
        #expect(try store.reservations() == [.init(user: "Alice", address: "172.16.0.10")])
    }

    @Test func anAddressBelongsToOneUser() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "alice", address: "172.16.0.10")
        let error = #expect(throws: GatewayStoreError.self) { try store.reserve(user: "bob", address: "172.16.0.10") }
        #expect(error?.code == .addressReserved)
        #expect(error?.description.contains("Alice") == true)
        #expect(try store.reservation(forUser: "bob") == nil)
        // Reserving it again for the same user is fine.
        try store.reserve(user: "alice", address: "172.16.0.10")
        #expect(try store.reservations().count == 1)
    }

    @Test func aUserHasOneReservationAndANewOneReplacesIt() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "alice", address: "172.16.0.10")
        try store.reserve(user: "alice", address: "172.16.0.11")
        #expect(try store.reservations() == [.init(user: "Alice", address: "172.16.0.11")])
        // The old address is free again.
        try store.reserve(user: "bob", address: "172.16.0.10")
        #expect(try store.reservations() == [
            .init(user: "bob", address: "172.16.0.10"), .init(user: "Alice", address: "172.16.0.11"),
        ])
    }

    @Test func reservationsAreInNumericAddressOrder() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "alice", address: "172.16.0.100")
        try store.reserve(user: "bob", address: "172.16.0.9")
        #expect(try store.reservations().map(\.address) == ["172.16.0.9", "172.16.0.100"])
    }

    @Test func unknownUser() throws {
        let store = try storeWithUsers()
        let error = #expect(throws: GatewayStoreError.self) { try store.reserve(user: "carol", address: "172.16.0.10") }
        #expect(error?.code == .unknownUser)
        #expect(try store.reservations().isEmpty)
    }

    @Test(arguments: ["172.16.0", "172.16.0.256", "172.016.0.1", "a.b.c.d", "172.16.0.1 ", "::1", ""])
    func invalidAddress(address: String) throws {
        let store = try storeWithUsers()
        let error = #expect(throws: GatewayStoreError.self) { try store.reserve(user: "alice", address: address) }
        #expect(error?.code == .invalidAddress)
    }

    @Test func deletingTheUserDeletesTheReservation() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "alice", address: "172.16.0.10")
        try store.reserve(user: "bob", address: "172.16.0.11")
        #expect(try store.deleteUser("alice"))
        #expect(try store.reservations() == [.init(user: "bob", address: "172.16.0.11")])
        // Re-creating alice does not bring the reservation back.
        try store.upsertUser(.init(name: "alice", ntPasswordHash: clientPassHash))
        #expect(try store.reservation(forUser: "alice") == nil)
    }

    @Test func replacingTheUserKeepsTheReservation() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "alice", address: "172.16.0.10")
        try store.upsertUser(.init(name: "alice", ntPasswordHash: nil, allowedMethods: ["eap-tls"]))
        #expect(try store.reservations() == [.init(user: "alice", address: "172.16.0.10")])
    }

    @Test func release() throws {
        let store = try storeWithUsers()
        try store.reserve(user: "alice", address: "172.16.0.10")
        try store.reserve(user: "bob", address: "172.16.0.11")
        #expect(try store.releaseReservation(address: "172.16.0.10"))
        #expect(try !store.releaseReservation(address: "172.16.0.10"))
        #expect(try !store.releaseReservation(address: "not an address"))
        #expect(try store.releaseReservation(forUser: "BOB"))
        #expect(try store.reservations().isEmpty)
    }
}

@Suite("Leases")
struct LeaseTests {
    @Test func recordReplaceAndRemove() throws {
        let store = try GatewayStore.inMemory()
        let first = GatewayStore.Lease(address: "172.16.0.20", user: "alice", sessionKey: "s1", since: Instant.at(0.5))
        let second = GatewayStore.Lease(address: "172.16.0.3", user: "bob", sessionKey: "s2", since: Instant.at(1.25))
        try store.recordLease(first)
        try store.recordLease(second)
        #expect(try store.leases() == [second, first])
        // A row for the same address is replaced.
        let replacement = GatewayStore.Lease(address: "172.16.0.20", user: "carol", sessionKey: "s3", since: Instant.at(2))
        try store.recordLease(replacement)
        #expect(try store.leases() == [second, replacement])
        #expect(try store.removeLease(address: "172.16.0.20"))
        #expect(try !store.removeLease(address: "172.16.0.20"))
        #expect(try store.leases() == [second])
    }

    @Test func leasesNeedNoUserRow() throws {
        // Certificate users may have no row in `users`; their leases are recorded all the same.
        let store = try GatewayStore.inMemory()
        try store.recordLease(.init(address: "172.16.0.5", user: "CN=laptop", sessionKey: "s", since: Instant.at(0)))
        #expect(try store.leases().count == 1)
    }

    @Test func invalidAddressIsRefused() throws {
        let store = try GatewayStore.inMemory()
        let error = #expect(throws: GatewayStoreError.self) {
            try store.recordLease(.init(address: "172.16.0.300", user: "a", sessionKey: "s", since: Instant.at(0)))
        }
        #expect(error?.code == .invalidAddress)
    }

    @Test func currentTimeRoundTripsToWithinAMicrosecond() throws {
        let store = try GatewayStore.inMemory()
        let now = Date()
        try store.recordLease(.init(address: "172.16.0.5", user: "a", sessionKey: "s", since: now))
        let since = try #require(try store.leases().first?.since)
        #expect(abs(since.timeIntervalSince(now)) < 1e-6)
    }
}
