import Foundation
import GRDB

extension GatewayStore {
    /// A static address: whenever `user` connects it gets `address`. One per user, and one user per address.
    public struct Reservation: Sendable, Equatable {
        /// The user's name as stored in `users`.
        public var user: String
        /// Dotted-quad IPv4 text ("172.16.0.10").
        public var address: String

        public init(user: String, address: String) {
            self.user = user
            self.address = address
        }
    }

    /// An address held by a live session. Rows exist only while the session holds the address, so after a
    /// crash they are stale and `recoverAfterUncleanShutdown()` removes them all.
    public struct Lease: Sendable, Equatable {
        public var address: String
        public var user: String
        /// Whatever identifies the session to sstpd (also written to its accounting record).
        public var sessionKey: String
        public var since: Date

        public init(address: String, user: String, sessionKey: String, since: Date) {
            self.address = address
            self.user = user
            self.sessionKey = sessionKey
            self.since = since
        }
    }

    // MARK: Reservations

    /// Reserves `address` for `user`, replacing the user's previous reservation. The caller checks that the
    /// address lies in the pool. Throws `.unknownUser`, `.addressReserved` (held by someone else) or
    /// `.invalidAddress`.
    public func reserve(user: String, address: String) throws(GatewayStoreError) {
        guard let address = IPv4Text.canonical(address) else { throw .invalidAddress(address) }
        guard let key = UserName.lookupKey(user) else { throw .unknownUser(user) }
        try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE key = ?", arguments: [key]) != nil else {
                throw GatewayStoreError.unknownUser(user)
            }
            if let holder = try Row.fetchOne(
                db,
                sql: "SELECT r.user_key, u.name FROM reservations r JOIN users u ON u.key = r.user_key WHERE r.address = ?",
                arguments: [address]),
                holder["user_key"] as String != key
            {
                throw GatewayStoreError.addressReserved(address, by: holder["name"])
            }
            try db.execute(
                sql: """
                    INSERT INTO reservations (user_key, address) VALUES (?, ?)
                    ON CONFLICT(user_key) DO UPDATE SET address = excluded.address
                    """,
                arguments: [key, address])
        }
    }

    /// Removes the reservation of `address`; returns whether there was one.
    @discardableResult
    public func releaseReservation(address: String) throws(GatewayStoreError) -> Bool {
        guard let address = IPv4Text.canonical(address) else { return false }
        return try write { db in
            try db.execute(sql: "DELETE FROM reservations WHERE address = ?", arguments: [address])
            return db.changesCount > 0
        }
    }

    /// Removes the reservation of `user` (any spelling); returns whether there was one.
    @discardableResult
    public func releaseReservation(forUser user: String) throws(GatewayStoreError) -> Bool {
        guard let key = UserName.lookupKey(user) else { return false }
        return try write { db in
            try db.execute(sql: "DELETE FROM reservations WHERE user_key = ?", arguments: [key])
            return db.changesCount > 0
        }
    }

    /// All reservations, in address order.
    public func reservations() throws(GatewayStoreError) -> [Reservation] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT u.name, r.address FROM reservations r JOIN users u ON u.key = r.user_key")
                .map { Reservation(user: $0["name"], address: $0["address"]) }
        }.sorted { IPv4Text.order($0.address) < IPv4Text.order($1.address) }
    }

    /// The address reserved for `name` (as stored or as a client sent it), or nil.
    public func reservation(forUser name: String) throws(GatewayStoreError) -> String? {
        guard let key = UserName.lookupKey(name) else { return nil }
        return try read { db in
            try String.fetchOne(db, sql: "SELECT address FROM reservations WHERE user_key = ?", arguments: [key])
        }
    }

    /// Who has `address` reserved, or nil.
    public func reservation(forAddress address: String) throws(GatewayStoreError) -> Reservation? {
        guard let address = IPv4Text.canonical(address) else { return nil }
        return try read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT u.name FROM reservations r JOIN users u ON u.key = r.user_key WHERE r.address = ?",
                arguments: [address]
            ).map { Reservation(user: $0["name"], address: address) }
        }
    }

    // MARK: Leases

    /// Records that a session holds an address, replacing any row for the same address.
    public func recordLease(_ lease: Lease) throws(GatewayStoreError) {
        guard let address = IPv4Text.canonical(lease.address) else { throw .invalidAddress(lease.address) }
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO leases (address, user, session_key, since) VALUES (?, ?, ?, ?)",
                arguments: [address, lease.user, lease.sessionKey, lease.since.timeIntervalSince1970])
        }
    }

    /// Forgets the lease of `address` (the session ended); returns whether there was one.
    @discardableResult
    public func removeLease(address: String) throws(GatewayStoreError) -> Bool {
        guard let address = IPv4Text.canonical(address) else { return false }
        return try write { db in
            try db.execute(sql: "DELETE FROM leases WHERE address = ?", arguments: [address])
            return db.changesCount > 0
        }
    }

    /// The leases live sessions hold, in address order.
    public func leases() throws(GatewayStoreError) -> [Lease] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT address, user, session_key, since FROM leases").map {
                Lease(
                    address: $0["address"], user: $0["user"], sessionKey: $0["session_key"],
                    since: Date(timeIntervalSince1970: $0["since"]))
            }
        }.sorted { IPv4Text.order($0.address) < IPv4Text.order($1.address) }
    }
}

/// IPv4 addresses as the text the tables hold.
enum IPv4Text {
    /// "a.b.c.d" with each part 0–255 written without leading zeros (so one address has one spelling), or nil.
    static func canonical(_ text: String) -> String? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                part == "0" || !part.hasPrefix("0"), let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets.map(String.init).joined(separator: ".")
    }

    /// A sort key: the address as a 32-bit number (text that is not an address sorts first).
    static func order(_ text: String) -> UInt32 {
        text.split(separator: ".").reduce(UInt32(0)) { ($0 << 8) | UInt32(UInt8($1) ?? 0) }
    }
}
