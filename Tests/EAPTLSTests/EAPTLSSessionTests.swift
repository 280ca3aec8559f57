import EAP
import EAPTLS
import TLSEngine
import Testing

/// EAP-TLS through the EAP machines, with every EAP packet serialized to bytes and parsed back, as the PPP glue
/// would carry them in 0xC227 frames.
@Suite("EAP-TLS through EAPAuthenticator and EAPPeer")
struct EAPTLSSessionTests {
    struct Outcome {
        var serverActions: [EAPAuthenticator.Action] = []
        var peerActions: [EAPPeer.Action] = []
        var serverResult: EAPTLSResult?
        var peerResult: EAPTLSResult?
    }

    /// Runs a full authentication; `authorize` plays the composition's certificate policy.
    static func authenticate(
        version: TLSVersion, fragmentSize: Int, authorize: (X509CertificateInfo) -> String?
    ) throws -> Outcome {
        var outcome = Outcome()
        var authenticator = EAPAuthenticator()
        var eapPeer = EAPPeer(identity: "alice", supportedMethods: [.tls])
        let server = try EAPTLSServer(
            context: try Fixtures.serverContext(version: version), maximumFragmentSize: fragmentSize)
        let peer = try EAPTLSPeer(context: try Fixtures.peerContext(), maximumFragmentSize: fragmentSize)

        var toPeer: [[UInt8]] = []
        var toServer: [[UInt8]] = []
        func handleServer(_ actions: [EAPAuthenticator.Action]) {
            var queue = actions
            while !queue.isEmpty {
                let action = queue.removeFirst()
                outcome.serverActions.append(action)
                switch action {
                case .send(let packet): toPeer.append(packet.bytes)
                case .lookUpPolicy: queue += authenticator.policyLookedUp(allowedMethods: [.tls])
                case .startMethod: queue += authenticator.sendMethodRequest(typeData: server.start())
                case .methodResponse(let typeData):
                    switch server.receive(typeData) {
                    case .send(let next): queue += authenticator.sendMethodRequest(typeData: next)
                    case .succeeded(let result):
                        outcome.serverResult = result
                        if let refusal = result.peerCertificate.flatMap(authorize) {
                            queue += authenticator.methodFailed(refusal)
                        } else {
                            queue += authenticator.methodSucceeded()
                        }
                    case .failed(let failure): queue += authenticator.methodFailed(failure.description)
                    }
                default: break
                }
            }
        }
        func handlePeer(_ actions: [EAPPeer.Action]) {
            var queue = actions
            while !queue.isEmpty {
                let action = queue.removeFirst()
                outcome.peerActions.append(action)
                switch action {
                case .send(let packet): toServer.append(packet.bytes)
                case .methodRequest(let type, let typeData):
                    switch peer.receive(typeData) {
                    case .send(let data): queue += eapPeer.sendMethodResponse(type: type, typeData: data)
                    case .sendAndComplete(let data, let result):
                        outcome.peerResult = result
                        eapPeer.methodCompleted()
                        queue += eapPeer.sendMethodResponse(type: type, typeData: data)
                    case .sendAndFail(let data, _): queue += eapPeer.sendMethodResponse(type: type, typeData: data)
                    case .failed: break
                    }
                default: break
                }
            }
        }

        handleServer(authenticator.start(identifier: 0x42))
        for _ in 0..<500 where !(toPeer.isEmpty && toServer.isEmpty) {
            while !toPeer.isEmpty { handlePeer(eapPeer.receive(toPeer.removeFirst())) }
            while !toServer.isEmpty { handleServer(authenticator.receive(toServer.removeFirst())) }
        }
        return outcome
    }

    @Test("EAP-Success and equal keys", arguments: [TLSVersion.tls12, .tls13], [200, 1400])
    func success(version: TLSVersion, fragmentSize: Int) throws {
        let outcome = try Self.authenticate(version: version, fragmentSize: fragmentSize) { _ in nil }
        #expect(outcome.serverActions.contains(.succeeded(identity: "alice", method: .tls)))
        #expect(outcome.peerActions.last == .succeeded)
        let serverKeys = try #require(outcome.serverResult?.keys)
        #expect(serverKeys == outcome.peerResult?.keys)
        #expect(serverKeys.hlak.count == 32)
    }

    @Test("the composition refuses the certificate (e.g. revoked thumbprint) → EAP-Failure with the reason")
    func refusedByPolicy() throws {
        let outcome = try Self.authenticate(version: .tls13, fragmentSize: 1000) { certificate in
            certificate.subjectCommonName == "alice" ? "certificate revoked" : nil
        }
        #expect(outcome.serverActions.contains(.failed(.methodFailed("certificate revoked"))))
        #expect(!outcome.serverActions.contains { if case .succeeded = $0 { true } else { false } })
        #expect(outcome.peerActions.last == .failed)
    }
}
