import CryptoPrimitives
import NIOCore

/// Server side of MS-CHAPv2 (RFC 2759 with RFC 1994 CHAP rules), as a pure state machine.
///
/// Randomness (challenges) and credentials are inputs: `start` takes the first challenge, and
/// `credentialsLookedUp` takes the user's NT hash (or `nil`) plus the challenge to offer in a Failure's `C=`.
/// An unknown user takes exactly the wrong-password path, including the DES work, so neither the packets nor
/// the work done reveal which user names exist.
public struct MSCHAPv2Authenticator: Sendable {
    /// Timers this machine asks its adapter to run.
    public enum TimerID: Hashable, Sendable {
        /// Challenge retransmission (RFC 1994 §4.1 restart timer).
        case challengeRetransmit
        /// Waiting for the peer's retry after a Failure with R=1 (long: the user may be re-prompted).
        case retryWait
    }

    /// Why authentication ended without success.
    public enum FailureReason: Hashable, Sendable {
        /// The last allowed Response did not verify (E=691, R=0 was sent).
        case authenticationFailed
        /// The peer never answered the Challenge (retransmissions exhausted) or never retried.
        case timeout
    }

    /// What the adapter must do, in order.
    public enum Action: Hashable, Sendable {
        /// Send this packet in a PPP frame with protocol 0xC223.
        case send(MSCHAPv2Packet)
        case startTimer(TimerID, seconds: Int)
        case cancelTimer(TimerID)
        /// Look the user up and call `credentialsLookedUp`. `username` is the Name field as sent.
        case lookUpCredentials(username: String)
        /// Authentication succeeded (the Success packet precedes this action).
        case succeeded(AuthenticationResult)
        /// Authentication failed; the PPP layer should terminate the link (RFC 1994 §4.2).
        case failed(FailureReason)
    }

    private enum State: Sendable {
        case initial
        /// Challenge sent; `transmissions` counts sends of this Challenge.
        case challengeSent(challenge: MSCHAPv2Challenge, transmissions: Int, attempt: Int)
        /// A Response arrived; waiting for the credential store.
        case awaitingCredentials(challenge: MSCHAPv2Challenge, response: MSCHAPv2Response, attempt: Int)
        /// Failure with R=1 sent; the retry Response carries `identifier` (the Failure's plus one) or the
        /// Failure's own Identifier.
        case awaitingRetry(challenge: [UInt8], identifier: UInt8, attempt: Int)
        case succeeded(success: MSCHAPv2Success, responseIdentifier: UInt8)
        case failed
    }

    private let name: [UInt8]
    private let maxAttempts: Int
    private let retransmitSeconds: Int
    private let maxChallengeTransmissions: Int
    private let retryWaitSeconds: Int
    private var state: State = .initial

    /// - Parameters:
    ///   - name: our authenticator name, sent in the Challenge's Name field.
    ///   - maxAttempts: Responses verified before giving up; all but the last failure carry R=1.
    ///   - retransmitSeconds: Challenge restart timer (RFC 1994 default 3 s).
    ///   - maxChallengeTransmissions: total Challenge sends before `.failed(.timeout)` (pppd default 10).
    ///   - retryWaitSeconds: how long to wait for a retry after a Failure with R=1.
    public init(
        name: String,
        maxAttempts: Int = 3,
        retransmitSeconds: Int = 3,
        maxChallengeTransmissions: Int = 10,
        retryWaitSeconds: Int = 60
    ) {
        precondition(maxAttempts >= 1 && maxChallengeTransmissions >= 1)
        self.name = Array(name.utf8)
        self.maxAttempts = maxAttempts
        self.retransmitSeconds = retransmitSeconds
        self.maxChallengeTransmissions = maxChallengeTransmissions
        self.retryWaitSeconds = retryWaitSeconds
    }

    /// `true` once authentication has succeeded.
    public var isAuthenticated: Bool {
        if case .succeeded = self.state { return true }
        return false
    }

    /// Starts authentication: sends a Challenge with a fresh 16-octet `challenge` and starts the restart timer.
    public mutating func start(challenge: [UInt8], identifier: UInt8) -> [Action] {
        guard case .initial = self.state else { preconditionFailure("MSCHAPv2Authenticator started twice") }
        let packet = MSCHAPv2Challenge(identifier: identifier, challenge: challenge, name: self.name)
        self.state = .challengeSent(challenge: packet, transmissions: 1, attempt: 1)
        return [.send(.challenge(packet)), .startTimer(.challengeRetransmit, seconds: self.retransmitSeconds)]
    }

    /// Parses and handles a received CHAP packet; malformed packets are silently discarded (RFC 1994 §4).
    public mutating func receive(_ buffer: ByteBuffer) -> [Action] {
        var buffer = buffer
        guard let packet = try? buffer.readMSCHAPv2Packet() else { return [] }
        return self.receive(packet)
    }

