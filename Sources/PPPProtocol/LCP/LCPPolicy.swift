/// Which end of the authentication a PPP endpoint is (RFC 1661 §3.5): the gateway authenticates its clients;
/// `sstp-dial` is authenticated.
public enum PPPRole: Hashable, Sendable {
    case authenticator
    case peer
}

/// Inputs for LCP negotiation.
public struct LCPConfiguration: Hashable, Sendable {
    /// RFC 1661 §6.1: "The default value is 1500 octets"; the MRU in effect when none was negotiated.
    public static let defaultMRU: UInt16 = 1500
    /// The smallest peer MRU we accept (pppd's MINMRU); smaller requests are Nak'd up to it.
    public static let minimumMRU: UInt16 = 128
    /// The largest MRU SSTP can carry (MS-WINERRATA to MS-SSTP §3.1.5.2: Windows uses 4091).
    public static let maximumMRU: UInt16 = 4091

    public var role: PPPRole
    /// Our Magic-Number (RFC 1661 §6.4): an input, since the core has no randomness. Zero means "do not
    /// request one".
    public var magicNumber: UInt32
    /// The MRU we request, or `nil` to leave the option out (the peer then assumes 1500).
    public var maximumReceiveUnit: UInt16?
    /// Authenticator: the protocol we request first. Peer: the protocol we prefer (others are Nak'd with it).
    public var authenticationProtocol: PPPAuthenticationProtocol
    /// Further protocols that are acceptable. Authenticator: when the peer Naks our request with one of these, we
    /// switch to it (RFC 1661 §6.2: a Nak may suggest another Authentication-Protocol). Peer: also Acked when asked.
    public var alternativeAuthenticationProtocols: [PPPAuthenticationProtocol] = []
    /// Whether to Ack the peer's Protocol-Field-Compression (we always send the full form regardless).
    public var acceptsProtocolFieldCompression: Bool
    /// Whether to Ack the peer's Address-and-Control-Field-Compression.
    public var acceptsAddressAndControlFieldCompression: Bool
    /// How many Naks of our Authentication-Protocol we sit out before giving up (RFC 1661 Max-Failure).
    public var maxAuthenticationNaks: Int

    public init(
        role: PPPRole,
        magicNumber: UInt32,
        maximumReceiveUnit: UInt16? = nil,
        authenticationProtocol: PPPAuthenticationProtocol = .msCHAPv2,
        acceptsProtocolFieldCompression: Bool = true,
        acceptsAddressAndControlFieldCompression: Bool = true,
        maxAuthenticationNaks: Int = 5
    ) {
        self.role = role
        self.magicNumber = magicNumber
        self.maximumReceiveUnit = maximumReceiveUnit
        self.authenticationProtocol = authenticationProtocol
        self.acceptsProtocolFieldCompression = acceptsProtocolFieldCompression
        self.acceptsAddressAndControlFieldCompression = acceptsAddressAndControlFieldCompression
        self.maxAuthenticationNaks = maxAuthenticationNaks
    }

    /// The gateway's usual configuration: MRU 1500 (safe on a 1500-byte path), MS-CHAPv2 required.
    public static func authenticator(
        magicNumber: UInt32,
        maximumReceiveUnit: UInt16 = LCPConfiguration.defaultMRU
    ) -> LCPConfiguration {
        LCPConfiguration(role: .authenticator, magicNumber: magicNumber, maximumReceiveUnit: maximumReceiveUnit)
    }

    /// `sstp-dial`'s usual configuration: Magic-Number only, MS-CHAPv2 accepted.
    public static func peer(magicNumber: UInt32, maximumReceiveUnit: UInt16? = nil) -> LCPConfiguration {
        LCPConfiguration(role: .peer, magicNumber: magicNumber, maximumReceiveUnit: maximumReceiveUnit)
    }
}

