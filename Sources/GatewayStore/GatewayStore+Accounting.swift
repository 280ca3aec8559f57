import Foundation
import GRDB

extension GatewayStore {
    /// One session's accounting record. Open (no `stop`) while the session runs; sstpd flushes the counters
    /// periodically so a crash loses at most one interval of them.
    public struct AccountingRecord: Sendable, Equatable {
        public var id: Int64
        public var sessionKey: String
        /// The name the session authenticated as (as sent, or the certificate's name).
        public var user: String
        /// The address the session was given, if it got that far.
        public var address: String?
        /// The client's transport address ("192.0.2.7:50123").
        public var peer: String
        /// The authentication method (`mschapv2`, `eap-tls`).
        public var method: String
        /// How the crypto binding was verified (for example `sha256`), if it was.
        public var cryptoBinding: String?
        public var start: Date
        public var stop: Date?
        /// Why the session ended (`client-disconnect`, `admin`, `shutdown`, `crash`, …), nil while open.
        public var stopReason: String?
        public var bytesIn: Int64
        public var bytesOut: Int64
        public var packetsIn: Int64
        public var packetsOut: Int64
        /// When the counters were last written (the start, a flush, or the stop).
        public var lastFlush: Date

        public init(
            id: Int64, sessionKey: String, user: String, address: String?, peer: String, method: String,
            cryptoBinding: String?, start: Date, stop: Date?, stopReason: String?, bytesIn: Int64, bytesOut: Int64,
            packetsIn: Int64, packetsOut: Int64, lastFlush: Date
        ) {
            self.id = id
            self.sessionKey = sessionKey
            self.user = user
            self.address = address
            self.peer = peer
            self.method = method
            self.cryptoBinding = cryptoBinding
            self.start = start
            self.stop = stop
            self.stopReason = stopReason
            self.bytesIn = bytesIn
            self.bytesOut = bytesOut
            self.packetsIn = packetsIn
            self.packetsOut = packetsOut
            self.lastFlush = lastFlush
        }

        /// The counters as one value.
        public var counters: Counters {
            Counters(bytesIn: bytesIn, bytesOut: bytesOut, packetsIn: packetsIn, packetsOut: packetsOut)
        }
    }

    /// A session's traffic so far, from the gateway's point of view ("in" is from the client).
    public struct Counters: Sendable, Equatable {
        public var bytesIn: Int64
        public var bytesOut: Int64
        public var packetsIn: Int64
        public var packetsOut: Int64

        public init(bytesIn: Int64 = 0, bytesOut: Int64 = 0, packetsIn: Int64 = 0, packetsOut: Int64 = 0) {
            self.bytesIn = bytesIn
            self.bytesOut = bytesOut
            self.packetsIn = packetsIn
            self.packetsOut = packetsOut
        }

        /// All zero.
        public static let zero = Counters()
    }

