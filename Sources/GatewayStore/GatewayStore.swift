import Foundation
import GRDB
import GRDBSQLite

/// The gateway's persistent state: users (NT hash only), static address reservations, the leases live sessions
/// hold, and one accounting record per session. See `docs/state-store.md`.
///
/// One SQLite file in WAL mode, opened through a GRDB `DatabasePool`: readers never wait for the writer, and a
/// busy timeout lets `sstpd` and `sstpctl` write to the same file at the same time. Every method is one
/// transaction and the type is safe to share between threads.
public final class GatewayStore: Sendable {
    /// The default location of the state file.
    public static let defaultPath = "/var/lib/sstpd/state.sqlite"
    /// How long a writer waits for another process's write transaction before failing with `.unavailable`.
    public static let busyTimeout: TimeInterval = 5

    /// The page cache of each connection, KiB (`PRAGMA cache_size = -N`). SQLite keeps the pages a connection has
    /// read or written up to this bound, so as accounting records accumulate the cache grows to it and stays there;
    /// set here rather than left to the library's compile-time default. docs/state-store.md, "Memory".
    public static let pageCacheKiB = 2048

    /// Bytes SQLite holds in this process now (`sqlite3_memory_used`: page caches of every connection, schema,
    /// prepared statements), whatever store they belong to.
    public static var sqliteMemoryUsed: Int { Int(sqlite3_memory_used()) }

    /// Bytes in the writer connection's page cache now (`SQLITE_DBSTATUS_CACHE_USED`).
    func writerPageCacheBytes() throws(GatewayStoreError) -> Int {
        try write { db in
            var current: Int32 = 0
            var highWater: Int32 = 0
            _ = sqlite3_db_status(db.sqliteConnection, SQLITE_DBSTATUS_CACHE_USED, &current, &highWater, 0)
            return Int(current)
        }
    }

    /// `PRAGMA cache_size` as a reader connection (`read`) or the writer sees it.
    func cacheSizeSetting(writer: Bool) throws(GatewayStoreError) -> Int {
        let sql = "PRAGMA cache_size"
        return writer
            ? try write { db in try Int.fetchOne(db, sql: sql) ?? 0 }
            : try read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    /// The file, or nil for an in-memory store.
    public let path: String?
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the state file at `path` and brings its schema up to date.
    ///
    /// A missing parent directory is created with mode 0700 and a new file with mode 0600 (SQLite gives the
    /// `-wal` and `-shm` files the same mode); an existing file readable by group or others is narrowed to 0600,
    /// because it holds NT hashes.
    public init(path: String) throws(GatewayStoreError) {
        try prepareStateFile(at: path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "GatewayStore"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(Self.pageCacheKiB)")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw GatewayStoreError.wrapping(error)
        }
        self.path = path
        self.writer = pool
        try Self.migrate(pool)
    }

    private init(writer: any DatabaseWriter) {
        self.path = nil
        self.writer = writer
    }

    /// A private in-memory store (one connection, no WAL) for tests.
    public static func inMemory() throws(GatewayStoreError) -> GatewayStore {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration)
        } catch {
            throw GatewayStoreError.wrapping(error)
        }
        try migrate(queue)
        return GatewayStore(writer: queue)
    }

    /// Closes the connections now instead of at deinit. Any later call fails with `.unavailable`.
    public func close() throws(GatewayStoreError) {
        do {
            try writer.close()
        } catch {
            throw GatewayStoreError.wrapping(error)
        }
    }

    // MARK: Schema

    /// The schema version: the number of the newest applied migration (`v1` is 1).
    public func schemaVersion() throws(GatewayStoreError) -> Int {
        try appliedMigrations().compactMap { Int($0.dropFirst()) }.max() ?? 0
    }

    /// The identifiers of the applied migrations, oldest first (`["v1"]`).
    public func appliedMigrations() throws(GatewayStoreError) -> [String] {
        try read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// SQLite's journal mode for this file: `wal` for a file, `memory` for an in-memory store.
    public func journalMode() throws(GatewayStoreError) -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    // MARK: Crash recovery

    /// Repairs what an unclean stop (kill -9, power loss) leaves behind. `sstpd` calls it once at start-up,
    /// before it accepts connections, since no session survives a restart:
    ///
    /// - every accounting record without a stop gets `stop` = its `lastFlush` and the reason `crash`; its
    ///   counters stay as last flushed (traffic after the last flush is lost, at most one flush interval);
    /// - every lease row is removed.
    ///
    /// `sstpctl` must not call it while `sstpd` runs: it would close live sessions' records.
    @discardableResult
    public func recoverAfterUncleanShutdown() throws(GatewayStoreError) -> (closedRecords: Int, clearedLeases: Int) {
        try write { db in
            try db.execute(
                sql: "UPDATE accounting SET stop = last_flush, stop_reason = ? WHERE stop IS NULL",
                arguments: [Self.crashStopReason])
            let closed = db.changesCount
            try db.execute(sql: "DELETE FROM leases")
            return (closedRecords: closed, clearedLeases: db.changesCount)
        }
    }

    /// The stop reason crash recovery writes.
    public static let crashStopReason = "crash"

    // MARK: Plumbing

    /// Runs `body` in one write transaction, translating errors. A `GatewayStoreError` thrown by `body` rolls
    /// the transaction back and is rethrown as it is.
    func write<T>(_ body: (Database) throws -> T) throws(GatewayStoreError) -> T {
        do {
            return try writer.write(body)
        } catch {
            throw GatewayStoreError.wrapping(error)
        }
    }

    /// Runs raw SQL in one write transaction. Internal: tests use it to build files other builds would leave.
    func execute(sql: String) throws(GatewayStoreError) {
        try write { db in try db.execute(sql: sql) }
    }

    /// Runs `body` on a read-only snapshot, translating errors.
    func read<T>(_ body: (Database) throws -> T) throws(GatewayStoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw GatewayStoreError.wrapping(error)
        }
    }
}

/// Creates the directory (0700) and the file (0600) so SQLite never creates them with the process umask.
private func prepareStateFile(at path: String) throws(GatewayStoreError) {
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    if !FileManager.default.fileExists(atPath: directory) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io("cannot create \(directory)")
        }
    }
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
        throw .io("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        throw .io("cannot stat \(path): \(String(cString: strerror(errno)))")
    }
    if status.st_mode & 0o077 != 0, fchmod(descriptor, 0o600) != 0 {
        throw .io("cannot restrict \(path) to mode 0600: \(String(cString: strerror(errno)))")
    }
}
