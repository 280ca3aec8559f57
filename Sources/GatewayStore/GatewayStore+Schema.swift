import Foundation
import GRDB

/// The schema, as a list of versioned migrations (`v1`, `v2`, …) recorded by GRDB in `grdb_migrations`.
///
/// Rules for changing it: never edit a migration that has shipped; append `vN+1`. A build that finds a migration
/// it does not know refuses the file (`.unsupportedSchema`) rather than guess.
///
/// Dates are REAL seconds since 1970-01-01 UTC (`datetime(start, 'unixepoch')` in the `sqlite3` shell).
extension GatewayStore {
    /// The newest schema version this build writes.
    public static let currentSchemaVersion = 1

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // `key` is the canonical user name (lower case, no DOMAIN\ prefix); `name` keeps the spelling given.
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        key TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        nt_hash BLOB CHECK (nt_hash IS NULL OR length(nt_hash) = 16),
                        methods TEXT,
                        locked INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    CREATE TABLE reservations (
                        user_key TEXT PRIMARY KEY NOT NULL REFERENCES users(key) ON DELETE CASCADE ON UPDATE CASCADE,
                        address TEXT NOT NULL UNIQUE
                    );
                    CREATE TABLE leases (
                        address TEXT PRIMARY KEY NOT NULL,
                        user TEXT NOT NULL,
                        session_key TEXT NOT NULL,
                        since REAL NOT NULL
                    );
                    CREATE TABLE accounting (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        session_key TEXT NOT NULL,
                        user TEXT NOT NULL,
                        user_key TEXT NOT NULL,
                        address TEXT,
                        peer TEXT NOT NULL,
                        method TEXT NOT NULL,
                        crypto_binding TEXT,
                        start REAL NOT NULL,
                        stop REAL,
                        stop_reason TEXT,
                        bytes_in INTEGER NOT NULL DEFAULT 0,
                        bytes_out INTEGER NOT NULL DEFAULT 0,
                        packets_in INTEGER NOT NULL DEFAULT 0,
                        packets_out INTEGER NOT NULL DEFAULT 0,
                        last_flush REAL NOT NULL
                    );
                    CREATE INDEX accounting_user_start ON accounting(user_key, start);
                    CREATE INDEX accounting_start ON accounting(start);
                    CREATE INDEX accounting_open ON accounting(id) WHERE stop IS NULL;
                    """)
        }
        return migrator
    }()

    /// Applies the migrations this file lacks.
    ///
    /// GRDB reads the applied list before it takes the write lock, so two processes opening a new file at the
    /// same moment can both try `v1`; the loser fails ("table exists") after the winner commits. One retry then
    /// finds everything applied.
    static func migrate(_ writer: any DatabaseWriter) throws(GatewayStoreError) {
        do {
            let unknown = try writer.read { db in
                try db.tableExists("grdb_migrations")
                    ? try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") : []
            }.filter { !migrator.migrations.contains($0) }
            guard unknown.isEmpty else { throw GatewayStoreError.unsupportedSchema(unknown.sorted()) }
            do {
                try migrator.migrate(writer)
            } catch {
                try migrator.migrate(writer)
            }
        } catch {
            throw GatewayStoreError.wrapping(error)
        }
    }
}
