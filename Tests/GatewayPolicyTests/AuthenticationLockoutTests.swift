import GatewayPolicy
import Testing

/// Mutating calls cannot sit inside `#expect`; this wrapper makes the assertions read straight.
private func decide(
    _ lockout: inout AuthenticationLockout, user: String?, address: String = "192.0.2.1", at now: UInt64
) -> AuthenticationLockout.Decision {
    lockout.check(user: user, address: address, now: now)
}

@Suite("Authentication lockout")
struct AuthenticationLockoutTests {
    static let s: UInt64 = 1_000_000_000

    /// Small numbers so the arithmetic in the tests is visible: 3 user failures or 5 address failures within
    /// 100 s; 10 s lockout doubling up to 40 s.
    static let policy = AuthenticationLockout.Policy(
        userThreshold: 3, addressThreshold: 5, window: .seconds(100), lockoutDuration: .seconds(10),
        maximumLockout: .seconds(40), maximumTrackedKeys: 8)

    static func fail(
        _ lockout: inout AuthenticationLockout, _ times: Int, user: String?, address: String, at now: UInt64
    ) {
        for _ in 0..<times { lockout.recordFailure(user: user, address: address, now: now) }
    }

    @Test("the documented defaults")
    func defaults() {
        let policy = AuthenticationLockout.Policy()
        #expect(policy.userThreshold == 5 && policy.addressThreshold == 20)
        #expect(policy.window == .seconds(900))
        #expect(policy.lockoutDuration == .seconds(60) && policy.maximumLockout == .seconds(3600))
        #expect(policy.maximumTrackedKeys == 10_000)
    }

