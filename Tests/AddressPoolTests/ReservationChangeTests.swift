import AddressPool
import Testing

/// Reservations changed while the pool is in use (`sstpctl pool reserve/release` on a running gateway).
@Suite("changing reservations at run time")
struct ReservationChangeTests {
    static let network = IPv4Network(address: IPv4Address(10, 77, 0, 0), prefixLength: 29)!  // .1–.6 usable
    static let gateway = IPv4Address(10, 77, 0, 1)

    @Test("a new reservation gives the user that address next time and takes it out of general allocation")
    func reserveLater() throws {
        var pool = try AddressPool(network: Self.network, excluding: [Self.gateway])
        #expect(pool.size == 5 && pool.free == 5)
        try pool.replaceReservations(["carol": IPv4Address(10, 77, 0, 5)])
        #expect(pool.reservations == ["carol": IPv4Address(10, 77, 0, 5)])
        // Others never get .5.
        var others: [IPv4Address] = []
        for session in 1...4 { others.append(try pool.lease(sessionID: UInt64(session), user: "u\(session)")) }
        #expect(!others.contains(IPv4Address(10, 77, 0, 5)))
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 9, user: "dave") }
        #expect(try pool.lease(sessionID: 10, user: "carol") == IPv4Address(10, 77, 0, 5))
        #expect(pool.used == 5 && pool.free == 0)
    }

    @Test("releasing a reservation returns the address to general allocation; live leases are untouched")
    func releaseAndLiveLeases() throws {
        var pool = try AddressPool(
            network: Self.network, excluding: [Self.gateway], reservations: ["carol": IPv4Address(10, 77, 0, 2)])
        // bob holds .3; reserving .3 for alice does not take it from bob.
        let bob = try pool.lease(sessionID: 1, user: "bob")
        #expect(bob == IPv4Address(10, 77, 0, 3))
        try pool.replaceReservations(["alice": bob])
        #expect(pool.address(of: 1) == bob)
        // carol's old reservation .2 is free for anyone now; .3 is bob's (and alice's once he leaves).
        var taken: Set<IPv4Address> = []
        for session in 2...5 { taken.insert(try pool.lease(sessionID: UInt64(session), user: "u\(session)")) }
        #expect(taken == [IPv4Address(10, 77, 0, 2), IPv4Address(10, 77, 0, 4), IPv4Address(10, 77, 0, 5), IPv4Address(10, 77, 0, 6)])
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 6, user: "u6") }
        // When bob leaves, .3 goes to alice only.
        pool.release(sessionID: 1)
        #expect(throws: AddressPoolError.exhausted) { try pool.lease(sessionID: 6, user: "u6") }
        #expect(try pool.lease(sessionID: 7, user: "alice") == bob)
        // Removing every reservation while alice holds .3: she keeps it; on release it is free for all.
        try pool.replaceReservations([:])
        #expect(pool.address(of: 7) == bob)
        pool.release(sessionID: 7)
        #expect(try pool.lease(sessionID: 8, user: "u8") == bob)
        for session in [2, 3, 4, 5, 8] { pool.release(sessionID: UInt64(session)) }
        #expect(pool.used == 0 && pool.free == 5)
    }

    @Test(
        "invalid reservations change nothing",
        arguments: [IPv4Address(10, 77, 0, 1), IPv4Address(10, 77, 0, 0), IPv4Address(10, 77, 0, 7), IPv4Address(10, 78, 0, 2)])
    func invalid(address: IPv4Address) throws {
        var pool = try AddressPool(
            network: Self.network, excluding: [Self.gateway], reservations: ["carol": IPv4Address(10, 77, 0, 2)])
        #expect(throws: AddressPoolError.invalidReservation(user: "zed")) {
            try pool.replaceReservations(["carol": IPv4Address(10, 77, 0, 2), "zed": address])
        }
        #expect(pool.reservations == ["carol": IPv4Address(10, 77, 0, 2)])
        #expect(throws: AddressPoolError.invalidReservation(user: "b")) {
            try pool.replaceReservations(["a": IPv4Address(10, 77, 0, 4), "b": IPv4Address(10, 77, 0, 4)])
        }
    }
}