    /// Handles a received CHAP packet. Only Responses matter to the authenticator; everything else, and any
    /// Response whose Identifier does not match the outstanding Challenge, is discarded.
    public mutating func receive(_ packet: MSCHAPv2Packet) -> [Action] {
        guard case .response(let response) = packet else { return [] }
        switch self.state {
        case .initial, .failed:
            return []
        case .challengeSent(let challenge, _, let attempt):
            guard response.identifier == challenge.identifier else { return [] }
            self.state = .awaitingCredentials(challenge: challenge, response: response, attempt: attempt)
            return [.cancelTimer(.challengeRetransmit), .lookUpCredentials(username: Self.string(response.name))]
        case .awaitingRetry(let challenge, let identifier, let attempt):
            guard response.identifier == identifier || response.identifier == identifier &- 1 else { return [] }
            let implied = MSCHAPv2Challenge(identifier: identifier, challenge: challenge, name: self.name)
            self.state = .awaitingCredentials(challenge: implied, response: response, attempt: attempt)
            return [.cancelTimer(.retryWait), .lookUpCredentials(username: Self.string(response.name))]
        case .awaitingCredentials:
            // A retransmitted Response while the lookup is pending: the answer is already on its way.
            return []
        case .succeeded(let success, let responseIdentifier):
            // RFC 1994 §4.2: a Response after Success (our Success was lost) gets the Success again.
            guard response.identifier == responseIdentifier else { return [] }
            return [.send(.success(success))]
        }
    }

    /// Completes verification of the pending Response.
    ///
    /// - Parameters:
    ///   - ntPasswordHash: the user's 16-octet NT hash, or `nil` if the user is unknown or not allowed.
    ///   - nextChallenge: 16 fresh random octets for the Failure's `C=` (required by RFC 2759 §6 even with R=0).
    public mutating func credentialsLookedUp(ntPasswordHash: [UInt8]?, nextChallenge: [UInt8]) -> [Action] {
        guard case .awaitingCredentials(let challenge, let response, let attempt) = self.state else {
            preconditionFailure("credentialsLookedUp without a pending lookup")
        }
        precondition(nextChallenge.count == 16, "challenge is 16 octets")
        precondition(ntPasswordHash.map { $0.count == 16 } ?? true, "NT hash is 16 octets")

        // Unknown users are checked against a fixed dummy hash so both paths do the same work.
        let passwordHash = ntPasswordHash ?? [UInt8](repeating: 0, count: 16)
        let expected = MSCHAPv2Crypto.generateNTResponse(
            authenticatorChallenge: challenge.challenge,
            peerChallenge: response.peerChallenge,
            userName: response.name,
            passwordHash: passwordHash
        )
        let matches = ConstantTime.equals(expected, response.ntResponse)

        if matches, ntPasswordHash != nil {
            let authenticatorResponse = MSCHAPv2Crypto.generateAuthenticatorResponse(
                passwordHash: passwordHash,
                ntResponse: response.ntResponse,
                peerChallenge: response.peerChallenge,
                authenticatorChallenge: challenge.challenge,
                userName: response.name
            )
            // > The Identifier field MUST be copied from the Identifier field of the Response (RFC 1994 §4.2).
            let success = MSCHAPv2Success(
                identifier: response.identifier,
                authenticatorResponse: authenticatorResponse,
                message: "Access granted"
            )
            let result = AuthenticationResult(
                username: Self.string(response.name),
                userNameWithoutDomain: Self.string(MSCHAPv2Crypto.userNameWithoutDomain(response.name)),
                keys: MPPEKeys(passwordHash: passwordHash, ntResponse: response.ntResponse, isServer: true)
            )
            self.state = .succeeded(success: success, responseIdentifier: response.identifier)
            return [.send(.success(success)), .succeeded(result)]
        }

        // RFC 2759 §6: R=1 lets the peer retry against the challenge in C=; the last allowed attempt gets R=0.
        let retryAllowed = attempt < self.maxAttempts
        let failure = MSCHAPv2Failure(
            identifier: response.identifier,
            error: MSCHAPv2Failure.ErrorCode.authenticationFailure,
            retryAllowed: retryAllowed,
            challenge: nextChallenge,
            version: 3,
            message: "Authentication failed"
        )
        if retryAllowed {
            // RFC 2759 does not say which Identifier the retry Response carries. CHAP's rule is a new Identifier
            // per challenge, so the Failure's Identifier plus one is expected; the Failure's own Identifier is
            // accepted too, since peers differ and this path is not verified against Windows.
            self.state = .awaitingRetry(
                challenge: nextChallenge,
                identifier: response.identifier &+ 1,
                attempt: attempt + 1
            )
            return [.send(.failure(failure)), .startTimer(.retryWait, seconds: self.retryWaitSeconds)]
        }
        self.state = .failed
        return [.send(.failure(failure)), .failed(.authenticationFailed)]
    }

    /// Handles an expired timer. Stale timers (from a state already left) are ignored.
    public mutating func timerFired(_ timer: TimerID) -> [Action] {
        switch (self.state, timer) {
        case (.challengeSent(let challenge, let transmissions, let attempt), .challengeRetransmit):
            guard transmissions < self.maxChallengeTransmissions else {
                self.state = .failed
                return [.failed(.timeout)]
            }
            // Same packet, same Identifier, as pppd does, so a late Response to the first copy still matches.
            self.state = .challengeSent(challenge: challenge, transmissions: transmissions + 1, attempt: attempt)
            return [.send(.challenge(challenge)), .startTimer(.challengeRetransmit, seconds: self.retransmitSeconds)]
        case (.awaitingRetry, .retryWait):
            self.state = .failed
            return [.failed(.timeout)]
        case (.initial, _), (.challengeSent, .retryWait), (.awaitingCredentials, _),
            (.awaitingRetry, .challengeRetransmit),
            (.succeeded, _), (.failed, _):
            return []
        }
    }

    private static func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
