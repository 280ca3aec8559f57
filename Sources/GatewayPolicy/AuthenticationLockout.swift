/// Backs off repeated authentication failures, per user name and per client address (docs/metrics.md, "Lockout").
///
/// The policy, for each key (a user name, or a client IP address) in its own table:
/// - A key is locked out after `threshold` failures counted within `window` of the first of them (a fixed window:
///   when it has passed without reaching the threshold, counting starts again at the next failure).
/// - The lockout lasts `lockoutDuration`; each further failure doubles it (for the n-th failure, n ≥ threshold:
///   `lockoutDuration × 2^(n − threshold)`), up to `maximumLockout`. A failure during the lockout (an attempt already
///   in flight when it began) escalates too.
/// - After a lockout ends the key stays on probation for `window`: one failure locks it again, for twice as long.
///   A key with no failure for `window` after its lockout ends is forgotten.
/// - A successful authentication forgets the user's record, not the address's: one valid account must not let an
///   address reset its counter between guesses at other accounts.
/// - Users and addresses are independent: a locked address does not lock the users tried from it, nor the reverse.
///   Addresses get a higher threshold by default because a NAT can put many users behind one.
///
/// Memory is bounded: each table holds at most `maximumTrackedKeys` keys. When a new key arrives at a full table,
/// forgotten (expired) keys are dropped first; if none are, the key evicted is the one not locked out with the
/// oldest last failure, or, when every key is locked out, the one whose lockout ends first. So a spray of many
/// names can push out old counters, but not lockouts while there are counters to push out. Eviction scans the table
/// (O(n), n ≤ the cap) and happens only when a new key meets a full table; an authentication attempt costs far more.
///
/// Keys are compared exactly: the caller passes the user name as the credential store resolves it (so `Alice` and
/// `alice` do not get separate budgets when they reach the same account) and the address without the port.
///
/// Pure: time comes in as monotonic nanoseconds (as for ``TokenBucket``), so tests drive it with a synthetic clock.
public struct AuthenticationLockout: Sendable {
    /// The tunables; `Policy()` gives the documented defaults.
    public struct Policy: Sendable, Hashable {
        /// Failures within `window` that lock out a user name.
        public var userThreshold: Int
        /// Failures within `window` that lock out a client address.
        public var addressThreshold: Int
        /// How long failures count towards a threshold, and the probation after a lockout ends.
        public var window: Duration
        /// The first lockout; doubled by each further failure.
        public var lockoutDuration: Duration
        /// The longest lockout.
        public var maximumLockout: Duration
        /// Keys kept per table (users, addresses).
        public var maximumTrackedKeys: Int

        public init(
            userThreshold: Int = 5, addressThreshold: Int = 20, window: Duration = .seconds(900),
            lockoutDuration: Duration = .seconds(60), maximumLockout: Duration = .seconds(3600),
            maximumTrackedKeys: Int = 10_000
        ) {
            self.userThreshold = userThreshold
            self.addressThreshold = addressThreshold
            self.window = window
            self.lockoutDuration = lockoutDuration
            self.maximumLockout = maximumLockout
            self.maximumTrackedKeys = maximumTrackedKeys
        }
    }

    /// Which table a lockout comes from.
    public enum Scope: String, Sendable, Hashable {
        case user
        case address
    }

    /// The answer to ``check(user:address:now:)``.
    public enum Decision: Sendable, Hashable {
        case allowed
        /// Refuse the attempt without authenticating; `until` is monotonic nanoseconds.
        case lockedOut(until: UInt64, scope: Scope)
    }

    /// A locked-out key, for status displays.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var scope: Scope
        /// Failures counted towards this lockout.
        public var failures: Int
        /// When the lockout ends (monotonic nanoseconds).
        public var until: UInt64

        public init(key: String, scope: Scope, failures: Int, until: UInt64) {
            self.key = key
            self.scope = scope
            self.failures = failures
            self.until = until
        }
    }

    public let policy: Policy
    private var users: Table
    private var addresses: Table

    public init(policy: Policy = Policy()) {
        precondition(
            policy.userThreshold >= 1 && policy.addressThreshold >= 1, "a lockout threshold must be at least 1")
        precondition(policy.window > .zero && policy.lockoutDuration > .zero, "lockout durations must be positive")
        precondition(policy.maximumLockout >= policy.lockoutDuration, "the maximum lockout must not be below the first")
        precondition(policy.maximumTrackedKeys >= 1, "the lockout must track at least one key")
        self.policy = policy
        let window = Self.nanoseconds(policy.window)
        let base = Self.nanoseconds(policy.lockoutDuration)
        let maximum = Self.nanoseconds(policy.maximumLockout)
        users = Table(
            threshold: policy.userThreshold, window: window, base: base, maximum: maximum,
            capacity: policy.maximumTrackedKeys)
        addresses = Table(
            threshold: policy.addressThreshold, window: window, base: base, maximum: maximum,
            capacity: policy.maximumTrackedKeys)
    }

    /// Whether an attempt by `user` (nil while the identity is not known yet) from `address` may authenticate.
    /// When both are locked out, the answer names the lockout that ends later. Drops the keys' records if expired.
    public mutating func check(user: String?, address: String, now: UInt64) -> Decision {
        var decision = Decision.allowed
        var latest: UInt64 = 0
        if let until = addresses.lockedUntil(address, now: now) {
            decision = .lockedOut(until: until, scope: .address)
            latest = until
        }
        if let user, let until = users.lockedUntil(user, now: now), until > latest {
            decision = .lockedOut(until: until, scope: .user)
        }
        return decision
    }

    /// Counts a failed authentication against the address and, when known, the user.
    public mutating func recordFailure(user: String?, address: String, now: UInt64) {
        addresses.recordFailure(address, now: now)
        if let user { users.recordFailure(user, now: now) }
    }

    /// Forgets the user's failures (and any lockout); the address's count stands (see the type's documentation).
    public mutating func recordSuccess(user: String, address: String, now: UInt64) {
        users.forget(user)
    }

    /// Every key locked out at `now`: users first, each group sorted by key.
    public func lockedOut(now: UInt64) -> [Entry] {
        users.lockedOut(now: now, scope: .user) + addresses.lockedOut(now: now, scope: .address)
    }

    /// Failures currently counted for `key` (0 when not tracked or expired).
    public func failures(for key: String, scope: Scope, now: UInt64) -> Int {
        switch scope {
        case .user: users.failures(key, now: now)
        case .address: addresses.failures(key, now: now)
        }
    }

    /// Keys currently held in the table for `scope`, expired ones included until they are dropped.
    public func trackedKeys(_ scope: Scope) -> Int {
        switch scope {
        case .user: users.records.count
        case .address: addresses.records.count
        }
    }

    /// Whole nanoseconds in a non-negative duration, saturating.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (total, overflowAdding) = whole.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000))
        return overflowAdding ? .max : total
    }
}

