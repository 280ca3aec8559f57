import GatewayPolicy
import Testing

/// Mutating calls cannot sit inside `#expect`.
private func admit(
    _ table: inout UnauthenticatedAdmission, _ address: String, perAddress: Int = 2, total: Int = 4
) -> UnauthenticatedAdmission.Decision {
    table.admit(address: address, limits: .init(perAddress: perAddress, total: total))
}

private func release(_ table: inout UnauthenticatedAdmission, _ ticket: UInt64) -> Bool { table.release(ticket) }

private func ticket(_ decision: UnauthenticatedAdmission.Decision) -> UInt64? {
    if case .admitted(let ticket, _) = decision { return ticket }
    return nil
}

@Suite("Admission of unauthenticated connections")
struct UnauthenticatedAdmissionTests {
    @Test("one address gets at most its budget; others are not affected; a release frees a slot")
    func perAddress() throws {
        var table = UnauthenticatedAdmission()
        let a1 = try #require(ticket(admit(&table, "192.0.2.1")))
        let a2 = try #require(ticket(admit(&table, "192.0.2.1")))
        #expect(admit(&table, "192.0.2.1") == .refusedPerAddress)
        #expect(table.count(for: "192.0.2.1") == 2)
        #expect(ticket(admit(&table, "192.0.2.2")) != nil)
        #expect(table.count == 3)
        #expect(release(&table, a1))
        #expect(!release(&table, a1), "a second release is a no-op")
        #expect(table.count(for: "192.0.2.1") == 1)
        #expect(ticket(admit(&table, "192.0.2.1")) != nil)
        #expect(table.holds(a2))
        #expect(!table.holds(a1))
    }

    @Test("a full table evicts the oldest held connection, not the newcomer; released ones are skipped")
    func evictsOldest() throws {
        var table = UnauthenticatedAdmission()
        let first = try #require(ticket(admit(&table, "a")))
        let second = try #require(ticket(admit(&table, "b")))
        let third = try #require(ticket(admit(&table, "c")))
        let fourth = try #require(ticket(admit(&table, "d")))
        #expect(release(&table, first))
        // Three held, one free slot: no eviction.
        #expect(admit(&table, "e") == .admitted(ticket: fourth + 1, evicted: []))
        // Full: the oldest still held is `second` (the released `first` is skipped).
        #expect(admit(&table, "f") == .admitted(ticket: fourth + 2, evicted: [second]))
        #expect(!table.holds(second))
        #expect(table.count == 4)
        #expect(table.count(for: "b") == 0)
        #expect(!release(&table, second), "an evicted ticket is no longer held")
        #expect(admit(&table, "g") == .admitted(ticket: fourth + 3, evicted: [third]))
    }

    @Test("the per-address cap is checked before eviction: a refused connection evicts nobody")
    func refusalEvictsNobody() throws {
        var table = UnauthenticatedAdmission()
        for _ in 0..<2 { _ = admit(&table, "x", perAddress: 2, total: 2) }
        #expect(admit(&table, "x", perAddress: 2, total: 2) == .refusedPerAddress)
        #expect(table.count == 2)
    }

    @Test("a lowered total (reload) evicts down to it on the next admission")
    func loweredTotal() throws {
        var table = UnauthenticatedAdmission()
        var tickets: [UInt64] = []
        for index in 0..<6 { tickets.append(try #require(ticket(admit(&table, "h\(index)", total: 10)))) }
        let decision = admit(&table, "new", total: 3)
        guard case .admitted(_, let evicted) = decision else {
            Issue.record("refused: \(decision)")
            return
        }
        #expect(evicted == Array(tickets.prefix(4)))
        #expect(table.count == 3)
    }

    @Test("a flood from many addresses never holds more than the total, and memory stays bounded")
    func floodStaysBounded() {
        var table = UnauthenticatedAdmission()
        var held: [UInt64] = []
        var most = 0
        var mostEvicted = 0
        var mostQueued = 0
        for index in 0..<100_000 {
            if case .admitted(let ticket, let evicted) = admit(&table, "10.0.\(index % 250).\(index % 7)", perAddress: 3, total: 256) {
                held.append(ticket)
                mostEvicted = max(mostEvicted, evicted.count)
            }
            most = max(most, table.count)
            mostQueued = max(mostQueued, table.queuedTickets)
            // Half of the connections finish (authenticate or close) soon after.
            if index % 2 == 0, let done = held.popLast() { table.release(done) }
        }
        #expect(most == 256)
        #expect(mostEvicted == 1)
        #expect(mostQueued <= 2 * 256 + 64 + 1)
    }
}
