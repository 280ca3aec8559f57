import CryptoPrimitives
import NIOCore

/// Client side of MS-CHAPv2 (RFC 2759) for `sstp-dial`, as a pure state machine.
///
/// Answers the Challenge, then verifies the authenticator's response in Success (mutual authentication): a
/// missing or wrong `S=` value is a failure, as RFC 2759 §5 requires. A Failure ends the exchange even with
/// R=1, because a non-interactive client would only resend the same password.
public struct MSCHAPv2Peer: Sendable {
    /// Why the peer gave up.
    public enum FailureReason: Hashable, Sendable {
        /// The authenticator sent Failure; its parsed E=, R=, C=, V=, M= fields.
        case rejected(MSCHAPv2Failure)
        /// Success arrived with an authenticator response that does not prove knowledge of the password.
        case authenticatorResponseMismatch
    }

    /// What the adapter must do, in order.
    public enum Action: Hashable, Sendable {
        /// Send this packet in a PPP frame with protocol 0xC223.
        case send(MSCHAPv2Packet)
        /// Mutual authentication succeeded; `hlak` in the result is the client HLAK.
        case succeeded(AuthenticationResult)
        case failed(FailureReason)
    }

    private enum State: Sendable {
        case awaitingChallenge
        case responseSent(authenticatorChallenge: [UInt8], response: MSCHAPv2Response)
        case succeeded
        case failed
    }

    private let username: [UInt8]
    private let passwordHash: [UInt8]
    private let peerChallenge: [UInt8]
    private var state: State = .awaitingChallenge

    /// - Parameters:
    ///   - username: sent as is in the Response's Name (a `DOMAIN\` prefix is allowed).
    ///   - password: hashed at once (NtPasswordHash); the clear text is not kept.
    ///   - peerChallenge: 16 fresh random octets (RFC 2759 §4 Peer-Challenge).
    public init(username: String, password: String, peerChallenge: [UInt8]) {
        precondition(peerChallenge.count == 16, "Peer-Challenge is 16 octets")
        self.username = Array(username.utf8)
        self.passwordHash = NTHash.fromPassword(password)
        self.peerChallenge = peerChallenge
    }

    /// Parses and handles a received CHAP packet; malformed packets are discarded, except that an unparsable
    /// Success (no valid `S=`) is treated as a failed mutual authentication once a Response is outstanding.
    public mutating func receive(_ buffer: ByteBuffer) -> [Action] {
        var copy = buffer
        do {
            return self.receive(try copy.readMSCHAPv2Packet())
        } catch {
            guard error.code == .malformedSuccessMessage, case .responseSent(_, let response) = self.state,
                buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == response.identifier
            else { return [] }
            self.state = .failed
            return [.failed(.authenticatorResponseMismatch)]
        }
    }

    /// Handles a received CHAP packet.
    public mutating func receive(_ packet: MSCHAPv2Packet) -> [Action] {
        switch (self.state, packet) {
        case (.awaitingChallenge, .challenge(let challenge)), (.responseSent, .challenge(let challenge)):
            // A retransmitted or new Challenge gets a Response computed for it (RFC 1994 §4.1).
            let ntResponse = MSCHAPv2Crypto.generateNTResponse(
                authenticatorChallenge: challenge.challenge,
                peerChallenge: self.peerChallenge,
                userName: self.username,
                passwordHash: self.passwordHash
            )
            let response = MSCHAPv2Response(
                identifier: challenge.identifier,
                peerChallenge: self.peerChallenge,
                ntResponse: ntResponse,
                flags: 0,
                name: self.username
            )
            self.state = .responseSent(authenticatorChallenge: challenge.challenge, response: response)
            return [.send(.response(response))]

        case (.responseSent(let authenticatorChallenge, let response), .success(let success)):
            guard success.identifier == response.identifier else { return [] }
            let verified = MSCHAPv2Crypto.checkAuthenticatorResponse(
                passwordHash: self.passwordHash,
                ntResponse: response.ntResponse,
                peerChallenge: self.peerChallenge,
                authenticatorChallenge: authenticatorChallenge,
                userName: self.username,
                receivedResponse: success.authenticatorResponse
            )
            guard verified else {
                // > If the authenticator response is either missing or incorrect, the peer MUST end the session.
                self.state = .failed
                return [.failed(.authenticatorResponseMismatch)]
            }
            self.state = .succeeded
            let name = String(decoding: self.username, as: UTF8.self)
            return [
                .succeeded(
                    AuthenticationResult(
                        username: name,
                        userNameWithoutDomain: String(
                            decoding: MSCHAPv2Crypto.userNameWithoutDomain(self.username),
                            as: UTF8.self
                        ),
                        keys: MPPEKeys(
                            passwordHash: self.passwordHash,
                            ntResponse: response.ntResponse,
                            isServer: false
                        )
                    )
                )
            ]

        case (.responseSent(_, let response), .failure(let failure)):
            guard failure.identifier == response.identifier else { return [] }
            self.state = .failed
            return [.failed(.rejected(failure))]

        case (.awaitingChallenge, _), (.responseSent, .response), (.succeeded, _), (.failed, _):
            return []
        }
    }
}