extension AuthenticationLockout {
    /// One scope's counters: the policy for it and the records by key.
    struct Table: Sendable {
        struct Record: Sendable {
            var failures: Int
            /// The first failure of the current count.
            var windowStart: UInt64
            var lastFailure: UInt64
            /// 0 until the threshold is reached.
            var lockedUntil: UInt64
        }

        let threshold: Int
        let window: UInt64
        let base: UInt64
        let maximum: UInt64
        let capacity: Int
        var records: [String: Record] = [:]

        init(threshold: Int, window: UInt64, base: UInt64, maximum: UInt64, capacity: Int) {
            self.threshold = threshold
            self.window = window
            self.base = base
            self.maximum = maximum
            self.capacity = capacity
        }

        /// Whether the record no longer counts: a count below the threshold whose window has passed, or a lockout
        /// whose probation has passed.
        func isExpired(_ record: Record, now: UInt64) -> Bool {
            let end =
                record.failures >= threshold
                ? record.lockedUntil.addingReportingOverflow(window)
                : record.windowStart.addingReportingOverflow(window)
            return !end.overflow && now >= end.partialValue
        }

        /// The end of the key's lockout, if it is locked out at `now`; drops an expired record.
        mutating func lockedUntil(_ key: String, now: UInt64) -> UInt64? {
            guard let record = records[key] else { return nil }
            if isExpired(record, now: now) {
                records[key] = nil
                return nil
            }
            return record.lockedUntil > now ? record.lockedUntil : nil
        }

        mutating func recordFailure(_ key: String, now: UInt64) {
            var record: Record
            if let existing = records[key], !isExpired(existing, now: now) {
                record = existing
            } else {
                if records[key] == nil { makeRoom(now: now) }
                record = Record(failures: 0, windowStart: now, lastFailure: now, lockedUntil: 0)
            }
            record.failures += 1
            record.lastFailure = max(record.lastFailure, now)
            if record.failures >= threshold {
                let (end, overflow) = now.addingReportingOverflow(lockout(failures: record.failures))
                record.lockedUntil = max(record.lockedUntil, overflow ? .max : end)
            }
            records[key] = record
        }

        /// `base × 2^(failures − threshold)`, at most `maximum`.
        func lockout(failures: Int) -> UInt64 {
            let doublings = failures - threshold
            guard doublings < UInt64.bitWidth else { return maximum }
            let (scaled, overflow) = base.multipliedReportingOverflow(by: 1 << UInt64(doublings))
            return overflow ? maximum : min(scaled, maximum)
        }

        mutating func forget(_ key: String) {
            records[key] = nil
        }

        /// Frees one slot for a new key when the table is full (see the type's documentation for the order).
        mutating func makeRoom(now: UInt64) {
            guard records.count >= capacity else { return }
            records = records.filter { !isExpired($0.value, now: now) }
            guard records.count >= capacity else { return }
            var victim: (key: String, locked: Bool, age: UInt64)?
            for (key, record) in records {
                let locked = record.lockedUntil > now
                // Unlocked keys go before locked ones; among unlocked, the oldest last failure; among locked,
                // the lockout ending first.
                let age = locked ? record.lockedUntil : record.lastFailure
                if let current = victim {
                    if current.locked && !locked || current.locked == locked && age < current.age {
                        victim = (key, locked, age)
                    }
                } else {
                    victim = (key, locked, age)
                }
            }
            if let victim { records[victim.key] = nil }
        }

        func failures(_ key: String, now: UInt64) -> Int {
            guard let record = records[key], !isExpired(record, now: now) else { return 0 }
            return record.failures
        }

        func lockedOut(now: UInt64, scope: Scope) -> [Entry] {
            records.compactMap { key, record in
                record.lockedUntil > now
                    ? Entry(key: key, scope: scope, failures: record.failures, until: record.lockedUntil) : nil
            }
            .sorted { $0.key < $1.key }
        }
    }
}