    @Test("a user is locked out at the threshold, not before, and only until the lockout ends")
    func threshold() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        Self.fail(&lockout, 2, user: "alice", address: "192.0.2.1", at: 0)
        #expect(decide(&lockout, user: "alice", at: 1 * Self.s) == .allowed)
        lockout.recordFailure(user: "alice", address: "192.0.2.1", now: 2 * Self.s)
        // Locked from the third failure for 10 s.
        #expect(decide(&lockout, user: "alice", at: 2 * Self.s) == .lockedOut(until: 12 * Self.s, scope: .user))
        #expect(decide(&lockout, user: "alice", at: 12 * Self.s - 1) == .lockedOut(until: 12 * Self.s, scope: .user))
        #expect(decide(&lockout, user: "alice", at: 12 * Self.s) == .allowed)
        // Other users from the same address are not affected (the address has 3 of its 5).
        #expect(decide(&lockout, user: "bob", at: 3 * Self.s) == .allowed)
        #expect(decide(&lockout, user: nil, at: 3 * Self.s) == .allowed)
    }

    @Test("failures spread wider than the window never lock; the count restarts after the window")
    func windowExpiry() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        Self.fail(&lockout, 2, user: "alice", address: "192.0.2.1", at: 0)
        #expect(lockout.failures(for: "alice", scope: .user, now: 99 * Self.s) == 2)
        #expect(lockout.failures(for: "alice", scope: .user, now: 100 * Self.s) == 0)
        // The third failure comes after the window: it starts a new count of 1.
        lockout.recordFailure(user: "alice", address: "192.0.2.1", now: 100 * Self.s)
        #expect(decide(&lockout, user: "alice", at: 100 * Self.s) == .allowed)
        #expect(lockout.failures(for: "alice", scope: .user, now: 100 * Self.s) == 1)
        // Two more inside the new window lock.
        Self.fail(&lockout, 2, user: "alice", address: "192.0.2.1", at: 150 * Self.s)
        #expect(decide(&lockout, user: "alice", at: 150 * Self.s) == .lockedOut(until: 160 * Self.s, scope: .user))
    }

    @Test("each further failure doubles the lockout, up to the maximum")
    func doublingAndCap() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        Self.fail(&lockout, 3, user: "alice", address: "192.0.2.1", at: 0)
        #expect(decide(&lockout, user: "alice", at: 0) == .lockedOut(until: 10 * Self.s, scope: .user))
        // After the lockout, during probation: one failure locks again for 20 s, then 40 s, then 40 s (the cap).
        let expected: [(at: UInt64, until: UInt64)] = [
            (10 * Self.s, 30 * Self.s), (30 * Self.s, 70 * Self.s), (70 * Self.s, 110 * Self.s),
            (110 * Self.s, 150 * Self.s),
        ]
        for (index, step) in expected.enumerated() {
            #expect(decide(&lockout, user: "alice", at: step.at) == .allowed)
            lockout.recordFailure(user: "alice", address: "198.51.100.\(index)", now: step.at)
            #expect(decide(&lockout, user: "alice", at: step.at) == .lockedOut(until: step.until, scope: .user))
        }
        #expect(lockout.failures(for: "alice", scope: .user, now: 110 * Self.s) == 7)
        // A window of quiet after the last lockout ends forgets the user: back to the first 10 s.
        #expect(lockout.failures(for: "alice", scope: .user, now: 250 * Self.s) == 0)
        Self.fail(&lockout, 3, user: "alice", address: "192.0.2.9", at: 250 * Self.s)
        #expect(decide(&lockout, user: "alice", at: 250 * Self.s) == .lockedOut(until: 260 * Self.s, scope: .user))
    }

    @Test("an attempt in flight when the lockout began escalates it")
    func failureDuringLockout() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        Self.fail(&lockout, 3, user: "alice", address: "192.0.2.1", at: 0)
        lockout.recordFailure(user: "alice", address: "192.0.2.1", now: 5 * Self.s)
        #expect(decide(&lockout, user: "alice", at: 5 * Self.s) == .lockedOut(until: 25 * Self.s, scope: .user))
    }

    @Test("success forgets the user's failures and lockout, but not the address's")
    func successReset() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        Self.fail(&lockout, 2, user: "alice", address: "192.0.2.1", at: 0)
        lockout.recordSuccess(user: "alice", address: "192.0.2.1", now: 1 * Self.s)
        #expect(lockout.failures(for: "alice", scope: .user, now: 1 * Self.s) == 0)
        #expect(lockout.failures(for: "192.0.2.1", scope: .address, now: 1 * Self.s) == 2)
        // Two more failures do not reach the user threshold of 3 any more.
        Self.fail(&lockout, 2, user: "alice", address: "192.0.2.1", at: 2 * Self.s)
        #expect(decide(&lockout, user: "alice", at: 2 * Self.s) == .allowed)
        // The address reached 4: one more (any user) locks it, and a success for alice does not clear that.
        lockout.recordFailure(user: "mallory", address: "192.0.2.1", now: 3 * Self.s)
        lockout.recordSuccess(user: "alice", address: "192.0.2.1", now: 4 * Self.s)
        #expect(decide(&lockout, user: "alice", at: 4 * Self.s) == .lockedOut(until: 13 * Self.s, scope: .address))
        // A success also ends a user lockout (a correct password raced in by an attempt already in flight).
        Self.fail(&lockout, 3, user: "carol", address: "198.51.100.7", at: 5 * Self.s)
        #expect(decide(&lockout, user: "carol", address: "198.51.100.7", at: 5 * Self.s) != .allowed)
        lockout.recordSuccess(user: "carol", address: "198.51.100.7", now: 6 * Self.s)
        #expect(decide(&lockout, user: "carol", address: "198.51.100.7", at: 6 * Self.s) == .allowed)
    }

    @Test("user and address scopes count independently")
    func scopesIndependent() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        // A password spray: one guess each at many users from one address locks the address, no user.
        for index in 0..<5 {
            lockout.recordFailure(user: "user\(index)", address: "203.0.113.5", now: UInt64(index) * Self.s)
        }
        #expect(
            decide(&lockout, user: "user9", address: "203.0.113.5", at: 5 * Self.s)
                == .lockedOut(until: 14 * Self.s, scope: .address))
        #expect(decide(&lockout, user: "user0", address: "192.0.2.1", at: 5 * Self.s) == .allowed)
        // Before the identity is known, only the address is checked (and counted).
        #expect(decide(&lockout, user: nil, address: "203.0.113.5", at: 5 * Self.s) != .allowed)
        lockout.recordFailure(user: nil, address: "192.0.2.77", now: 5 * Self.s)
        #expect(lockout.trackedKeys(.user) == 5 && lockout.trackedKeys(.address) == 2)

        // A distributed guess at one user from many addresses locks the user, no address; from anywhere.
        for index in 0..<3 {
            lockout.recordFailure(user: "dave", address: "198.51.100.\(index)", now: 6 * Self.s)
        }
        #expect(
            decide(&lockout, user: "dave", address: "192.0.2.200", at: 6 * Self.s)
                == .lockedOut(until: 16 * Self.s, scope: .user))
        #expect(decide(&lockout, user: "erin", address: "198.51.100.0", at: 6 * Self.s) == .allowed)
    }

    @Test("when both are locked out the decision names the lockout that ends later")
    func bothLocked() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        Self.fail(&lockout, 5, user: "alice", address: "192.0.2.1", at: 0)
        // User: 5 failures, threshold 3 → 10 s × 2² = 40 s. Address: 5 failures, threshold 5 → 10 s.
        #expect(decide(&lockout, user: "alice", at: 1 * Self.s) == .lockedOut(until: 40 * Self.s, scope: .user))
        #expect(decide(&lockout, user: "bob", at: 1 * Self.s) == .lockedOut(until: 10 * Self.s, scope: .address))
    }

    @Test("memory is bounded: expired keys go first, then the oldest unlocked, and lockouts survive a spray")
    func evictionBound() {
        var lockout = AuthenticationLockout(policy: Self.policy)  // 8 keys per table
        Self.fail(&lockout, 3, user: "victim", address: "192.0.2.1", at: 0)  // locked until 10 s
        for index in 0..<7 {
            lockout.recordFailure(user: "spray\(index)", address: "192.0.2.1", now: UInt64(1 + index) * Self.s)
        }
        #expect(lockout.trackedKeys(.user) == 8)
        // A ninth key evicts the oldest unlocked one (spray0, last failure at 1 s), never the locked victim.
        lockout.recordFailure(user: "spray7", address: "192.0.2.1", now: 8 * Self.s)
        #expect(lockout.trackedKeys(.user) == 8)
        #expect(lockout.failures(for: "spray0", scope: .user, now: 8 * Self.s) == 0)
        #expect(lockout.failures(for: "spray1", scope: .user, now: 8 * Self.s) == 1)
        // (Checked from another address: 192.0.2.1 itself is locked out by now, 11 failures.)
        #expect(
            decide(&lockout, user: "victim", address: "192.0.2.99", at: 8 * Self.s)
                == .lockedOut(until: 10 * Self.s, scope: .user))

        // Thousands more keys: the table never grows past the cap.
        for index in 8..<5_000 {
            lockout.recordFailure(user: "spray\(index)", address: "198.51.100.\(index % 250)", now: 9 * Self.s)
            #expect(lockout.trackedKeys(.user) <= 8)
            #expect(lockout.trackedKeys(.address) <= 8)
        }
        #expect(
            decide(&lockout, user: "victim", address: "192.0.2.99", at: 9 * Self.s)
                == .lockedOut(until: 10 * Self.s, scope: .user))

        // When the window has passed, expired keys are dropped in one sweep to make room.
        lockout.recordFailure(user: "late", address: "192.0.2.1", now: 500 * Self.s)
        #expect(lockout.trackedKeys(.user) == 1)
    }

    @Test("when every key is locked out, the lockout ending first is evicted")
    func evictionAllLocked() {
        var lockout = AuthenticationLockout(
            policy: .init(
                userThreshold: 1, addressThreshold: 100, window: .seconds(100), lockoutDuration: .seconds(10),
                maximumLockout: .seconds(1000), maximumTrackedKeys: 2))
        Self.fail(&lockout, 3, user: "long", address: "192.0.2.1", at: 0)  // 40 s
        Self.fail(&lockout, 1, user: "short", address: "192.0.2.1", at: 0)  // 10 s
        lockout.recordFailure(user: "new", address: "192.0.2.1", now: 1 * Self.s)
        #expect(lockout.lockedOut(now: 1 * Self.s).map(\.key) == ["long", "new"])
    }

    @Test("lockedOut lists the locked keys of both scopes, for status")
    func listing() {
        var lockout = AuthenticationLockout(policy: Self.policy)
        #expect(lockout.lockedOut(now: 0).isEmpty)
        Self.fail(&lockout, 3, user: "zoe", address: "192.0.2.1", at: 0)
        Self.fail(&lockout, 4, user: "adam", address: "192.0.2.1", at: 1 * Self.s)
        Self.fail(&lockout, 2, user: "bob", address: "198.51.100.1", at: 2 * Self.s)  // not locked
        #expect(
            lockout.lockedOut(now: 2 * Self.s) == [
                .init(key: "adam", scope: .user, failures: 4, until: 21 * Self.s),
                .init(key: "zoe", scope: .user, failures: 3, until: 10 * Self.s),
                // Address 192.0.2.1: 7 failures, threshold 5 → 10 s × 2² from the last at 1 s.
                .init(key: "192.0.2.1", scope: .address, failures: 7, until: 41 * Self.s),
            ])
        #expect(lockout.lockedOut(now: 10 * Self.s).map(\.key) == ["adam", "192.0.2.1"])
        #expect(lockout.lockedOut(now: 41 * Self.s).isEmpty)
    }

    @Test("durations convert to nanoseconds, saturating")
    func durations() {
        var lockout = AuthenticationLockout(
            policy: .init(
                userThreshold: 1, addressThreshold: 1_000, window: .seconds(Int64.max),
                lockoutDuration: .milliseconds(1500),
                maximumLockout: .seconds(Int64.max)))
        Self.fail(&lockout, 1, user: "alice", address: "192.0.2.1", at: 0)
        #expect(decide(&lockout, user: "alice", at: 0) == .lockedOut(until: 1_500_000_000, scope: .user))
        // 200 doublings saturate at the maximum instead of overflowing.
        Self.fail(&lockout, 200, user: "alice", address: "192.0.2.1", at: 1)
        #expect(decide(&lockout, user: "alice", at: 1) == .lockedOut(until: .max, scope: .user))
    }
}
