// Harnesses for the PPPProtocol core. Tests/PPPProtocolTests/PPPProtocolHarnesses.swift is a symbolic link to this
// file: the replay tests (FuzzRegressionTests.swift there) run these same functions.
import NIOCore
import PPPProtocol

// MARK: - ppp-frame

/// `ppp-frame`: one PPP frame as an SSTP data packet carries it (at most 4091 bytes), through the frame header
/// decoder, the control packet and option list codecs, and every LCP, IPCP and IPV6CP option policy in the roles
/// and configurations the gateway and `sstp-dial` use.
///
/// Invariants: `classify` and `decode` agree; an encoded frame classifies back to the same protocol and payload; a
/// control packet and its option list re-encode to the same bytes; a Configure-Reject repeats received options
/// unchanged and in order (RFC 1661 §5.4); Nak and Reject lists are non-empty; a request amended with our Nak's
/// suggestions is acknowledged (RFC 1661 §5.3: the Nak carries acceptable values); an acknowledged LCP request leaves
/// a peer MRU within the limits we use to size our packets; the authenticator's IPCP always ends with the assigned
/// peer address; the options we request next always encode.
public enum PPPFrameHarness {
    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        let frame = ByteBuffer(bytes: input.prefix(PPPFrame.maximumFrameSize))
        let classified = PPPFrame.classify(frame)
        var decoded: PPPFrame.Classified?
        do { decoded = try PPPFrame.decode(frame) } catch {}
        try fuzzRequire(classified == decoded, "classify and decode disagree")
        guard let classified else { return }
        try fuzzRequire(classified.protocolNumber.isValid, "accepted invalid protocol \(classified.protocolNumber)")
        let encoded = PPPFrame.encode(protocol: classified.protocolNumber, payload: classified.payload)
        try fuzzRequire(PPPFrame.classify(encoded) == classified, "frame did not round-trip")

        var payload = classified.payload
        guard [.lcp, .ipcp, .ipv6cp].contains(classified.protocolNumber),
            let packet = try? payload.readControlPacket()
        else { return }
        try fuzzRequire(payload.readableBytes == 0, "padding left after the control packet")
        var written = ByteBuffer()
        written.writeControlPacket(packet)
        try fuzzRequire((try? written.readControlPacket()) == packet, "control packet did not round-trip")

        guard let options = try? packet.options() else { return }
        try fuzzRequire(options.reduce(0) { $0 + $1.length } == packet.data.readableBytes, "option lengths")
        let rebuilt = ControlPacket(code: packet.code, identifier: packet.identifier, options: options)
        try fuzzRequire(rebuilt.data == packet.data, "option list did not round-trip")

