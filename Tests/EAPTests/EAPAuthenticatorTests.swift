import EAP
import Testing

@Suite("EAP authenticator")
struct EAPAuthenticatorTests {
    /// Runs start → identity → policy and returns the machine with the first method Request sent.
    static func started(allowed: [EAPType] = [.tls]) -> EAPAuthenticator {
        var machine = EAPAuthenticator(retransmitSeconds: 3, maxTransmissions: 2)
        _ = machine.start(identifier: 10)
        _ = machine.receive(.response(identifier: 10, type: .identity, typeData: Array("alice".utf8)))
        _ = machine.policyLookedUp(allowedMethods: allowed)
        _ = machine.sendMethodRequest(typeData: [0x20])
        return machine
    }

    @Test("Identity → policy → EAP-TLS Start → relay → Success with the Response's Identifier")
    func happyPath() {
        var machine = EAPAuthenticator()
        #expect(
            machine.start(identifier: 10) == [
                .send(.request(identifier: 10, type: .identity)), .startTimer(.retransmit, seconds: 3),
            ])
        // A Response with another Identifier is discarded (RFC 3748 §4.1).
        #expect(machine.receive(.response(identifier: 9, type: .identity, typeData: [0x61])) == [])
        #expect(
            machine.receive([0x02, 0x0A, 0x00, 0x0A, 0x01, 0x61, 0x6C, 0x69, 0x63, 0x65]) == [
                .cancelTimer(.retransmit), .lookUpPolicy(identity: "alice"),
            ])
        #expect(machine.policyLookedUp(allowedMethods: [.tls, .msCHAPv2]) == [.startMethod(.tls, identity: "alice")])
        #expect(
            machine.sendMethodRequest(typeData: [0x20]) == [
                .send(.request(identifier: 11, type: .tls, typeData: [0x20])), .startTimer(.retransmit, seconds: 3),
            ])
        #expect(
            machine.receive(.response(identifier: 11, type: .tls, typeData: [0x00, 0x16])) == [
                .cancelTimer(.retransmit), .methodResponse([0x00, 0x16]),
            ])
        #expect(
            machine.sendMethodRequest(typeData: [0x00, 0x17]) == [
                .send(.request(identifier: 12, type: .tls, typeData: [0x00, 0x17])),
                .startTimer(.retransmit, seconds: 3),
            ])
        #expect(
            machine.receive(.response(identifier: 12, type: .tls, typeData: [0x00])) == [
                .cancelTimer(.retransmit), .methodResponse([0x00]),
            ])
        #expect(
            machine.methodSucceeded() == [
                .send(.success(identifier: 12)), .succeeded(identity: "alice", method: .tls),
            ])
        #expect(machine.isAuthenticated)
        #expect(machine.timerFired(.retransmit) == [])
    }

    @Test("a Nak to an allowed method restarts with it")
    func nakAllowed() {
        var machine = Self.started(allowed: [.tls, .msCHAPv2])
        #expect(
            machine.receive(.response(identifier: 11, type: .nak, typeData: [26])) == [
                .cancelTimer(.retransmit), .startMethod(.msCHAPv2, identity: "alice"),
            ])
        #expect(
            machine.sendMethodRequest(typeData: [0x01]) == [
                .send(.request(identifier: 12, type: .msCHAPv2, typeData: [0x01])),
                .startTimer(.retransmit, seconds: 3),
            ])
    }

    @Test("a Nak proposing only methods not allowed ends in Failure")
    func nakNotAllowed() {
        var machine = Self.started(allowed: [.tls])
        #expect(
            machine.receive(.response(identifier: 11, type: .nak, typeData: [26, 4])) == [
                .cancelTimer(.retransmit), .send(.failure(identifier: 11)),
                .failed(.methodRejectedByPeer(proposed: [.msCHAPv2, .md5Challenge])),
            ])
        #expect(!machine.isAuthenticated)
    }

    @Test("no allowed method for the identity ends in Failure")
    func noMethod() {
        var machine = EAPAuthenticator()
        _ = machine.start(identifier: 1)
        _ = machine.receive(.response(identifier: 1, type: .identity, typeData: Array("bob".utf8)))
        #expect(
            machine.policyLookedUp(allowedMethods: []) == [
                .cancelTimer(.retransmit), .send(.failure(identifier: 1)), .failed(.noAllowedMethod),
            ])
    }

    @Test("the method's failure sends Failure with a reason")
    func methodFailure() {
        var machine = Self.started()
        _ = machine.receive(.response(identifier: 11, type: .tls, typeData: [0x00, 0x16]))
        #expect(
            machine.methodFailed("no client certificate") == [
                .cancelTimer(.retransmit), .send(.failure(identifier: 11)),
                .failed(.methodFailed("no client certificate")),
            ])
    }

    @Test("retransmits the outstanding Request, then times out")
    func retransmitTimeout() {
        var machine = Self.started()
        let request = EAPPacket.request(identifier: 11, type: .tls, typeData: [0x20])
        #expect(machine.timerFired(.retransmit) == [.send(request), .startTimer(.retransmit, seconds: 3)])
        #expect(machine.timerFired(.retransmit) == [.failed(.timeout)])
        #expect(machine.receive(.response(identifier: 11, type: .tls, typeData: [0x00])) == [])
    }
}
