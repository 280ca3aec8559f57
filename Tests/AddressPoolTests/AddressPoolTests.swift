import AddressPool
import Testing

@Suite struct AddressPoolTests {
    private func network(_ text: String) throws -> IPv4Network {
        try #require(IPv4Network(text))
    }

    @Test func excludesNetworkBroadcastAndGateway() throws {
        let gateway = IPv4Address(10, 0, 0, 1)
        var pool = try AddressPool(network: network("10.0.0.0/29"), excluding: [gateway])
        #expect(pool.size == 5)
        var leased: [IPv4Address] = []
        for session in UInt64(1)...5 {
            leased.append(try pool.lease(sessionID: session, user: "user\(session)"))
        }
        #expect(leased == (2...6).map { IPv4Address(10, 0, 0, $0) })
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 6, user: "user6") }
    }

    @Test func leaseIsIdempotentPerSession() throws {
        var pool = try AddressPool(network: network("10.0.0.0/24"), excluding: [IPv4Address(10, 0, 0, 1)])
        let first = try pool.lease(sessionID: 7, user: "alice")
        #expect(try pool.lease(sessionID: 7, user: "alice") == first)
        #expect(pool.used == 1)
        #expect(pool.address(of: 7) == first)
        #expect(pool.session(holding: first) == 7)
        #expect(pool.session(holding: IPv4Address(10, 0, 1, 1)) == nil)
    }

    @Test func sameUserGetsSameAddressBack() throws {
        var pool = try AddressPool(network: network("10.0.0.0/24"), excluding: [IPv4Address(10, 0, 0, 1)])
        let alice = try pool.lease(sessionID: 1, user: "alice")
        let bob = try pool.lease(sessionID: 2, user: "bob")
        pool.release(sessionID: 1)
        pool.release(sessionID: 2)
        // Others come and go in between; next-fit keeps them off alice's old address.
        _ = try pool.lease(sessionID: 3, user: "carol")
        #expect(try pool.lease(sessionID: 4, user: "bob") == bob)
        #expect(try pool.lease(sessionID: 5, user: "alice") == alice)
    }

    @Test func stickyAddressTakenByAnotherUserFallsBack() throws {
        var pool = try AddressPool(network: network("10.0.0.0/30"))
        let alice = try pool.lease(sessionID: 1, user: "alice")
        pool.release(sessionID: 1)
        let bob = try pool.lease(sessionID: 2, user: "bob")
        let carol = try pool.lease(sessionID: 3, user: "carol")
        #expect(Set([bob, carol]).contains(alice))
        pool.release(sessionID: 2)
        pool.release(sessionID: 3)
        pool.release(sessionID: 1)  // no lease: a no-op
        #expect(pool.used == 0)
    }

    @Test func reservationsGoOnlyToTheirUser() throws {
        let reserved = IPv4Address(10, 0, 0, 2)
        var pool = try AddressPool(
            network: network("10.0.0.0/29"), excluding: [IPv4Address(10, 0, 0, 1)], reservations: ["dave": reserved])
        #expect(pool.size == 5)
        var others: [IPv4Address] = []
        for session in UInt64(1)...4 {
            others.append(try pool.lease(sessionID: session, user: "u\(session)"))
        }
        #expect(!others.contains(reserved))
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 5, user: "eve") }
        #expect(try pool.lease(sessionID: 6, user: "dave") == reserved)
        pool.release(sessionID: 6)
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 7, user: "eve") }
        #expect(try pool.lease(sessionID: 8, user: "dave") == reserved)
    }

    @Test func invalidReservationsAreRejected() throws {
        let net = try network("10.0.0.0/24")
        #expect(throws: AddressPoolError.invalidReservation(user: "x")) {
            try AddressPool(network: net, reservations: ["x": IPv4Address(10, 0, 1, 2)])
        }
        #expect(throws: AddressPoolError.invalidReservation(user: "x")) {
            try AddressPool(
                network: net, excluding: [IPv4Address(10, 0, 0, 1)], reservations: ["x": IPv4Address(10, 0, 0, 1)])
        }
        #expect(throws: AddressPoolError.networkTooLarge) { try AddressPool(network: network("10.0.0.0/7")) }
    }

    @Test func exhaustionThenRelease() throws {
        var pool = try AddressPool(network: network("10.0.0.0/28"), excluding: [IPv4Address(10, 0, 0, 1)])
        #expect(pool.size == 13)
        for session in UInt64(1)...13 {
            _ = try pool.lease(sessionID: session, user: "u\(session)")
        }
        #expect(pool.free == 0)
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 99, user: "late") }
        let freed = try #require(pool.address(of: 5))
        pool.release(sessionID: 5)
        #expect(pool.free == 1)
        #expect(try pool.lease(sessionID: 99, user: "late") == freed)
    }

    @Test func fiftySessionsGetDistinctAddressesAndAllRelease() throws {
        var pool = try AddressPool(network: network("198.18.0.0/24"), excluding: [IPv4Address(198, 18, 0, 1)])
        var seen = Set<IPv4Address>()
        for session in UInt64(1)...50 {
            let address = try pool.lease(sessionID: session, user: "user\(session)")
            #expect(pool.network.contains(address))
            #expect(address != IPv4Address(198, 18, 0, 1) && address != IPv4Address(198, 18, 0, 0))
            seen.insert(address)
        }
        #expect(seen.count == 50)
        #expect(pool.used == 50)
        for session in UInt64(1)...50 {
            pool.release(sessionID: session)
        }
        #expect(pool.used == 0)
        #expect(pool.free == 253)
    }

    @Test func slash30HasTwoHosts() throws {
        var pool = try AddressPool(network: network("198.18.77.0/30"), excluding: [IPv4Address(198, 18, 77, 1)])
        #expect(pool.size == 1)
        #expect(try pool.lease(sessionID: 1, user: "a") == IPv4Address(198, 18, 77, 2))
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 2, user: "b") }
    }

    @Test func slash31UsesBothAddresses() throws {
        var pool = try AddressPool(network: network("198.18.77.0/31"))
        #expect(pool.size == 2)
        let a = try pool.lease(sessionID: 1, user: "a")
        let b = try pool.lease(sessionID: 2, user: "b")
        #expect(Set([a, b]) == [IPv4Address(198, 18, 77, 0), IPv4Address(198, 18, 77, 1)])
    }

    @Test func slash16FillsCompletelyAndWrapsAround() throws {
        var pool = try AddressPool(network: network("10.1.0.0/16"), excluding: [IPv4Address(10, 1, 0, 1)])
        #expect(pool.size == 65_533)
        var seen = Set<UInt32>(minimumCapacity: 65_533)
        for session in UInt64(0)..<65_533 {
            seen.insert(try pool.lease(sessionID: session, user: "u\(session)").value)
        }
        #expect(seen.count == 65_533)
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 70_000, user: "x") }
        let freed = try #require(pool.address(of: 12))
        pool.release(sessionID: 12)
        #expect(try pool.lease(sessionID: 70_000, user: "x") == freed)
    }

    /// Random lease/release sequences checked against a trivially correct model.
    @Test func matchesModelUnderRandomOperations() throws {
        var pool = try AddressPool(
            network: network("10.0.0.0/27"), excluding: [IPv4Address(10, 0, 0, 1)],
            reservations: ["r1": IPv4Address(10, 0, 0, 9)])
        var model: [UInt64: (user: String, address: IPv4Address)] = [:]
        var generator = SplitMix64(seed: 42)
        for _ in 0..<5_000 {
            let session = generator.next() % 40
            let user = "u\(generator.next() % 12)"
            let chosenUser = generator.next() % 10 == 0 ? "r1" : user
            if generator.next() % 3 == 0 {
                pool.release(sessionID: session)
                model[session] = nil
            } else if let existing = model[session] {
                #expect(try pool.lease(sessionID: session, user: chosenUser) == existing.address)
            } else {
                do {
                    let address = try pool.lease(sessionID: session, user: chosenUser)
                    #expect(!model.values.contains { $0.address == address })
                    #expect(address != IPv4Address(10, 0, 0, 1) && address != IPv4Address(10, 0, 0, 0))
                    #expect(address != IPv4Address(10, 0, 0, 31))
                    #expect(address != IPv4Address(10, 0, 0, 9) || chosenUser == "r1")
                    model[session] = (chosenUser, address)
                } catch {
                    #expect(error == .exhausted)
                    let othersTaken = model.values.filter { $0.address != IPv4Address(10, 0, 0, 9) }.count
                    #expect(othersTaken == 28)
                }
            }
            #expect(pool.used == model.count)
        }
    }
}

/// A tiny deterministic generator so the model test is reproducible.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