        let consecutiveNaks = Int(packet.identifier % 8)
        switch classified.protocolNumber {
        case .lcp:
            for configuration in lcpConfigurations {
                try judge(options) {
                    LCPPolicy(configuration: configuration)
                } check: { (policy) throws(FuzzInvariantViolation) in
                    try fuzzRequire(
                        (LCPConfiguration.minimumMRU...LCPConfiguration.maximumMRU).contains(policy.peerMRU),
                        "acked a peer MRU of \(policy.peerMRU)"
                    )
                }
                try exercise(LCPPolicy(configuration: configuration), options, consecutiveNaks: consecutiveNaks)
            }
        case .ipcp:
            for (role, parameters) in ipcpConfigurations {
                try judge(options) {
                    IPCPPolicy(role: role, parameters: parameters)
                } check: { (policy) throws(FuzzInvariantViolation) in
                    if role == .authenticator, let assigned = parameters.peerAddress {
                        try fuzzRequire(policy.result.peerAddress == assigned, "IPCP acked another peer address")
                    }
                }
                try exercise(IPCPPolicy(role: role, parameters: parameters), options, consecutiveNaks: consecutiveNaks)
            }
        default:
            let parameters = IPV6CPParameters(
                localInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0211_22FF_FE33_4455),
                suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0266_77FF_FE88_99AA)
            )
            try judge(options) {
                IPV6CPPolicy(parameters: parameters)
            } check: { (policy) throws(FuzzInvariantViolation) in
                try fuzzRequire(policy.result.peerInterfaceIdentifier != .zero, "IPV6CP acked a zero identifier")
            }
            try exercise(IPV6CPPolicy(parameters: parameters), options, consecutiveNaks: consecutiveNaks)
        }
    }

    static let lcpConfigurations: [LCPConfiguration] = {
        var eapFirst = LCPConfiguration(
            role: .authenticator, magicNumber: 0x1234_5678, maximumReceiveUnit: 4091, authenticationProtocol: .eap)
        eapFirst.alternativeAuthenticationProtocols = [.msCHAPv2]
        var peerEAP = LCPConfiguration.peer(magicNumber: 0x0BAD_F00D)
        peerEAP.authenticationProtocol = .eap
        peerEAP.alternativeAuthenticationProtocols = [.msCHAPv2]
        return [
            .authenticator(magicNumber: 0x1234_5678), eapFirst, .peer(magicNumber: 0x0BAD_F00D), peerEAP,
            LCPConfiguration(
                role: .authenticator, magicNumber: 1, maximumReceiveUnit: 100, acceptsProtocolFieldCompression: false,
                acceptsAddressAndControlFieldCompression: false),
        ]
    }()

    static let ipcpConfigurations: [(PPPRole, IPCPParameters)] = [
        (
            .authenticator,
            IPCPParameters(
                localAddress: IPCPAddress(172, 16, 0, 1), peerAddress: IPCPAddress(172, 16, 0, 2),
                primaryDNS: IPCPAddress(10, 1, 0, 4), secondaryDNS: IPCPAddress(10, 1, 0, 5))
        ),
        (
            .authenticator,
            IPCPParameters(localAddress: IPCPAddress(172, 16, 0, 1), peerAddress: IPCPAddress(172, 16, 0, 9))
        ),
        (.peer, .peer()),
    ]

    /// Judges `options` with a fresh policy and checks the verdict.
    static func judge<Policy: OptionNegotiationPolicy>(
        _ options: [ConfigurationOption],
        _ makePolicy: () -> Policy,
        check: (Policy) throws(FuzzInvariantViolation) -> Void
    ) throws(FuzzInvariantViolation) {
        var policy = makePolicy()
        switch policy.judgeConfigureRequest(options) {
        case .ack:
            try check(policy)
        case .reject(let rejected):
            try fuzzRequire(!rejected.isEmpty, "empty Configure-Reject")
            try fuzzRequire(isSubsequence(rejected, of: options), "Configure-Reject does not repeat received options")
        case .nak(let suggestions):
            try fuzzRequire(!suggestions.isEmpty, "empty Configure-Nak")
            try fuzzRequire(suggestions.allSatisfy { $0.length <= 255 }, "Nak suggestion too long to encode")
            // RFC 1661 §5.3: a peer that takes our suggestions must be acknowledged. Only meaningful when every
            // suggestion answers an option of the request, each type once.
            let types = options.map(\.type)
            guard Set(types).count == types.count, suggestions.allSatisfy({ types.contains($0.type) }),
                Set(suggestions.map(\.type)).count == suggestions.count
            else { return }
            let amended = options.map { option in suggestions.first { $0.type == option.type } ?? option }
            var fresh = makePolicy()
            let again = fresh.judgeConfigureRequest(amended)
            try fuzzRequire(again == .ack, "a request amended with our Nak is answered with \(again)")
        }
    }

    /// Feeds `options` to a policy as a peer's Nak, Reject and Ack of our request; our next request must encode.
    static func exercise<Policy: OptionNegotiationPolicy>(
        _ policy: Policy,
        _ options: [ConfigurationOption],
        consecutiveNaks: Int
    ) throws(FuzzInvariantViolation) {
        var policy = policy
        _ = policy.receiveConfigureNak(options, consecutiveNaks: consecutiveNaks)
        try checkRequest(policy.configureRequestOptions())
        _ = policy.receiveConfigureReject(options)
        try checkRequest(policy.configureRequestOptions())
        policy.receiveConfigureAck(options)
        try checkRequest(policy.configureRequestOptions())
    }

    static func checkRequest(_ options: [ConfigurationOption]) throws(FuzzInvariantViolation) {
        let packet = ControlPacket(code: .configureRequest, identifier: 1, options: options)
        try fuzzRequire(options.allSatisfy { $0.length <= 255 }, "our request has an option too long to encode")
        try fuzzRequire((try? packet.options()) == options, "our request does not parse back")
    }

    static func isSubsequence(_ part: [ConfigurationOption], of whole: [ConfigurationOption]) -> Bool {
        var index = whole.startIndex
        for option in part {
            guard let found = whole[index...].firstIndex(of: option) else { return false }
            index = found + 1
        }
        return true
    }
}