/// LCP's option policy (RFC 1661 §6) for both roles.
///
/// Authenticator: requests MRU (if configured), Authentication-Protocol and Magic-Number; Acks MRU in range,
/// ACCM (meaningless on SSTP's synchronous link), Magic-Number (Nak on loopback), PFC/ACFC by configuration;
/// Rejects the peer's Authentication-Protocol (we do not authenticate ourselves), Quality-Protocol, Callback
/// (Windows sends `0D 03 06`), MRRU, Endpoint-Discriminator and unknown options.
///
/// Peer: requests Magic-Number (and MRU if configured); Acks the configured Authentication-Protocol and Naks
/// any other with it.
public struct LCPPolicy: OptionNegotiationPolicy {
    public static let isLinkControlProtocol = true

    public let configuration: LCPConfiguration
    /// The Magic-Number we currently request, `nil` once rejected.
    public private(set) var magicNumber: UInt32?
    /// The MRU we currently request, `nil` when not requested or rejected.
    public private(set) var maximumReceiveUnit: UInt16?
    private var requestsAuthentication: Bool

    /// The peer's MRU from its last acked request: the largest Information field we may send it.
    public private(set) var peerMRU: UInt16 = LCPConfiguration.defaultMRU
    /// The peer's Magic-Number from its last acked request.
    public private(set) var peerMagicNumber: UInt32?
    /// The authentication the link uses once LCP is Opened.
    public private(set) var authentication: PPPAuthenticationProtocol = .none
    /// Whether we acked the peer's PFC / ACFC (it may send compressed headers; we never do).
    public private(set) var peerUsesProtocolFieldCompression = false
    public private(set) var peerUsesAddressAndControlFieldCompression = false

    public init(configuration: LCPConfiguration) {
        self.configuration = configuration
        self.magicNumber = configuration.magicNumber == 0 ? nil : configuration.magicNumber
        self.maximumReceiveUnit = configuration.maximumReceiveUnit.map {
            min(max($0, LCPConfiguration.minimumMRU), LCPConfiguration.maximumMRU)
        }
        self.requestsAuthentication = configuration.role == .authenticator && configuration.authenticationProtocol != .none
        if configuration.role == .authenticator { self.authentication = configuration.authenticationProtocol }
    }

    /// The configured protocol first, then the alternatives.
    var acceptedAuthenticationProtocols: [PPPAuthenticationProtocol] {
        [self.configuration.authenticationProtocol] + self.configuration.alternativeAuthenticationProtocols
    }

    public func configureRequestOptions() -> [ConfigurationOption] {
        var options: [ConfigurationOption] = []
        if let mru = self.maximumReceiveUnit { options.append(.maximumReceiveUnit(mru)) }
        if self.requestsAuthentication, let auth = ConfigurationOption.authenticationProtocol(self.authentication) {
            options.append(auth)
        }
        if let magic = self.magicNumber { options.append(.magicNumber(magic)) }
        return options
    }