    /// Opens a record for a session that has just authenticated; returns its id.
    public func startAccounting(
        sessionKey: String, user: String, address: String?, peer: String, method: String, cryptoBinding: String?,
        at start: Date
    ) throws(GatewayStoreError) -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO accounting
                        (session_key, user, user_key, address, peer, method, crypto_binding, start, last_flush)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    sessionKey, user, UserName.key(user), address, peer, method, cryptoBinding,
                    start.timeIntervalSince1970, start.timeIntervalSince1970,
                ])
            return db.lastInsertedRowID
        }
    }

    /// Writes an open record's counters. A record already stopped is left alone (its final counters win);
    /// an id that does not exist throws `.unknownRecord`.
    public func flushAccounting(id: Int64, counters: Counters, at time: Date) throws(GatewayStoreError) {
        try write { db in
            if try Self.update(id, counters, time, stop: nil, db) == 0, try !Self.exists(id, db) {
                throw GatewayStoreError.unknownRecord(id)
            }
        }
    }

    /// Writes many open records' counters in one transaction (the periodic flush of every session). Ids that
    /// do not exist or are already stopped are skipped, so one ended session cannot fail the batch.
    public func flushAccounting(_ batch: [(id: Int64, counters: Counters)], at time: Date) throws(GatewayStoreError) {
        guard !batch.isEmpty else { return }
        try write { db in
            for entry in batch { _ = try Self.update(entry.id, entry.counters, time, stop: nil, db) }
        }
    }

    /// Closes a record with its final counters. Throws `.unknownRecord`, or `.recordClosed` if it was stopped
    /// already (by an earlier stop, or by crash recovery).
    public func stopAccounting(id: Int64, counters: Counters, reason: String, at time: Date) throws(GatewayStoreError) {
        try write { db in
            if try Self.update(id, counters, time, stop: reason, db) == 0 {
                throw try Self.exists(id, db) ? GatewayStoreError.recordClosed(id) : GatewayStoreError.unknownRecord(id)
            }
        }
    }

    /// Records, newest start first.
    ///
    /// - Parameters:
    ///   - user: only this user's records (ignoring letter case and a `DOMAIN\` prefix).
    ///   - since: only records active at or after this time: still open, or stopped at or after it.
    ///   - limit: at most this many.
    public func accounting(user: String? = nil, since: Date? = nil, limit: Int? = nil) throws(GatewayStoreError)
        -> [AccountingRecord]
    {
        if let limit, limit <= 0 { return [] }
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let user {
            conditions.append("user_key = ?")
            arguments += [UserName.key(user)]
        }
        if let since {
            conditions.append("(stop IS NULL OR stop >= ?)")
            arguments += [since.timeIntervalSince1970]
        }
        var sql = "\(Self.recordColumns)"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY start DESC, id DESC"
        if let limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return try read { db in try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.record) }
    }

    /// One record, or nil.
    public func accountingRecord(id: Int64) throws(GatewayStoreError) -> AccountingRecord? {
        try read { db in try Row.fetchOne(db, sql: "\(Self.recordColumns) WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    /// The records still open (sessions running, or not yet recovered after a crash), oldest first.
    public func openAccounting() throws(GatewayStoreError) -> [AccountingRecord] {
        try read { db in try Row.fetchAll(db, sql: "\(Self.recordColumns) WHERE stop IS NULL ORDER BY id").map(Self.record) }
    }

    /// Retention: deletes the records that stopped before `date`; returns how many. Open records stay.
    @discardableResult
    public func deleteAccounting(stoppedBefore date: Date) throws(GatewayStoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM accounting WHERE stop < ?", arguments: [date.timeIntervalSince1970])
            return db.changesCount
        }
    }

    private static let recordColumns = """
        SELECT id, session_key, user, address, peer, method, crypto_binding, start, stop, stop_reason,
            bytes_in, bytes_out, packets_in, packets_out, last_flush FROM accounting
        """

    private static func record(_ row: Row) -> AccountingRecord {
        let stop: Double? = row["stop"]
        return AccountingRecord(
            id: row["id"], sessionKey: row["session_key"], user: row["user"], address: row["address"],
            peer: row["peer"], method: row["method"], cryptoBinding: row["crypto_binding"],
            start: Date(timeIntervalSince1970: row["start"]), stop: stop.map(Date.init(timeIntervalSince1970:)),
            stopReason: row["stop_reason"], bytesIn: row["bytes_in"], bytesOut: row["bytes_out"],
            packetsIn: row["packets_in"], packetsOut: row["packets_out"],
            lastFlush: Date(timeIntervalSince1970: row["last_flush"]))
    }

    /// Updates an open record's counters (and closes it when `stop` is a reason); returns the rows changed.
    private static func update(_ id: Int64, _ counters: Counters, _ time: Date, stop reason: String?, _ db: Database)
        throws -> Int
    {
        let counterArguments: StatementArguments = [
            counters.bytesIn, counters.bytesOut, counters.packetsIn, counters.packetsOut, time.timeIntervalSince1970,
        ]
        let set = "bytes_in = ?, bytes_out = ?, packets_in = ?, packets_out = ?, last_flush = ?"
        if let reason {
            try db.cachedStatement(sql: "UPDATE accounting SET \(set), stop = ?, stop_reason = ? WHERE id = ? AND stop IS NULL")
                .execute(arguments: counterArguments + [time.timeIntervalSince1970, reason, id])
        } else {
            try db.cachedStatement(sql: "UPDATE accounting SET \(set) WHERE id = ? AND stop IS NULL")
                .execute(arguments: counterArguments + [id])
        }
        return db.changesCount
    }

    private static func exists(_ id: Int64, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM accounting WHERE id = ?", arguments: [id]) != nil
    }
}