// MARK: - ppp-session

/// `ppp-session`: a whole PPP link (`PPPSession`) as the gateway (authenticator) or `sstp-dial` (peer) runs it,
/// driven by a program read from the input:
///
/// - byte 0: bit 0 the peer role; bits 1–2 the MRU we request (1500, 4091, none, 128); bit 3 IPV6CP;
///   bit 4 EAP first with MS-CHAPv2 as alternative.
/// - then operations (op byte, low 3 bits): 0–2 a frame from the far end (16-bit length, then bytes); 3 a large
///   frame (16-bit length, filler byte, 8-bit prefix length, prefix); 4 a restart timer; 5 authentication
///   succeeded (as the handler does after MS-CHAPv2 or EAP, only in the Authenticate phase) or failed; 6 an Echo-
///   Request or an administrative close; 7 the lower layer going down.
///
/// Invariants: every frame the session sends is a well-formed LCP, IPCP or IPV6CP packet in a frame that fits one SSTP
/// data packet (the connection handlers' `writeSSTPDataPacket` requires it); datagrams are delivered only while
/// their network layer is up; the authenticator's IPCP comes up only with the assigned address; authentication
/// packets are passed on only in the Authenticate and Network phases; `linkDown` is reported at most once.
public enum PPPSessionHarness {
    static let assignedAddress = IPCPAddress(172, 16, 0, 2)

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        var reader = FuzzReader(input)
        let setup = reader.byte()
        let isPeer = setup & 1 == 1
        let mru: UInt16? = [1500, 4091, nil, 128][Int(setup >> 1) & 3]
        let ipv6 = setup & 8 != 0
        var lcp: LCPConfiguration
        if isPeer {
            lcp = .peer(magicNumber: 0x0BAD_F00D, maximumReceiveUnit: mru)
        } else {
            lcp = LCPConfiguration(role: .authenticator, magicNumber: 0x1234_5678, maximumReceiveUnit: mru)
        }
        if setup & 16 != 0 {
            lcp.authenticationProtocol = .eap
            lcp.alternativeAuthenticationProtocols = [.msCHAPv2]
        }
        var session = PPPSession(configuration: PPPSessionConfiguration(lcp: lcp))
        var state = Observed(isPeer: isPeer)
        try state.check(session.lowerLayerUp(), session: session, event: "lower layer up")

