import AddressPool
import NIOConcurrencyHelpers
import NIOCore

/// State shared by all sessions of one gateway: the address pool, the user database and the session table.
/// Each session's protocol machines stay on its own event loop; only these few operations take the lock.
public final class GatewayState: Sendable {
    struct Inner {
        var pool: AddressPool
        var users: UserDatabase
        var sessions: [UInt64: Entry] = [:]
        /// How many entries of `sessions` are admitted (kept so admission is O(1), not a scan per connect).
        var admittedCount = 0
        var nextSessionID: UInt64 = 1
        /// Waiters for "no live session".
        var emptyWaiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    struct Entry {
        var info: SessionInfo
        /// Counted against the session limit: the HTTP request was accepted.
        var admitted = false
        /// Runs an administrative disconnect on the session's event loop.
        var disconnect: @Sendable () -> Void
    }

    private let inner: NIOLockedValueBox<Inner>

    public init(pool: AddressPool, users: UserDatabase) {
        inner = NIOLockedValueBox(Inner(pool: pool, users: users))
    }

    /// Registers a new connection (still in its TLS/HTTP handshake) and returns its id, or nil when
    /// `maxConnections` connections are already open.
    func open(info: (UInt64) -> SessionInfo, maxConnections: Int, disconnect: @escaping @Sendable () -> Void) -> UInt64? {
        inner.withLockedValue { s in
            guard s.sessions.count < maxConnections else { return nil }
            let id = s.nextSessionID
            s.nextSessionID += 1
            s.sessions[id] = Entry(info: info(id), disconnect: disconnect)
            return id
        }
    }

    /// Counts the connection as an SSTP session if fewer than `limit` are admitted; false = over the limit.
    func admit(_ id: UInt64, limit: Int) -> Bool {
        inner.withLockedValue { s in
            guard let entry = s.sessions[id] else { return false }
            if entry.admitted { return true }
            guard s.admittedCount < limit else { return false }
            s.sessions[id]!.admitted = true
            s.admittedCount += 1
            return true
        }
    }

    func update(_ id: UInt64, _ change: (inout SessionInfo) -> Void) {
        inner.withLockedValue { s in
            if s.sessions[id] != nil { change(&s.sessions[id]!.info) }
        }
    }

    /// Removes the session and releases its lease (if any). Safe to call twice. Returns true if that was the last
    /// live session.
    @discardableResult
    func close(_ id: UInt64) -> Bool {
        let (waiters, empty) = inner.withLockedValue { s -> ([CheckedContinuation<Bool, Never>], Bool) in
            let removed = s.sessions.removeValueAndShrink(forKey: id)
            let existed = removed != nil
            if removed?.admitted == true { s.admittedCount -= 1 }
            s.pool.release(sessionID: id)
            guard s.sessions.isEmpty else { return ([], false) }
            defer { s.emptyWaiters.removeAll() }
            return (Array(s.emptyWaiters.values), existed)
        }
        waiters.forEach { $0.resume(returning: true) }
        return empty
    }

    /// Returns true once no session is live (at once if none is), or false when `timeout` passes first.
    public func waitUntilNoSessions(timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let waiterID = inner.withLockedValue { s -> UInt64? in
                if s.sessions.isEmpty { return nil }
                s.nextWaiterID += 1
                s.emptyWaiters[s.nextWaiterID] = continuation
                return s.nextWaiterID
            }
            guard let waiterID else {
                continuation.resume(returning: true)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.inner.withLockedValue { $0.emptyWaiters.removeValue(forKey: waiterID) }?.resume(returning: false)
            }
        }
    }

    func lease(sessionID: UInt64, user: String) throws(AddressPoolError) -> IPv4Address {
        let result: Result<IPv4Address, AddressPoolError> = inner.withLockedValue { s in
            do throws(AddressPoolError) {
                return .success(try s.pool.lease(sessionID: sessionID, user: user))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    func release(sessionID: UInt64) {
        inner.withLockedValue { $0.pool.release(sessionID: sessionID) }
    }

    func lookupUser(_ name: String) -> UserRecord? {
        inner.withLockedValue { $0.users.lookup(name) }
    }

    /// Replaces the user database (reload); live sessions are not affected.
    public func replaceUsers(_ users: UserDatabase) {
        inner.withLockedValue { $0.users = users }
    }

    /// Connections open now (admitted or not).
    public var count: Int { inner.withLockedValue { $0.sessions.count } }

    public func sessions() -> [SessionInfo] {
        inner.withLockedValue { s in s.sessions.values.map(\.info).sorted { $0.id < $1.id } }
    }

    /// Pool usage: (size, used, free).
    public func poolUsage() -> (size: Int, used: Int, free: Int) {
        inner.withLockedValue { ($0.pool.size, $0.pool.used, $0.pool.free) }
    }

    /// Asks one session to disconnect (Call Disconnect, MS-SSTP §3.1.1.1); returns false if unknown.
    @discardableResult
    public func disconnect(sessionID: UInt64) -> Bool {
        guard let action = inner.withLockedValue({ $0.sessions[sessionID]?.disconnect }) else { return false }
        action()
        return true
    }

    /// Asks every session of `user` (as the client named itself; letter case and a `DOMAIN\` prefix ignored) to
    /// disconnect; returns how many were asked.
    @discardableResult
    public func disconnect(user: String) -> Int {
        let key = UserDatabase.canonical(user)
        let actions = inner.withLockedValue { s in
            s.sessions.values.filter { $0.info.user.map(UserDatabase.canonical) == key }.map(\.disconnect)
        }
        actions.forEach { $0() }
        return actions.count
    }

    /// Replaces the pool's reservations (user → address); live leases are untouched.
    public func replaceReservations(_ reservations: [String: IPv4Address]) throws(AddressPoolError) {
        let result: Result<Void, AddressPoolError> = inner.withLockedValue { s in
            do throws(AddressPoolError) {
                try s.pool.replaceReservations(reservations)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// The pool for `sstpctl pool show`.
    public func poolReport(gateway: IPv4Address) -> PoolReport {
        inner.withLockedValue { s in
            let leases = s.sessions.values.compactMap { entry -> PoolReport.Lease? in
                guard let address = s.pool.address(of: entry.info.id) else { return nil }
                return PoolReport.Lease(address: "\(address)", user: entry.info.user, session: entry.info.id)
            }
            return PoolReport(
                network: "\(s.pool.network)", gateway: "\(gateway)", size: s.pool.size, used: s.pool.used,
                free: s.pool.free,
                reservations: s.pool.reservations.map { PoolReport.Reservation(user: $0.key, address: "\($0.value)") }
                    .sorted { $0.user < $1.user },
                leases: leases.sorted { $0.session < $1.session })
        }
    }

    /// Asks every session to disconnect; returns how many were asked.
    @discardableResult
    public func disconnectAll() -> Int {
        let actions = inner.withLockedValue { $0.sessions.values.map(\.disconnect) }
        actions.forEach { $0() }
        return actions.count
    }
}
