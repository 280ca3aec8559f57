import NIOCore
import Testing

@testable import PPPAuth

@Suite struct MSCHAPv2AuthenticatorTests {
    private let secondChallenge = hex("00112233445566778899AABBCCDDEEFF")
    private let thirdChallenge = hex("FFEEDDCCBBAA99887766554433221100")

    /// A Response to `challenge` computed by the RFC routines for `password`.
    private func response(
        identifier: UInt8,
        challenge: [UInt8],
        name: String = RFC2759.userName,
        password: String = RFC2759.password
    ) -> MSCHAPv2Packet {
        .response(
            MSCHAPv2Response(
                identifier: identifier,
                peerChallenge: RFC2759.peerChallenge,
                ntResponse: MSCHAPv2Crypto.generateNTResponse(
                    authenticatorChallenge: challenge,
                    peerChallenge: RFC2759.peerChallenge,
                    userName: Array(name.utf8),
                    passwordHash: NTHash.fromPassword(password)
                ),
                name: Array(name.utf8)
            )
        )
    }

    private func started(maxAttempts: Int = 3) -> MSCHAPv2Authenticator {
        var authenticator = MSCHAPv2Authenticator(name: "sstpd", maxAttempts: maxAttempts)
        _ = authenticator.start(challenge: RFC2759.authenticatorChallenge, identifier: 0x2A)
        return authenticator
    }

    private func bytes(_ packet: MSCHAPv2Packet) -> [UInt8] {
        var b = ByteBuffer()
        b.writeMSCHAPv2Packet(packet)
        return Array(b.readableBytesView)
    }

    @Test func startSendsChallengeVectorAndStartsTimer() {
        var authenticator = MSCHAPv2Authenticator(name: "sstpd")
        let actions = authenticator.start(challenge: RFC2759.authenticatorChallenge, identifier: 0x2A)
        #expect(actions.count == 2)
        guard case .send(let packet) = actions.first else {
            Issue.record("no send")
            return
        }
        #expect(self.bytes(packet) == Vectors.challenge)
        #expect(actions.last == .startTimer(.challengeRetransmit, seconds: 3))
    }

