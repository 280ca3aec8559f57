public import NIOCore

/// The restart timers a ``PPPSession`` runs, one per control protocol (RFC 1661 §4.6).
public enum PPPTimer: Hashable, Sendable {
    case lcp
    case ipcp
    case ipv6cp
}

/// The link phases of RFC 1661 §3.
public enum PPPPhase: Hashable, Sendable {
    /// Link Dead (§3.2): the lower layer is not up.
    case dead
    /// Link Establishment (§3.3): LCP is negotiating.
    case establish
    /// Authentication (§3.4): LCP is Opened, the composition runs the auth protocol.
    case authenticate
    /// Network-Layer Protocol (§3.5): IPCP / IPV6CP negotiate and carry datagrams.
    case network
    /// Link Termination (§3.6): LCP is closing.
    case terminate
}

/// Inputs for a ``PPPSession``.
public struct PPPSessionConfiguration: Hashable, Sendable {
    /// LCP options, including the role and our Magic-Number.
    public var lcp: LCPConfiguration
    /// Counters and timer shared by LCP, IPCP and IPV6CP.
    public var automaton: AutomatonConfiguration

    public init(lcp: LCPConfiguration, automaton: AutomatonConfiguration = .default) {
        self.lcp = lcp
        self.automaton = automaton
    }

    public var role: PPPRole { self.lcp.role }
}

/// What a ``PPPSession`` asks the composition to do, in order.
public enum PPPAction: Hashable, Sendable {
    /// Send this PPP frame (`FF 03` + protocol + payload) in an SSTP data packet.
    case sendFrame(ByteBuffer)
    /// (Re)start a restart timer; on expiry call ``PPPSession/timerFired(_:)``.
    case startTimer(PPPTimer, seconds: Int)
    case cancelTimer(PPPTimer)
    /// LCP is Opened: run this authentication protocol (`.none` when the peer role was not asked for any),
    /// then call ``PPPSession/authenticationSucceeded(ipcp:ipv6cp:)`` or ``PPPSession/authenticationFailed()``.
    case authenticationStarting(PPPAuthenticationProtocol)
    /// A packet of the negotiated authentication protocol (the Information field: CHAP or EAP
    /// Code/Identifier/Length/Data), for the authentication machine.
    case authenticationPacket(ByteBuffer)
    /// IPCP is Opened.
    case networkLayerUp(IPCPResult)
    /// IPCP left Opened (renegotiation or termination).
    case networkLayerDown
    /// IPV6CP is Opened.
    case ipv6Up(IPV6CPResult)
    /// IPV6CP left Opened.
    case ipv6Down
    /// An IPv4 (`.ipv4`) or IPv6 (`.ipv6`) datagram for the TUN device (payload slice of the frame).
    case deliverDatagram(PPPProtocolNumber, ByteBuffer)
    /// The peer answered our Echo-Request (RFC 1661 §5.8); `data` is the Data field after the Magic-Number.
    case echoReplyReceived(identifier: UInt8, data: ByteBuffer)
    /// LCP finished (or the lower layer went down): tear the SSTP connection down. Reported once.
    case linkDown(PPPTerminationReason)
}
