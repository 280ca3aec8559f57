import Foundation
import GatewayStore
import Testing

@Suite("Accounting")
struct AccountingTests {
    private func start(
        _ store: GatewayStore, user: String = "alice", session: String = "s", at offset: TimeInterval
    ) throws -> Int64 {
        try store.startAccounting(
            sessionKey: session, user: user, address: "172.16.0.2", peer: "192.0.2.7:50123", method: "mschapv2",
            cryptoBinding: "sha256", at: Instant.at(offset))
    }

    @Test func startFlushStop() throws {
        let store = try GatewayStore.inMemory()
        let id = try start(store, session: "s1", at: 0.5)
        var record = try #require(try store.accountingRecord(id: id))
        #expect(record == GatewayStore.AccountingRecord(
            id: id, sessionKey: "s1", user: "alice", address: "172.16.0.2", peer: "192.0.2.7:50123",
            method: "mschapv2", cryptoBinding: "sha256", start: Instant.at(0.5), stop: nil, stopReason: nil,
            bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0, lastFlush: Instant.at(0.5)))

        let flushed = GatewayStore.Counters(bytesIn: 1_000, bytesOut: 2_000, packetsIn: 10, packetsOut: 20)
        try store.flushAccounting(id: id, counters: flushed, at: Instant.at(60))
        record = try #require(try store.accountingRecord(id: id))
        #expect(record.counters == flushed)
        #expect(record.lastFlush == Instant.at(60))
        #expect(record.stop == nil)

        let final = GatewayStore.Counters(bytesIn: 5_000_000_000, bytesOut: 3, packetsIn: 4_000_000, packetsOut: 5)
        try store.stopAccounting(id: id, counters: final, reason: "client-disconnect", at: Instant.at(90.25))
        record = try #require(try store.accountingRecord(id: id))
        #expect(record.counters == final)
        #expect(record.stop == Instant.at(90.25))
        #expect(record.lastFlush == Instant.at(90.25))
        #expect(record.stopReason == "client-disconnect")
        #expect(try store.openAccounting().isEmpty)
    }

    @Test func aStoppedRecordKeepsItsFinalCounters() throws {
        let store = try GatewayStore.inMemory()
        let id = try start(store, at: 0)
        let final = GatewayStore.Counters(bytesIn: 7, bytesOut: 8, packetsIn: 1, packetsOut: 1)
        try store.stopAccounting(id: id, counters: final, reason: "admin", at: Instant.at(5))
        // A late flush (single or batched) is ignored; a second stop is an error.
        try store.flushAccounting(id: id, counters: .init(bytesIn: 99), at: Instant.at(6))
        try store.flushAccounting([(id: id, counters: .init(bytesIn: 99))], at: Instant.at(6))
        let error = #expect(throws: GatewayStoreError.self) {
            try store.stopAccounting(id: id, counters: .zero, reason: "again", at: Instant.at(7))
        }
        #expect(error?.code == .recordClosed)
        let record = try #require(try store.accountingRecord(id: id))
        #expect(record.counters == final)
        #expect(record.stopReason == "admin")
        #expect(record.lastFlush == Instant.at(5))
    }

    @Test func unknownRecords() throws {
        let store = try GatewayStore.inMemory()
        let flushError = #expect(throws: GatewayStoreError.self) {
            try store.flushAccounting(id: 42, counters: .zero, at: Instant.at(0))
        }
        #expect(flushError?.code == .unknownRecord)
        let stopError = #expect(throws: GatewayStoreError.self) {
            try store.stopAccounting(id: 42, counters: .zero, reason: "x", at: Instant.at(0))
        }
        #expect(stopError?.code == .unknownRecord)
        #expect(try store.accountingRecord(id: 42) == nil)
    }

    @Test func batchFlushWritesEveryOpenRecordAndSkipsTheRest() throws {
        let store = try GatewayStore.inMemory()
        let a = try start(store, session: "a", at: 0)
        let b = try start(store, session: "b", at: 1)
        let stopped = try start(store, session: "c", at: 2)
        try store.stopAccounting(id: stopped, counters: .init(bytesIn: 1), reason: "done", at: Instant.at(3))
        try store.flushAccounting(
            [(id: a, counters: .init(bytesIn: 10)), (id: b, counters: .init(bytesOut: 20)),
             (id: stopped, counters: .init(bytesIn: 30)), (id: 999, counters: .init(bytesIn: 40))],
            at: Instant.at(4))
        #expect(try store.accountingRecord(id: a)?.counters == .init(bytesIn: 10))
        #expect(try store.accountingRecord(id: b)?.counters == .init(bytesOut: 20))
        #expect(try store.accountingRecord(id: b)?.lastFlush == Instant.at(4))
        #expect(try store.accountingRecord(id: stopped)?.counters == .init(bytesIn: 1))
        #expect(try store.openAccounting().map(\.id) == [a, b])
        try store.flushAccounting([], at: Instant.at(5))
    }

    @Test func queryOrderAndFilters() throws {
        let store = try GatewayStore.inMemory()
        // alice: [0, 10] and [100, open); bob: [20, 30] and [40, 60].
        let alice1 = try start(store, user: "Alice", at: 0)
        try store.stopAccounting(id: alice1, counters: .zero, reason: "r", at: Instant.at(10))
        let bob1 = try start(store, user: "bob", at: 20)
        try store.stopAccounting(id: bob1, counters: .zero, reason: "r", at: Instant.at(30))
        let bob2 = try start(store, user: "CORP\\Bob", at: 40)
        try store.stopAccounting(id: bob2, counters: .zero, reason: "r", at: Instant.at(60))
        let alice2 = try start(store, user: "alice", at: 100)

        #expect(try store.accounting().map(\.id) == [alice2, bob2, bob1, alice1])
        #expect(try store.accounting(limit: 2).map(\.id) == [alice2, bob2])
        #expect(try store.accounting(limit: 0).isEmpty)
        #expect(try store.accounting(user: "ALICE").map(\.id) == [alice2, alice1])
        #expect(try store.accounting(user: "bob").map(\.id) == [bob2, bob1])
        #expect(try store.accounting(user: "nobody").isEmpty)
        // Active at or after 30: bob1 stopped exactly at 30, bob2 after, alice2 still open; alice1 ended at 10.
        #expect(try store.accounting(since: Instant.at(30)).map(\.id) == [alice2, bob2, bob1])
        #expect(try store.accounting(since: Instant.at(30.5)).map(\.id) == [alice2, bob2])
        #expect(try store.accounting(user: "bob", since: Instant.at(30.5), limit: 5).map(\.id) == [bob2])
        // The record keeps the name as the session gave it.
        #expect(try store.accountingRecord(id: bob2)?.user == "CORP\\Bob")
    }

    @Test func recordsWithTheSameStartAreNewestIdFirst() throws {
        let store = try GatewayStore.inMemory()
        let first = try start(store, session: "a", at: 5)
        let second = try start(store, session: "b", at: 5)
        #expect(try store.accounting().map(\.id) == [second, first])
    }

    @Test func retentionDeletesOnlyOldStoppedRecords() throws {
        let store = try GatewayStore.inMemory()
        let old = try start(store, at: 0)
        try store.stopAccounting(id: old, counters: .zero, reason: "r", at: Instant.at(10))
        let recent = try start(store, at: 20)
        try store.stopAccounting(id: recent, counters: .zero, reason: "r", at: Instant.at(30))
        let open = try start(store, at: 1)
        #expect(try store.deleteAccounting(stoppedBefore: Instant.at(25)) == 1)
        #expect(Set(try store.accounting().map(\.id)) == [recent, open])
    }
}
