import NIOCore
import Testing

@testable import PPPAuth

@Suite struct MSCHAPv2PeerTests {
    private func peer(username: String = RFC2759.userName, password: String = RFC2759.password) -> MSCHAPv2Peer {
        MSCHAPv2Peer(username: username, password: password, peerChallenge: RFC2759.peerChallenge)
    }

    private func bytes(_ packet: MSCHAPv2Packet) -> [UInt8] {
        var b = ByteBuffer()
        b.writeMSCHAPv2Packet(packet)
        return Array(b.readableBytesView)
    }

    @Test func answersChallengeWithRFCResponseAndVerifiesSuccess() {
        var peer = self.peer()
        let actions = peer.receive(buffer(Vectors.challenge))
        guard case .send(let response) = actions.first, actions.count == 1 else {
            Issue.record("expected one send, got \(actions)")
            return
        }
        #expect(self.bytes(response) == Vectors.response)

        let done = peer.receive(buffer(Vectors.success))
        guard case .succeeded(let result) = done.first, done.count == 1 else {
            Issue.record("expected success, got \(done)")
            return
        }
        #expect(result.hlak == RFC2759.hlak)
        #expect(!result.keys.isServer)
        #expect(result.keys.masterReceiveKey == hex("8B7CDC149B993A1BA118CB153F56DCCB"))
    }

    @Test func retransmittedChallengeGetsTheSameResponse() {
        var peer = self.peer()
        let first = peer.receive(buffer(Vectors.challenge))
        #expect(peer.receive(buffer(Vectors.challenge)) == first)
    }

    @Test func wrongAuthenticatorResponseFails() {
        var peer = self.peer()
        _ = peer.receive(buffer(Vectors.challenge))
        let forged = hex("03 2A 003F") + Array("S=407A5589115FD0D6209F510FE9C04566932CDA57 M=Access granted".utf8)
        #expect(peer.receive(buffer(forged)) == [.failed(.authenticatorResponseMismatch)])
        #expect(peer.receive(buffer(Vectors.success)) == [])
    }

    @Test func successWithoutAuthenticatorResponseFails() {
        var peer = self.peer()
        _ = peer.receive(buffer(Vectors.challenge))
        let bare = hex("03 2A 0012") + Array("M=Access granted".utf8)
        #expect(peer.receive(buffer(bare)) == [.failed(.authenticatorResponseMismatch)])
    }

    @Test func successForAnotherIdentifierIsIgnored() {
        var peer = self.peer()
        _ = peer.receive(buffer(Vectors.challenge))
        var other = Vectors.success
        other[1] = 0x2B
        #expect(peer.receive(buffer(other)) == [])
        #expect(peer.receive(buffer(Vectors.success)).count == 1)
    }

    @Test func successBeforeChallengeIsIgnored() {
        var peer = self.peer()
        #expect(peer.receive(buffer(Vectors.success)) == [])
    }

    @Test func failureIsReportedWithParsedFields() {
        var peer = self.peer(password: "wrong")
        _ = peer.receive(buffer(Vectors.challenge))
        #expect(
            peer.receive(buffer(Vectors.failure))
                == [
                    .failed(
                        .rejected(
                            MSCHAPv2Failure(
                                identifier: 0x2A,
                                error: 691,
                                retryAllowed: true,
                                challenge: hex("0123456789ABCDEF0123456789ABCDEF"),
                                version: 3,
                                message: "Authentication failed"
                            )
                        )
                    )
                ]
        )
    }
}

/// Peer and authenticator talking through serialized bytes.
@Suite struct MSCHAPv2EndToEndTests {
    private struct Outcome {
        var server: AuthenticationResult?
        var client: AuthenticationResult?
        var serverFailed = false
        var clientFailure: MSCHAPv2Peer.FailureReason?
    }

    private func run(
        username: String,
        password: String,
        storedHash: [UInt8]?,
        maxAttempts: Int = 1
    ) -> Outcome {
        var authenticator = MSCHAPv2Authenticator(name: "sstpd", maxAttempts: maxAttempts)
        var peer = MSCHAPv2Peer(
            username: username,
            password: password,
            peerChallenge: hex("0F1E2D3C4B5A69788796A5B4C3D2E1F0")
        )
        var outcome = Outcome()
        var toPeer: [ByteBuffer] = []
        var toAuthenticator: [ByteBuffer] = []

        func serverActions(_ actions: [MSCHAPv2Authenticator.Action]) {
            for action in actions {
                switch action {
                case .send(let packet):
                    var b = ByteBuffer()
                    b.writeMSCHAPv2Packet(packet)
                    toPeer.append(b)
                case .lookUpCredentials:
                    serverActions(
                        authenticator.credentialsLookedUp(
                            ntPasswordHash: storedHash,
                            nextChallenge: hex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF")
                        )
                    )
                case .succeeded(let result): outcome.server = result
                case .failed: outcome.serverFailed = true
                case .startTimer, .cancelTimer: break
                }
            }
        }

        serverActions(authenticator.start(challenge: hex("101112131415161718191A1B1C1D1E1F"), identifier: 1))
        var rounds = 0
        while (!toPeer.isEmpty || !toAuthenticator.isEmpty) && rounds < 20 {
            rounds += 1
            for b in toPeer {
                for action in peer.receive(b) {
                    switch action {
                    case .send(let packet):
                        var out = ByteBuffer()
                        out.writeMSCHAPv2Packet(packet)
                        toAuthenticator.append(out)
                    case .succeeded(let result): outcome.client = result
                    case .failed(let reason): outcome.clientFailure = reason
                    }
                }
            }
            toPeer = []
            for b in toAuthenticator { serverActions(authenticator.receive(b)) }
            toAuthenticator = []
        }
        return outcome
    }

    @Test func bothSidesAgreeOnHLAK() throws {
        let password = "Sécret😀"
        let outcome = self.run(username: "CORP\\alice", password: password, storedHash: NTHash.fromPassword(password))
        let server = try #require(outcome.server)
        let client = try #require(outcome.client)
        #expect(server.hlak.count == 32)
        #expect(server.hlak == client.hlak)
        #expect(server.username == "CORP\\alice")
        #expect(server.userNameWithoutDomain == "alice")
        #expect(server.keys.masterSendKey == client.keys.masterReceiveKey)
    }

    @Test func wrongPasswordFailsOnBothSides() {
        let outcome = self.run(username: "alice", password: "guess", storedHash: NTHash.fromPassword("right"))
        #expect(outcome.server == nil && outcome.client == nil)
        #expect(outcome.serverFailed)
        guard case .rejected(let failure) = outcome.clientFailure else {
            Issue.record("client did not see a Failure")
            return
        }
        #expect(failure.error == 691 && !failure.retryAllowed)
    }
}
