import NIOCore
import SSTPProtocol
import Testing

/// The opt-in second HLAK for sstp-client + pppd 2.4.x EAP-TLS (HLAK = MSK[0..<16] ‖ MSK[32..<48]).
@Suite("crypto binding with a legacy HLAK")
struct SSTPLegacyBindingTests {
    /// A 64-byte MSK whose halves differ, so the two HLAKs differ in bytes 16..<32.
    static let msk: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
    static let hlak = Array(msk[0..<32])
    static let legacy = Array(msk[0..<16]) + Array(msk[32..<48])

    static func connected(_ actions: [SSTPAction]) -> Bool {
        actions.contains { if case .callConnected = $0 { true } else { false } }
    }

    static func aborted(_ actions: [SSTPAction]) -> Bool {
        actions.contains { if case .send(let message) = $0 { message.messageType == .callAbort } else { false } }
    }

    @Test("a binding keyed with the legacy HLAK aborts by default, with the reason available")
    func refusedByDefault() {
        var server = ServerFixture.callConnectedPending()
        _ = server.innerAuthenticationCompleted(hlak: Self.hlak)
        let actions = server.receive(.callConnected(Fixture.binding(hlak: Self.legacy)))
        #expect(Self.aborted(actions))
        #expect(!Self.connected(actions))
        #expect(server.abortReason == .cryptoBindingMismatch(.compoundMACMismatch))
        #expect(!server.verifiedWithLegacyHLAK)
    }

    @Test("with the legacy HLAK allowed, the same binding connects and says so; the spec HLAK still wins first")
    func acceptedWhenAllowed() {
        var legacyServer = ServerFixture.callConnectedPending()
        _ = legacyServer.innerAuthenticationCompleted(hlak: Self.hlak, legacyHLAK: Self.legacy)
        #expect(Self.connected(legacyServer.receive(.callConnected(Fixture.binding(hlak: Self.legacy)))))
        #expect(legacyServer.verifiedWithLegacyHLAK)
        #expect(legacyServer.abortReason == nil)

        // A held (early) Call Connected is verified the same way when authentication completes.
        var early = ServerFixture.callConnectedPending()
        _ = early.receive(.callConnected(Fixture.binding(hlak: Self.legacy)))
        #expect(Self.connected(early.innerAuthenticationCompleted(hlak: Self.hlak, legacyHLAK: Self.legacy)))
        #expect(early.verifiedWithLegacyHLAK)

        var specServer = ServerFixture.callConnectedPending()
        _ = specServer.innerAuthenticationCompleted(hlak: Self.hlak, legacyHLAK: Self.legacy)
        #expect(Self.connected(specServer.receive(.callConnected(Fixture.binding(hlak: Self.hlak)))))
        #expect(!specServer.verifiedWithLegacyHLAK)
    }

    @Test("the legacy HLAK only relaxes the key: a wrong nonce or certificate hash still aborts")
    func otherChecksStay() {
        var server = ServerFixture.callConnectedPending()
        _ = server.innerAuthenticationCompleted(hlak: Self.hlak, legacyHLAK: Self.legacy)
        let wrongNonce = Fixture.binding(nonce: [UInt8](repeating: 9, count: 32), hlak: Self.legacy)
        #expect(Self.aborted(server.receive(.callConnected(wrongNonce))))
        #expect(server.abortReason == .cryptoBindingMismatch(.nonceMismatch))

        var other = ServerFixture.callConnectedPending()
        _ = other.innerAuthenticationCompleted(hlak: Self.hlak, legacyHLAK: Self.legacy)
        let unrelated = Fixture.binding(hlak: [UInt8](repeating: 0x42, count: 32))
        #expect(Self.aborted(other.receive(.callConnected(unrelated))))
        #expect(other.abortReason == .cryptoBindingMismatch(.compoundMACMismatch))
    }
}
