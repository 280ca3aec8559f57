/// The protocol-specific half of a control protocol (LCP, IPCP, IPV6CP): which options we request and how we
/// judge the peer's. The ``OptionNegotiationAutomaton`` owns everything RFC 1661 §4 says about states,
/// identifiers, counters and timers.
///
/// Conforming types are value types holding their configuration (inputs such as magic numbers and addresses)
/// and what has been negotiated so far.
public protocol OptionNegotiationPolicy: Sendable {
    /// `true` for LCP only: codes 8–13 (Protocol-Reject, Echo, Discard, Identification, Time-Remaining) are
    /// link maintenance packets (RFC 1661 §5.7–5.9, RFC 1570); for NCPs they are unknown codes (RUC).
    static var isLinkControlProtocol: Bool { get }

    /// The options of our next Configure-Request.
    func configureRequestOptions() -> [ConfigurationOption]

    /// Judges the peer's Configure-Request. Record what is agreed only when returning `.ack`.
    mutating func judgeConfigureRequest(_ options: [ConfigurationOption]) -> ConfigureRequestVerdict

    /// Our Configure-Request (these exact options) was acknowledged.
    mutating func receiveConfigureAck(_ options: [ConfigurationOption])

    /// Our Configure-Request was Nak'd with these suggestions; `consecutiveNaks` counts Naks received since
    /// the last Ack (1 for the first).
    mutating func receiveConfigureNak(_ options: [ConfigurationOption], consecutiveNaks: Int) -> NegotiationProgress

    /// Our Configure-Request was rejected in part: stop sending these options.
    mutating func receiveConfigureReject(_ options: [ConfigurationOption]) -> NegotiationProgress
}

/// How we answer a peer's Configure-Request (RFC 1661 §5.2–5.4).
public enum ConfigureRequestVerdict: Hashable, Sendable {
    /// Every option is acceptable: send Configure-Ack repeating the request.
    case ack
    /// Every option is recognizable but some values are not acceptable: send Configure-Nak with these
    /// suggestions (RFC 1661 §5.3).
    case nak([ConfigurationOption])
    /// Some options are not recognizable or not acceptable for negotiation: send Configure-Reject with exactly
    /// these received options (RFC 1661 §5.4).
    case reject([ConfigurationOption])
}

/// What a policy decides after a Configure-Nak or Configure-Reject of our request.
public enum NegotiationProgress: Hashable, Sendable {
    /// Send a new Configure-Request (RFC 1661 §4.1 "scr").
    case retry
    /// The options cannot converge (the peer refuses something we require): close the layer.
    case giveUp
}

/// Why a layer finished (or will finish); reported by ``PPPAction/linkDown(_:)``.
public enum PPPTerminationReason: Hashable, Sendable {
    /// ``PPPSession/close(reason:)`` or an administrative Close.
    case administrative
    /// The composition reported that authentication failed.
    case authenticationFailed
    /// The peer sent Terminate-Request.
    case peerTerminated
    /// No answer to Configure-Request after Max-Configure transmissions (RFC 1661 §4.6).
    case negotiationTimeout
    /// The peer Nak'd or rejected something we require (for example the Authentication-Protocol).
    case negotiationFailed
    /// The peer sent a catastrophic Code-Reject or Protocol-Reject (RXJ−).
    case rejectedByPeer
    /// The lower layer (SSTP) went down.
    case lowerLayerDown
    /// No network control protocol could be opened.
    case noNetworkProtocol
}
