import NIOCore
import Testing

@testable import PPPProtocol

/// Negotiating which authentication protocol the link uses (RFC 1661 §6.2 Authentication-Protocol; MS-CHAPv2 is
/// CHAP with algorithm 0x81 `C2 23 81`, EAP is `C2 27`).
@Suite("LCP authentication protocol choice")
struct LCPAuthenticationChoiceTests {
    static let eap: [UInt8] = [0xC2, 0x27]
    static let msCHAPv2: [UInt8] = [0xC2, 0x23, 0x81]

    @Test("an authenticator that prefers EAP switches to MS-CHAPv2 when the peer Naks with it and it is allowed")
    func authenticatorSwitchesOnNak() {
        var configuration = LCPConfiguration(role: .authenticator, magicNumber: 0x1122_3344, authenticationProtocol: .eap)
        configuration.alternativeAuthenticationProtocols = [.msCHAPv2]
        var policy = LCPPolicy(configuration: configuration)
        #expect(policy.configureRequestOptions().contains(ConfigurationOption(.authenticationProtocol, data: Self.eap)))
        let progress = policy.receiveConfigureNak(
            [ConfigurationOption(.authenticationProtocol, data: Self.msCHAPv2)], consecutiveNaks: 1)
        #expect(progress == .retry)
        #expect(policy.authentication == .msCHAPv2)
        #expect(policy.configureRequestOptions().contains(ConfigurationOption(.authenticationProtocol, data: Self.msCHAPv2)))
    }

    @Test("without alternatives the authenticator insists, then gives up at Max-Failure")
    func authenticatorInsists() {
        var policy = LCPPolicy(configuration: LCPConfiguration(role: .authenticator, magicNumber: 1, maxAuthenticationNaks: 2))
        let nak = [ConfigurationOption(.authenticationProtocol, data: Self.eap)]
        #expect(policy.receiveConfigureNak(nak, consecutiveNaks: 1) == .retry)
        #expect(policy.authentication == .msCHAPv2)
        #expect(policy.receiveConfigureNak(nak, consecutiveNaks: 2) == .giveUp)
    }

    @Test("a peer that prefers EAP Acks EAP, Acks MS-CHAPv2 only if allowed, and Naks the rest with EAP")
    func peerChoice() {
        var eapOnly = LCPPolicy(configuration: LCPConfiguration(role: .peer, magicNumber: 5, authenticationProtocol: .eap))
        #expect(eapOnly.judgeConfigureRequest([ConfigurationOption(.authenticationProtocol, data: Self.eap)]) == .ack)
        #expect(eapOnly.authentication == .eap)
        var nakking = LCPPolicy(configuration: LCPConfiguration(role: .peer, magicNumber: 5, authenticationProtocol: .eap))
        #expect(
            nakking.judgeConfigureRequest([ConfigurationOption(.authenticationProtocol, data: Self.msCHAPv2)])
                == .nak([ConfigurationOption(.authenticationProtocol, data: Self.eap)]))
        var both = LCPConfiguration(role: .peer, magicNumber: 5, authenticationProtocol: .eap)
        both.alternativeAuthenticationProtocols = [.msCHAPv2]
        var bothPolicy = LCPPolicy(configuration: both)
        #expect(bothPolicy.judgeConfigureRequest([ConfigurationOption(.authenticationProtocol, data: Self.msCHAPv2)]) == .ack)
        #expect(bothPolicy.authentication == .msCHAPv2)
    }
}
