import Foundation
import GatewayStore
import Testing

/// kill -9 leaves the file exactly as a store closed without stopping its sessions: open records, lease rows.
/// (WAL commits are durable at each transaction, so nothing else differs.)
@Suite("Crash recovery")
struct CrashRecoveryTests {
    @Test func reopenedStoreClosesOpenRecordsAtTheirLastFlushAndClearsLeases() throws {
        let directory = try TemporaryDirectory()
        let flushed = GatewayStore.Counters(bytesIn: 1_234, bytesOut: 5_678, packetsIn: 12, packetsOut: 34)
        let (flushedID, unflushedID, stoppedID): (Int64, Int64, Int64)
        do {
            let daemon = try openStore(directory)
            flushedID = try daemon.startAccounting(
                sessionKey: "s1", user: "alice", address: "172.16.0.2", peer: "192.0.2.1:1000", method: "mschapv2",
                cryptoBinding: "sha256", at: Instant.at(0))
            unflushedID = try daemon.startAccounting(
                sessionKey: "s2", user: "bob", address: "172.16.0.3", peer: "192.0.2.2:1000", method: "eap-tls",
                cryptoBinding: nil, at: Instant.at(1.5))
            stoppedID = try daemon.startAccounting(
                sessionKey: "s3", user: "carol", address: nil, peer: "192.0.2.3:1000", method: "mschapv2",
                cryptoBinding: nil, at: Instant.at(2))
            try daemon.stopAccounting(id: stoppedID, counters: .init(bytesIn: 1), reason: "auth-failed", at: Instant.at(3))
            try daemon.flushAccounting(id: flushedID, counters: flushed, at: Instant.at(60))
            // Traffic after the last flush never reaches the file.
            try daemon.recordLease(.init(address: "172.16.0.2", user: "alice", sessionKey: "s1", since: Instant.at(0)))
            try daemon.recordLease(.init(address: "172.16.0.3", user: "bob", sessionKey: "s2", since: Instant.at(1.5)))
            // No stop, no lease removal: the process dies here.
        }

        let restarted = try openStore(directory)
        #expect(try restarted.leases().count == 2)
        #expect(try restarted.openAccounting().map(\.id) == [flushedID, unflushedID])
        let result = try restarted.recoverAfterUncleanShutdown()
        #expect(result.closedRecords == 2)
        #expect(result.clearedLeases == 2)

        let first = try #require(try restarted.accountingRecord(id: flushedID))
        #expect(first.stopReason == "crash")
        #expect(first.stop == Instant.at(60))
        #expect(first.lastFlush == Instant.at(60))
        #expect(first.counters == flushed)

        let second = try #require(try restarted.accountingRecord(id: unflushedID))
        #expect(second.stopReason == GatewayStore.crashStopReason)
        #expect(second.stop == Instant.at(1.5))
        #expect(second.counters == .zero)

        let untouched = try #require(try restarted.accountingRecord(id: stoppedID))
        #expect(untouched.stopReason == "auth-failed")
        #expect(untouched.stop == Instant.at(3))

        #expect(try restarted.leases().isEmpty)
        #expect(try restarted.openAccounting().isEmpty)
        // A second recovery finds nothing to do.
        let again = try restarted.recoverAfterUncleanShutdown()
        #expect(again.closedRecords == 0 && again.clearedLeases == 0)
    }

    @Test func recoveryKeepsUsersAndReservations() throws {
        let directory = try TemporaryDirectory()
        do {
            let daemon = try openStore(directory)
            try daemon.upsertUser(.init(name: "alice", ntPasswordHash: clientPassHash))
            try daemon.reserve(user: "alice", address: "172.16.0.10")
            try daemon.close()
        }
        let restarted = try openStore(directory)
        try restarted.recoverAfterUncleanShutdown()
        #expect(try restarted.user(named: "alice")?.ntPasswordHash == clientPassHash)
        #expect(try restarted.reservation(forUser: "alice") == "172.16.0.10")
    }

    @Test func aClosedStoreReportsUnavailable() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        try store.close()
        let error = #expect(throws: GatewayStoreError.self) { try store.users() }
        #expect(error?.code == .unavailable)
    }
}