    public mutating func judgeConfigureRequest(_ options: [ConfigurationOption]) -> ConfigureRequestVerdict {
        var naks: [ConfigurationOption] = []
        var rejects: [ConfigurationOption] = []
        var mru = LCPConfiguration.defaultMRU
        var magic: UInt32?
        var authentication = PPPAuthenticationProtocol.none
        var pfc = false
        var acfc = false
        for option in options {
            switch LCPOptionType(rawValue: option.type) {
            case .maximumReceiveUnit:
                guard let value = option.integer(as: UInt16.self) else {
                    rejects.append(option)
                    continue
                }
                if value < LCPConfiguration.minimumMRU {
                    naks.append(.maximumReceiveUnit(LCPConfiguration.minimumMRU))
                } else if value > LCPConfiguration.maximumMRU {
                    naks.append(.maximumReceiveUnit(LCPConfiguration.maximumMRU))
                } else {
                    mru = value
                }
            case .asyncControlCharacterMap:
                // RFC 1662 §7.1 ACCM only matters on asynchronous links; SSTP carries no byte stuffing.
                if option.data.count != 4 { rejects.append(option) }
            case .authenticationProtocol:
                switch self.configuration.role {
                case .authenticator:
                    rejects.append(option)
                case .peer:
                    if let accepted = self.acceptedAuthenticationProtocols.first(where: { $0.optionData == option.data }),
                        accepted != .none
                    {
                        authentication = accepted
                    } else if let wanted = ConfigurationOption.authenticationProtocol(self.configuration.authenticationProtocol) {
                        naks.append(wanted)
                    } else {
                        rejects.append(option)
                    }
                }
            case .magicNumber:
                guard let value = option.integer(as: UInt32.self) else {
                    rejects.append(option)
                    continue
                }
                // RFC 1661 §6.4: a Magic-Number equal to ours suggests a looped-back link; zero is invalid.
                if value == 0 || value == self.magicNumber {
                    naks.append(.magicNumber(Self.alternative(to: self.magicNumber ?? value)))
                } else {
                    magic = value
                }
            case .protocolFieldCompression:
                if option.data.isEmpty && self.configuration.acceptsProtocolFieldCompression {
                    pfc = true
                } else {
                    rejects.append(option)
                }
            case .addressAndControlFieldCompression:
                if option.data.isEmpty && self.configuration.acceptsAddressAndControlFieldCompression {
                    acfc = true
                } else {
                    rejects.append(option)
                }
            default:
                // Quality-Protocol, Callback, MRRU, Endpoint-Discriminator and anything unknown.
                rejects.append(option)
            }
        }
        if !rejects.isEmpty { return .reject(rejects) }
        if !naks.isEmpty { return .nak(naks) }
        self.peerMRU = mru
        self.peerMagicNumber = magic
        self.peerUsesProtocolFieldCompression = pfc
        self.peerUsesAddressAndControlFieldCompression = acfc
        if self.configuration.role == .peer { self.authentication = authentication }
        return .ack
    }

    public mutating func receiveConfigureAck(_ options: [ConfigurationOption]) {}

    public mutating func receiveConfigureNak(
        _ options: [ConfigurationOption],
        consecutiveNaks: Int
    ) -> NegotiationProgress {
        for option in options {
            switch LCPOptionType(rawValue: option.type) {
            case .maximumReceiveUnit where self.maximumReceiveUnit != nil:
                if let value = option.integer(as: UInt16.self),
                    (LCPConfiguration.minimumMRU...LCPConfiguration.maximumMRU).contains(value)
                {
                    self.maximumReceiveUnit = value
                }
            case .magicNumber where self.magicNumber != nil:
                // RFC 1661 §6.4: on a Nak "a different Magic-Number MUST be chosen".
                self.magicNumber = Self.alternative(to: self.magicNumber!)
            case .authenticationProtocol where self.requestsAuthentication:
                // The peer suggests another method: take it if we allow it; otherwise keep insisting, up to
                // Max-Failure.
                if let suggested = self.acceptedAuthenticationProtocols.first(where: { $0.optionData == option.data }),
                    suggested != self.authentication, suggested != .none
                {
                    self.authentication = suggested
                } else if consecutiveNaks >= self.configuration.maxAuthenticationNaks {
                    return .giveUp
                }
            default:
                break  // hints for options we did not request are ignored
            }
        }
        return .retry
    }

    public mutating func receiveConfigureReject(_ options: [ConfigurationOption]) -> NegotiationProgress {
        for option in options {
            switch LCPOptionType(rawValue: option.type) {
            case .maximumReceiveUnit: self.maximumReceiveUnit = nil
            case .magicNumber: self.magicNumber = nil
            case .authenticationProtocol where self.requestsAuthentication:
                return .giveUp  // RFC 1661 §3.5: the authenticator cannot proceed without authentication.
            default: break
            }
        }
        return .retry
    }

    /// A different, non-zero Magic-Number derived from `value` (a linear congruential step: the core has no
    /// randomness, and over TLS a looped-back link cannot happen anyway).
    static func alternative(to value: UInt32) -> UInt32 {
        let next = value &* 1_664_525 &+ 1_013_904_223
        return next == 0 || next == value ? 0x5A5A_5A5A : next
    }
}
