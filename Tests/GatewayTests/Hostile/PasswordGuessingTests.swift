import Foundation
import NIOCore
import NIOPosix
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// Password guessing against the lockout policy (docs/metrics.md#authentication-lockout): the guesser is locked out,
/// the locked user cannot log in even with the right password until the lockout ends, and everyone else is not
/// affected. There is no injectable clock in the gateway, so expiry uses a short `[lockout] duration` and waits on
/// the gateway's own status (`sstpctl status` lockouts), never on a fixed sleep.
@Suite("Hostile clients: password guessing and the lockout", .serialized)
struct HostilePasswordGuessingTests {
    /// A dial's outcome: nil when it connected (and hung up), else the error.
    static func dial(
        _ gateway: InProcessGateway, user: String, password: String, from localAddress: String
    ) async -> DialError? {
        do {
            let tunnel = try await SSTPDialer.connect(
                gateway.dialConfiguration(user: user, password: password), group: gateway.group, logger: quietLogger,
                localAddress: try SocketAddress(ipAddress: localAddress, port: 0))
            await tunnel.disconnect()
            return nil
        } catch let error as DialError {
            return error
        } catch {
            return DialError(.connectionClosed, "\(error)")
        }
    }

    static func lockouts(_ gateway: InProcessGateway) -> [GatewayStatusReport.Lockout] {
        gateway.server.handleControl(ControlRequest(op: .status)).status?.lockouts ?? []
    }

    @Test("guessing a user's password locks the user: the right password fails until the lockout ends; others pass")
    func userLockout() async throws {
        let lockoutSeconds = 10
        let gateway = try await InProcessGateway.start {
            $0.lockoutUserThreshold = 3
            $0.lockoutDuration = lockoutSeconds
            $0.lockoutMaxDuration = lockoutSeconds  // no escalation: the test waits for one lockout period
            $0.maxAuthenticationAttempts = 1
        }
        // The guesses, from an address of their own.
        for guess in ["123456", "password", "alice1"] {
            let error = await Self.dial(gateway, user: "alice", password: guess, from: "127.0.0.6")
            #expect(error?.code == .authenticationFailed)
            #expect(error?.detail.contains("error: 691") == true, "MS-CHAPv2 Failure E=691 (RFC 2759 §6)")
        }
        let locked = try #require(Self.lockouts(gateway).first { $0.scope == "user" && $0.key == "alice" })
        #expect(locked.failures == 3)
        #expect(locked.until > Date().timeIntervalSince1970)
        #expect(failures(gateway, "auth") == 3)

        // The refusal: the right password, from a clean address, is refused without being checked: the same
        // answer as a wrong password (E=691), logged with the scope and counted as locked_out.
        let refused = await Self.dial(gateway, user: "alice", password: "alice-password", from: "127.0.0.1")
        #expect(refused?.code == .authenticationFailed)
        #expect(refused?.detail.contains("error: 691") == true)
        #expect(gateway.logs.contains("authentication refused: locked out", "scope", "user"))
        #expect(failures(gateway, "locked_out") == 1)

        // During: other users, from the guesser's address and from another, are not affected.
        let bobSameAddress = await legitimateClientProblem(gateway, from: "127.0.0.6")
        #expect(bobSameAddress == nil, "bob from the guesser's address during the lockout: \(bobSameAddress ?? "")")
        let bob = await legitimateClientProblem(gateway)
        #expect(bob == nil, "bob during the lockout: \(bob ?? "")")

        // Expiry: wait on the gateway's own state (bounded), then the right password works again.
        #expect(await eventually(within: Double(lockoutSeconds) + 20) { !Self.lockouts(gateway).contains { $0.key == "alice" } })
        let after = await legitimateClientProblem(gateway, user: "alice", password: "alice-password")
        #expect(after == nil, "alice after the lockout ended: \(after ?? "")")
        #expect(failures(gateway, "locked_out") == 1)
        try await gateway.stop()
    }

    @Test("a password spray from one address locks the address: its connections are closed at once; others pass")
    func addressLockout() async throws {
        let gateway = try await InProcessGateway.start {
            $0.lockoutAddressThreshold = 4
            $0.lockoutDuration = 600
            $0.maxAuthenticationAttempts = 1
        }
        // One guess at each of four names (two real, two not: the answer is the same E=691).
        for user in ["alice", "bob", "carol", "dave"] {
            let error = await Self.dial(gateway, user: user, password: "Winter2025!", from: "127.0.0.7")
            #expect(error?.code == .authenticationFailed)
        }
        let entry = try #require(Self.lockouts(gateway).first { $0.scope == "address" })
        #expect(entry.key == "127.0.0.7" && entry.failures == 4)
        // No user was locked by one guess each.
        #expect(!Self.lockouts(gateway).contains { $0.scope == "user" })

        // The refusal: even the right password from that address does not get past the TCP accept.
        let refused = await Self.dial(gateway, user: "alice", password: "alice-password", from: "127.0.0.7")
        #expect(refused != nil)
        #expect(refused?.code != .authenticationFailed, "refused before PPP: \(String(describing: refused))")
        #expect(gateway.logs.contains("refused connection: address locked out"))
        #expect(failures(gateway, "locked_out") == 1)

        // Reconnecting from the locked address costs the gateway nothing that lasts: each connection is closed at
        // once without a byte, and none stays in the session table (they used to, until the table was full).
        let attackers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let retries = try await IdleConnections.open(count: 300, from: ["127.0.0.7"], port: gateway.port, group: attackers)
        #expect(await eventually { retries.closed == 300 })
        #expect(retries.bytesReceived == 0)
        #expect(failures(gateway, "locked_out") == 301)
        #expect(await eventually { gateway.server.state.count == 0 })
        try await attackers.shutdownGracefully()

        // During: the users it guessed at connect from elsewhere.
        for user in [("alice", "alice-password"), ("bob", "bob-password")] {
            let problem = await legitimateClientProblem(gateway, user: user.0, password: user.1)
            #expect(problem == nil, "\(user.0) during the lockout: \(problem ?? "")")
        }
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway, from: "127.0.0.8")
        #expect(after == nil, "after the spray: \(after ?? "")")
        try await gateway.stop()
    }
}
