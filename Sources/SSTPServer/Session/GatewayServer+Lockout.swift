import Foundation
import GatewayPolicy
import NIOCore
import struct NIOConcurrencyHelpers.NIOLockedValueBox

/// The lockout policy on the live gateway: keys are canonical user names and client IP addresses (no port).
extension GatewayServer {
    static func monotonicNow() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    func lockoutDecision(user: String?, address: String) -> AuthenticationLockout.Decision {
        let key = user.map(UserDatabase.canonical)
        return lockout.withLockedValue { $0.check(user: key, address: address, now: Self.monotonicNow()) }
    }

    func lockoutFailure(user: String?, address: String) {
        let key = user.map(UserDatabase.canonical)
        lockout.withLockedValue { $0.recordFailure(user: key, address: address, now: Self.monotonicNow()) }
    }

    func lockoutSuccess(user: String, address: String) {
        let key = UserDatabase.canonical(user)
        lockout.withLockedValue { $0.recordSuccess(user: key, address: address, now: Self.monotonicNow()) }
    }

    /// Current lockouts for `sstpctl status`, with wall-clock ends.
    func lockoutReport() -> [GatewayStatusReport.Lockout] {
        let now = Self.monotonicNow()
        let wall = Date().timeIntervalSince1970
        return lockout.withLockedValue { $0.lockedOut(now: now) }.map { entry in
            GatewayStatusReport.Lockout(
                scope: entry.scope.rawValue, key: entry.key, failures: entry.failures,
                until: wall + Double(entry.until &- now) / 1e9)
        }
    }
}
