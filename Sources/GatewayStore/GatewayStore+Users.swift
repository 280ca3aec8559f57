import Foundation
import GRDB

/// The authentication methods a user may be limited to (the strings stored in `users.methods`).
public enum AuthenticationMethodName: String, Sendable, CaseIterable {
    case mschapv2 = "mschapv2"
    case eapTLS = "eap-tls"
}

extension GatewayStore {
    /// One local user. The password itself is never stored, only its NT hash (MD4 of the UTF-16LE password,
    /// RFC 2759 §8.3). `description` never shows the hash.
    public struct User: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
        /// The name as the administrator spelled it; lookups ignore case and a `DOMAIN\` prefix.
        public var name: String
        /// 16 bytes, or nil for a certificate-only user.
        public var ntPasswordHash: [UInt8]?
        /// Raw values of `AuthenticationMethodName`; nil means whatever the gateway's `[auth] methods` allows.
        public var allowedMethods: [String]?
        /// A locked user keeps its record but may not connect.
        public var locked: Bool

        public init(name: String, ntPasswordHash: [UInt8]?, allowedMethods: [String]? = nil, locked: Bool = false) {
            self.name = name
            self.ntPasswordHash = ntPasswordHash
            self.allowedMethods = allowedMethods
            self.locked = locked
        }

        public var description: String {
            let hash = ntPasswordHash == nil ? "none" : "set"
            let methods = allowedMethods.map { $0.joined(separator: ",") } ?? "any"
            return "User(\(name), NT hash \(hash), methods \(methods)\(locked ? ", locked" : ""))"
        }

        public var debugDescription: String { description }

        /// Checks the rules every stored user meets; the same ones the legacy users file had.
        func validate() throws(GatewayStoreError) {
            guard UserName.isValid(name) else { throw .invalidUserName(name) }
            if let hash = ntPasswordHash, hash.count != 16 {
                throw .invalidUser(name, "an NT hash is 16 bytes")
            }
            if let methods = allowedMethods {
                guard !methods.isEmpty else { throw .invalidUser(name, "an empty method list locks the user out") }
                guard methods.allSatisfy({ AuthenticationMethodName(rawValue: $0) != nil }) else {
                    throw .invalidUser(name, "methods are mschapv2 and eap-tls")
                }
                guard Set(methods).count == methods.count else { throw .invalidUser(name, "a method is listed twice") }
            }
            if ntPasswordHash == nil && allowedMethods?.contains(AuthenticationMethodName.mschapv2.rawValue) != false {
                throw .invalidUser(name, "a user without a password must be limited to eap-tls")
            }
        }
    }

    /// Adds a user, or replaces the one with the same key (name ignoring case and domain), keeping its
    /// reservation and creation time.
    public func upsertUser(_ user: User) throws(GatewayStoreError) {
        try user.validate()
        try write { db in try Self.upsert(user, keepingLockState: false, db) }
    }

    /// The user `name` (as stored, or as a client sent it: `DOMAIN\user`, any letter case), or nil.
    public func user(named name: String) throws(GatewayStoreError) -> User? {
        guard let key = UserName.lookupKey(name) else { return nil }
        return try read { db in try Row.fetchOne(db, sql: "\(Self.userColumns) WHERE key = ?", arguments: [key]).map(Self.user) }
    }

    /// All users, sorted by name (ignoring case).
    public func users() throws(GatewayStoreError) -> [User] {
        try read { db in try Row.fetchAll(db, sql: "\(Self.userColumns) ORDER BY key").map(Self.user) }
    }

    /// Deletes a user and its reservation; returns whether it existed.
    @discardableResult
    public func deleteUser(_ name: String) throws(GatewayStoreError) -> Bool {
        guard let key = UserName.lookupKey(name) else { return false }
        return try write { db in
            try db.execute(sql: "DELETE FROM users WHERE key = ?", arguments: [key])
            return db.changesCount > 0
        }
    }

    /// Locks or unlocks a user; returns whether it exists.
    @discardableResult
    public func setLocked(_ name: String, _ locked: Bool) throws(GatewayStoreError) -> Bool {
        guard let key = UserName.lookupKey(name) else { return false }
        return try write { db in
            try db.execute(
                sql: "UPDATE users SET locked = ?, updated_at = ? WHERE key = ?",
                arguments: [locked, Date().timeIntervalSince1970, key])
            return db.changesCount > 0
        }
    }

    /// Imports a legacy users file (the `users` file `sstpctl user` used to manage), in one transaction:
    ///
    ///     NAME:NTHASH                  32 hex digits
    ///     NAME:NTHASH:mschapv2         limited to these methods (comma-separated)
    ///     NAME:*:eap-tls               no password; certificate only
    ///
    /// Blank lines and `#` comments are skipped. Existing users with the same key are replaced but keep their
    /// lock state and reservation. Nothing is imported if any line is invalid. Returns the number of users.
    public func importUsersFile(text: String) throws(GatewayStoreError) -> Int {
        let users = try Self.parseUsersFile(text)
        try write { db in
            for user in users { try Self.upsert(user, keepingLockState: true, db) }
        }
        return users.count
    }

    /// Parses the legacy users file. Errors name the line, never its hash field.
    static func parseUsersFile(_ text: String) throws(GatewayStoreError) -> [User] {
        var users: [User] = []
        var keys: Set<String> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2 || fields.count == 3 else {
                throw .invalidUsersFile(line: lineNumber, "expected NAME:NTHASH or NAME:NTHASH:METHODS")
            }
            let name = String(fields[0])
            guard UserName.isValid(name) else { throw .invalidUsersFile(line: lineNumber, "invalid user name") }
            var hash: [UInt8]?
            if fields[1] != "*" {
                guard let decoded = Hex.decode(fields[1]), decoded.count == 16 else {
                    throw .invalidUsersFile(line: lineNumber, "the NT hash must be 32 hex digits (or * for none)")
                }
                hash = decoded
            }
            let methods = fields.count == 3
                ? fields[2].split(separator: ",", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) } : nil
            let user = User(name: name, ntPasswordHash: hash, allowedMethods: methods)
            do throws(GatewayStoreError) {
                try user.validate()
            } catch {
                // The validation message names the rule and the user, never the hash.
                throw .invalidUsersFile(line: lineNumber, error.description)
            }
            guard keys.insert(UserName.key(name)).inserted else {
                throw .invalidUsersFile(line: lineNumber, "duplicate user \(name)")
            }
            users.append(user)
        }
        return users
    }

    private static let userColumns = "SELECT name, nt_hash, methods, locked FROM users"

    private static func user(_ row: Row) -> User {
        let hash: Data? = row["nt_hash"]
        let methods: String? = row["methods"]
        return User(
            name: row["name"],
            ntPasswordHash: hash.map { [UInt8]($0) },
            allowedMethods: methods.map { $0.split(separator: ",").map(String.init) },
            locked: row["locked"])
    }

    private static func upsert(_ user: User, keepingLockState: Bool, _ db: Database) throws {
        let now = Date().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO users (key, name, nt_hash, methods, locked, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET
                    name = excluded.name, nt_hash = excluded.nt_hash, methods = excluded.methods,
                    locked = \(keepingLockState ? "locked" : "excluded.locked"), updated_at = excluded.updated_at
                """,
            arguments: [
                UserName.key(user.name), user.name, user.ntPasswordHash.map { Data($0) },
                user.allowedMethods?.joined(separator: ","), user.locked, now, now,
            ])
    }
}