    /// The whole RFC 2759 §9.2 exchange, driven by the hand-written Response bytes.
    @Test func successWithRFCVectors() throws {
        var authenticator = self.started()
        #expect(
            authenticator.receive(buffer(Vectors.response))
                == [.cancelTimer(.challengeRetransmit), .lookUpCredentials(username: "User")]
        )
        let actions = authenticator.credentialsLookedUp(
            ntPasswordHash: RFC2759.passwordHash,
            nextChallenge: self.secondChallenge
        )
        #expect(actions.count == 2)
        guard case .send(let success) = actions[0], case .succeeded(let result) = actions[1] else {
            Issue.record("unexpected actions \(actions)")
            return
        }
        #expect(self.bytes(success) == Vectors.success)
        #expect(result.username == "User")
        #expect(result.userNameWithoutDomain == "User")
        #expect(result.hlak == RFC2759.hlak)
        #expect(result.keys.isServer)
        #expect(authenticator.isAuthenticated)
    }

    @Test func domainPrefixedUserIsLookedUpAsSentAndVerifiedWithoutDomain() {
        var authenticator = self.started()
        let name = "CORP\\User"
        #expect(
            authenticator.receive(
                self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, name: name)
            )
                == [.cancelTimer(.challengeRetransmit), .lookUpCredentials(username: name)]
        )
        let actions = authenticator.credentialsLookedUp(
            ntPasswordHash: RFC2759.passwordHash,
            nextChallenge: self.secondChallenge
        )
        guard case .succeeded(let result) = actions.last else {
            Issue.record("expected success, got \(actions)")
            return
        }
        #expect(result.username == name)
        #expect(result.userNameWithoutDomain == "User")
        // Same NT-Response as the RFC sample (the domain is not hashed), so the same HLAK.
        #expect(result.hlak == RFC2759.hlak)
    }

    @Test func wrongPasswordRetriesThenFails() {
        var authenticator = self.started(maxAttempts: 3)
        let wrong = NTHash.fromPassword("not the password")

        // Attempt 1: Failure E=691 R=1 C=<second challenge>, same Identifier as the Response.
        _ = authenticator.receive(self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge))
        var actions = authenticator.credentialsLookedUp(ntPasswordHash: wrong, nextChallenge: self.secondChallenge)
        #expect(
            actions == [
                .send(
                    .failure(
                        MSCHAPv2Failure(
                            identifier: 0x2A,
                            error: 691,
                            retryAllowed: true,
                            challenge: self.secondChallenge,
                            version: 3,
                            message: "Authentication failed"
                        )
                    )
                ),
                .startTimer(.retryWait, seconds: 60),
            ]
        )
        let expectedText = "E=691 R=1 C=00112233445566778899AABBCCDDEEFF V=3 M=Authentication failed"
        #expect(
            self.bytes(.failure(try! #require(Self.failure(in: actions)))) == hex("04 2A 004C")
                + Array(expectedText.utf8)
        )

        // Attempt 2 answers the new challenge with Identifier + 1; unrelated Identifiers are ignored.
        #expect(authenticator.receive(self.response(identifier: 0x2C, challenge: self.secondChallenge)) == [])
        #expect(authenticator.receive(self.response(identifier: 0x29, challenge: self.secondChallenge)) == [])
        #expect(
            authenticator.receive(self.response(identifier: 0x2B, challenge: self.secondChallenge))
                == [.cancelTimer(.retryWait), .lookUpCredentials(username: "User")]
        )
        actions = authenticator.credentialsLookedUp(ntPasswordHash: wrong, nextChallenge: self.thirdChallenge)
        #expect(Self.failure(in: actions)?.retryAllowed == true)
        #expect(Self.failure(in: actions)?.identifier == 0x2B)

        // Attempt 3 is the last: R=0 and `.failed`.
        _ = authenticator.receive(self.response(identifier: 0x2C, challenge: self.thirdChallenge))
        actions = authenticator.credentialsLookedUp(ntPasswordHash: wrong, nextChallenge: self.secondChallenge)
        #expect(actions.count == 2)
        #expect(Self.failure(in: actions)?.retryAllowed == false)
        #expect(Self.failure(in: actions)?.error == 691)
        #expect(actions.last == .failed(.authenticationFailed))
        #expect(!authenticator.isAuthenticated)

        // Nothing more happens.
        #expect(authenticator.receive(self.response(identifier: 0x2D, challenge: self.secondChallenge)) == [])
    }

    @Test func retryWithCorrectPasswordSucceedsAgainstNewChallenge() {
        var authenticator = self.started(maxAttempts: 2)
        _ = authenticator.receive(
            self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, password: "typo")
        )
        _ = authenticator.credentialsLookedUp(ntPasswordHash: RFC2759.passwordHash, nextChallenge: self.secondChallenge)
        _ = authenticator.receive(self.response(identifier: 0x2B, challenge: self.secondChallenge))
        let actions = authenticator.credentialsLookedUp(
            ntPasswordHash: RFC2759.passwordHash,
            nextChallenge: self.thirdChallenge
        )
        guard case .send(.success(let success)) = actions.first else {
            Issue.record("expected Success, got \(actions)")
            return
        }
        #expect(success.identifier == 0x2B)
        #expect(authenticator.isAuthenticated)
    }

    @Test func retryWithTheFailuresOwnIdentifierIsAccepted() {
        var authenticator = self.started(maxAttempts: 2)
        let wrong = self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, password: "typo")
        _ = authenticator.receive(wrong)
        _ = authenticator.credentialsLookedUp(ntPasswordHash: RFC2759.passwordHash, nextChallenge: self.secondChallenge)
        #expect(
            authenticator.receive(self.response(identifier: 0x2A, challenge: self.secondChallenge))
                == [.cancelTimer(.retryWait), .lookUpCredentials(username: "User")]
        )
        let actions = authenticator.credentialsLookedUp(
            ntPasswordHash: RFC2759.passwordHash,
            nextChallenge: self.thirdChallenge
        )
        guard case .send(.success(let success)) = actions.first else {
            Issue.record("expected Success, got \(actions)")
            return
        }
        #expect(success.identifier == 0x2A)
    }

    @Test func singleAttemptFailsImmediatelyWithR0() {
        var authenticator = self.started(maxAttempts: 1)
        _ = authenticator.receive(
            self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, password: "x")
        )
        let actions = authenticator.credentialsLookedUp(
            ntPasswordHash: RFC2759.passwordHash,
            nextChallenge: self.secondChallenge
        )
        #expect(Self.failure(in: actions)?.retryAllowed == false)
        #expect(actions.last == .failed(.authenticationFailed))
    }

    /// An unknown user gets byte-for-byte the same Failure as a wrong password.
    @Test func unknownUserLooksLikeWrongPassword() {
        var known = self.started()
        _ = known.receive(self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, password: "wrong"))
        let wrongPassword = known.credentialsLookedUp(
            ntPasswordHash: RFC2759.passwordHash,
            nextChallenge: self.secondChallenge
        )

        var unknown = self.started()
        _ = unknown.receive(self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, name: "User"))
        let unknownUser = unknown.credentialsLookedUp(ntPasswordHash: nil, nextChallenge: self.secondChallenge)

        #expect(wrongPassword == unknownUser)
        #expect(Self.failure(in: unknownUser)?.error == 691)
    }

    /// A nil hash never authenticates, even when the Response was made with the all-zero dummy hash.
    @Test func unknownUserCannotMatchTheDummyHash() {
        var authenticator = self.started()
        let dummy = [UInt8](repeating: 0, count: 16)
        _ = authenticator.receive(
            .response(
                MSCHAPv2Response(
                    identifier: 0x2A,
                    peerChallenge: RFC2759.peerChallenge,
                    ntResponse: MSCHAPv2Crypto.generateNTResponse(
                        authenticatorChallenge: RFC2759.authenticatorChallenge,
                        peerChallenge: RFC2759.peerChallenge,
                        userName: Array("ghost".utf8),
                        passwordHash: dummy
                    ),
                    name: Array("ghost".utf8)
                )
            )
        )
        let actions = authenticator.credentialsLookedUp(ntPasswordHash: nil, nextChallenge: self.secondChallenge)
        #expect(Self.failure(in: actions) != nil)
        #expect(!authenticator.isAuthenticated)
    }

    @Test func responseWithWrongIdentifierIsIgnored() {
        var authenticator = self.started()
        #expect(authenticator.receive(self.response(identifier: 0x2B, challenge: RFC2759.authenticatorChallenge)) == [])
        #expect(authenticator.receive(self.response(identifier: 0x29, challenge: RFC2759.authenticatorChallenge)) == [])
        // The right one still works afterwards.
        #expect(
            authenticator.receive(self.response(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge)).last
                == .lookUpCredentials(username: "User")
        )
    }

    @Test func malformedAndNonResponsePacketsAreDiscarded() {
        var authenticator = self.started()
        var truncated = Vectors.response
        truncated.removeLast(10)
        #expect(authenticator.receive(buffer(truncated)) == [])
        #expect(authenticator.receive(buffer(hex("07 2A 0004"))) == [])
        #expect(authenticator.receive(buffer(Vectors.success)) == [])
        #expect(authenticator.receive(buffer(Vectors.challenge)) == [])
        #expect(authenticator.receive(buffer(Vectors.response)).last == .lookUpCredentials(username: "User"))
    }

    @Test func duplicateResponseWhileLookingUpIsIgnored() {
        var authenticator = self.started()
        _ = authenticator.receive(buffer(Vectors.response))
        #expect(authenticator.receive(buffer(Vectors.response)) == [])
    }

    @Test func duplicateResponseAfterSuccessResendsSuccess() {
        var authenticator = self.started()
        _ = authenticator.receive(buffer(Vectors.response))
        _ = authenticator.credentialsLookedUp(ntPasswordHash: RFC2759.passwordHash, nextChallenge: self.secondChallenge)
        let actions = authenticator.receive(buffer(Vectors.response))
        #expect(actions.count == 1)
        guard case .send(let packet) = actions.first else {
            Issue.record("expected a resend")
            return
        }
        #expect(self.bytes(packet) == Vectors.success)
        #expect(authenticator.receive(self.response(identifier: 0x30, challenge: RFC2759.authenticatorChallenge)) == [])
    }

    @Test func challengeIsRetransmittedBoundedTimes() {
        var authenticator = MSCHAPv2Authenticator(name: "sstpd", maxChallengeTransmissions: 3)
        let first = authenticator.start(challenge: RFC2759.authenticatorChallenge, identifier: 0x2A)
        for _ in 0..<2 {
            #expect(authenticator.timerFired(.challengeRetransmit) == first)
        }
        #expect(authenticator.timerFired(.challengeRetransmit) == [.failed(.timeout)])
        #expect(authenticator.timerFired(.challengeRetransmit) == [])
        #expect(authenticator.receive(buffer(Vectors.response)) == [])
    }

    @Test func staleTimersAreIgnored() {
        var authenticator = self.started()
        #expect(authenticator.timerFired(.retryWait) == [])
        _ = authenticator.receive(buffer(Vectors.response))
        #expect(authenticator.timerFired(.challengeRetransmit) == [])
        _ = authenticator.credentialsLookedUp(ntPasswordHash: RFC2759.passwordHash, nextChallenge: self.secondChallenge)
        #expect(authenticator.timerFired(.challengeRetransmit) == [])
    }

    @Test func retryWaitTimeoutFails() {
        var authenticator = self.started()
        _ = authenticator.receive(buffer(Vectors.response))
        _ = authenticator.credentialsLookedUp(ntPasswordHash: nil, nextChallenge: self.secondChallenge)
        #expect(authenticator.timerFired(.challengeRetransmit) == [])
        #expect(authenticator.timerFired(.retryWait) == [.failed(.timeout)])
    }

    static func failure(in actions: [MSCHAPv2Authenticator.Action]) -> MSCHAPv2Failure? {
        for action in actions {
            if case .send(.failure(let failure)) = action { return failure }
        }
        return nil
    }
}
