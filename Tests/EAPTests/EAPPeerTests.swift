import EAP
import Testing

@Suite("EAP peer")
struct EAPPeerTests {
    @Test("answers Identity, relays EAP-TLS, accepts Success only after the method completed")
    func happyPath() {
        var peer = EAPPeer(identity: "alice", supportedMethods: [.tls])
        let identity = EAPPacket.response(identifier: 1, type: .identity, typeData: Array("alice".utf8))
        #expect(peer.receive([0x01, 0x01, 0x00, 0x05, 0x01]) == [.send(identity)])
        // A retransmitted Request gets the same Response (RFC 3748 §4.1).
        #expect(peer.receive(.request(identifier: 1, type: .identity)) == [.send(identity)])
        #expect(
            peer.receive(.request(identifier: 2, type: .tls, typeData: [0x20])) == [
                .methodRequest(type: .tls, typeData: [0x20])
            ])
        #expect(
            peer.sendMethodResponse(type: .tls, typeData: [0x00, 0x16]) == [
                .send(.response(identifier: 2, type: .tls, typeData: [0x00, 0x16]))
            ])
        peer.methodCompleted()
        #expect(peer.receive(.success(identifier: 2)) == [.succeeded])
        #expect(peer.receive(.failure(identifier: 2)) == [])
    }

    @Test("Naks a method it does not run with its own list")
    func nak() {
        var peer = EAPPeer(identity: "alice", supportedMethods: [.tls, .msCHAPv2])
        #expect(
            peer.receive(.request(identifier: 5, type: .md5Challenge, typeData: [1, 2])) == [
                .send(.response(identifier: 5, type: .nak, typeData: [13, 26]))
            ])
    }

    @Test("Success before the method completed is treated as failure; Failure fails")
    func prematureSuccess() {
        var peer = EAPPeer(identity: "alice", supportedMethods: [.tls])
        #expect(peer.receive(.success(identifier: 1)) == [.failed])
        var other = EAPPeer(identity: "alice", supportedMethods: [.tls])
        #expect(other.receive(.failure(identifier: 1)) == [.failed])
    }
}