        var operations = 0
        while !reader.isAtEnd && operations < 512 {
            operations += 1
            let op = reader.byte()
            switch op & 7 {
            case 0, 1, 2:
                let frame = reader.lengthPrefixed(maximum: PPPFrame.maximumFrameSize)
                try state.check(session.receiveFrame(ByteBuffer(bytes: frame)), session: session, event: "frame")
            case 3:
                let frame = reader.padded(maximum: PPPFrame.maximumFrameSize)
                try state.check(session.receiveFrame(ByteBuffer(bytes: frame)), session: session, event: "large frame")
            case 4:
                let timer: PPPTimer = [.lcp, .ipcp, .ipv6cp][Int(op >> 3) % 3]
                try state.check(session.timerFired(timer), session: session, event: "timer \(timer)")
            case 5:
                if op & 8 == 0 {
                    let ipcp =
                        isPeer
                        ? IPCPParameters.peer()
                        : IPCPParameters(
                            localAddress: IPCPAddress(172, 16, 0, 1), peerAddress: assignedAddress,
                            primaryDNS: IPCPAddress(10, 1, 0, 4))
                    let ipv6cp =
                        ipv6
                        ? IPV6CPParameters(
                            localInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0211_22FF_FE33_4455),
                            suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier(0x0266_77FF_FE88_99AA))
                        : nil
                    try state.check(
                        session.authenticationSucceeded(ipcp: ipcp, ipv6cp: ipv6cp), session: session,
                        event: "authentication succeeded")
                } else {
                    try state.check(session.authenticationFailed(), session: session, event: "authentication failed")
                }
            case 6:
                if op & 8 == 0 {
                    let data = reader.take(Int(reader.byte()))
                    try state.check(
                        session.sendEchoRequest(data: ByteBuffer(bytes: data)), session: session, event: "echo")
                } else {
                    try state.check(session.close(), session: session, event: "close")
                }
            default:
                try state.check(session.lowerLayerDown(), session: session, event: "lower layer down")
            }
        }
    }

    /// What the actions so far have told the composition.
    struct Observed {
        let isPeer: Bool
        var ipv4Up = false
        var ipv6Up = false
        var linkDown = false

        mutating func check(_ actions: [PPPAction], session: PPPSession, event: String) throws(FuzzInvariantViolation)
        {
            for action in actions {
                switch action {
                case .sendFrame(let frame):
                    try fuzzRequire(
                        frame.readableBytes <= PPPFrame.maximumFrameSize,
                        "sent a \(frame.readableBytes)-byte frame, more than one SSTP data packet carries (\(event))"
                    )
                    guard let classified = PPPFrame.classify(frame),
                        [.lcp, .ipcp, .ipv6cp].contains(classified.protocolNumber)
                    else { throw FuzzInvariantViolation("sent a frame that is not LCP/IPCP/IPV6CP (\(event))") }
                    var payload = classified.payload
                    guard let packet = try? payload.readControlPacket(), payload.readableBytes == 0 else {
                        throw FuzzInvariantViolation("sent a malformed control packet (\(event))")
                    }
                    if [.configureRequest, .configureAck, .configureNak, .configureReject].contains(packet.code) {
                        try fuzzRequire((try? packet.options()) != nil, "sent malformed options (\(event))")
                    }
                case .startTimer, .cancelTimer, .echoReplyReceived:
                    break
                case .authenticationStarting:
                    try fuzzRequire(session.phase == .authenticate, "authentication starting in \(session.phase)")
                case .authenticationPacket:
                    try fuzzRequire(
                        session.phase == .authenticate || session.phase == .network,
                        "authentication packet passed on in \(session.phase)")
                case .networkLayerUp(let result):
                    if !self.isPeer {
                        try fuzzRequire(
                            result.peerAddress == PPPSessionHarness.assignedAddress, "IPCP up with \(result)")
                    }
                    self.ipv4Up = true
                case .networkLayerDown:
                    self.ipv4Up = false
                case .ipv6Up:
                    self.ipv6Up = true
                case .ipv6Down:
                    self.ipv6Up = false
                case .deliverDatagram(let protocolNumber, _):
                    if protocolNumber == .ipv4 {
                        try fuzzRequire(self.ipv4Up, "IPv4 datagram delivered while IPCP is down (\(event))")
                    } else {
                        try fuzzRequire(self.ipv6Up, "IPv6 datagram delivered while IPV6CP is down (\(event))")
                    }
                case .linkDown:
                    try fuzzRequire(!self.linkDown, "linkDown reported twice")
                    self.linkDown = true
                    self.ipv4Up = false
                    self.ipv6Up = false
                }
            }
        }
    }
}
