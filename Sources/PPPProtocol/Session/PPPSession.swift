public import NIOCore

/// One PPP link over SSTP (RFC 1661 §3): routes frames to LCP, the authentication machine (outside this
/// module), IPCP and IPV6CP, and moves through the phases Dead → Establish → Authenticate → Network →
/// Terminate.
///
/// Pure value type: frames, timer expiries and authentication results are events; sends, timers and
/// upcalls are ``PPPAction``s. Magic numbers and addresses are inputs.
///
/// Data path: call ``PPPFrame/classify(_:)`` first and hand IP datagrams straight to the TUN device when
/// ``isIPv4Open`` / ``isIPv6Open``; only control frames need ``receiveFrame(_:)`` (which also accepts data).
public struct PPPSession: Sendable {
    public let configuration: PPPSessionConfiguration
    public private(set) var phase: PPPPhase = .dead
    private var lcp: OptionNegotiationAutomaton<LCPPolicy>
    private var ipcp: OptionNegotiationAutomaton<IPCPPolicy>?
    private var ipv6cp: OptionNegotiationAutomaton<IPV6CPPolicy>?
    private var linkDownReported = false

    public init(configuration: PPPSessionConfiguration) {
        self.configuration = configuration
        self.lcp = OptionNegotiationAutomaton(
            policy: LCPPolicy(configuration: configuration.lcp),
            configuration: configuration.automaton
        )
    }

    // MARK: State for the composition

    /// Whether IPv4 datagrams may flow (IPCP Opened).
    @inlinable
    public var isIPv4Open: Bool { self.ipcpState == .opened }
    /// Whether IPv6 datagrams may flow (IPV6CP Opened).
    @inlinable
    public var isIPv6Open: Bool { self.ipv6cpState == .opened }

    public var lcpState: AutomatonState { self.lcp.state }
    public var ipcpState: AutomatonState? { self.ipcp?.state }
    public var ipv6cpState: AutomatonState? { self.ipv6cp?.state }
    /// What LCP negotiated (peer MRU, magic numbers, authentication).
    public var lcpPolicy: LCPPolicy { self.lcp.policy }

    /// The longest control packet we send: the peer's MRU, but never more than fits one SSTP data packet with our
    /// 4-byte `FF 03` + protocol header (`PPPFrame.maximumFrameSize`); a peer may negotiate an MRU of 4091, and
    /// Code-Reject, Protocol-Reject and Echo-Reply are sized to it (docs/fuzzing.md, finding 1).
    var maximumPacketLength: Int { min(Int(self.lcp.policy.peerMRU), PPPFrame.maximumFrameSize - 4) }

    /// Wraps a packet of the negotiated authentication protocol (from the authentication machine) in a frame.
    public func authenticationFrame(_ packet: ByteBuffer) -> ByteBuffer? {
        self.lcp.policy.authentication.protocolNumber.map { PPPFrame.encode(protocol: $0, payload: packet) }
    }

    // MARK: Events

    /// SSTP started PPP: LCP Up and Open (RFC 1661 §3.3), sending our first Configure-Request.
    public mutating func lowerLayerUp() -> [PPPAction] {
        guard self.phase == .dead, !self.linkDownReported else { return [] }
        self.phase = .establish
        var actions: [PPPAction] = []
        self.handleLCP(self.lcp.up(), into: &actions)
        self.handleLCP(self.lcp.open(), into: &actions)
        return actions
    }

    /// The SSTP connection is gone: LCP Down, then ``PPPAction/linkDown(_:)``.
    public mutating func lowerLayerDown() -> [PPPAction] {
        var actions: [PPPAction] = []
        self.handleLCP(self.lcp.down(), into: &actions)
        self.finish(.lowerLayerDown, into: &actions)
        return actions
    }

    /// Administrative close: LCP sends Terminate-Request; ``PPPAction/linkDown(_:)`` follows its
    /// Terminate-Ack or Max-Terminate timeouts.
    public mutating func close(reason: PPPTerminationReason = .administrative) -> [PPPAction] {
        var actions: [PPPAction] = []
        self.handleLCP(self.lcp.close(reason: reason), into: &actions)
        return actions
    }

    /// A restart timer expired.
    public mutating func timerFired(_ timer: PPPTimer) -> [PPPAction] {
        var actions: [PPPAction] = []
        switch timer {
        case .lcp: self.handleLCP(self.lcp.timeout(), into: &actions)
        case .ipcp: self.withIPCP(into: &actions) { $0.timeout() }
        case .ipv6cp: self.withIPV6CP(into: &actions) { $0.timeout() }
        }
        return actions
    }

    /// The authentication machine accepted the peer (or, for the peer role, was accepted): enter the
    /// Network phase and start IPCP, plus IPV6CP when `ipv6cp` is given (otherwise IPV6CP and IPv6 frames are
    /// Protocol-Rejected).
    public mutating func authenticationSucceeded(ipcp: IPCPParameters, ipv6cp: IPV6CPParameters?) -> [PPPAction] {
        guard self.phase == .authenticate else { return [] }
        self.phase = .network
        var actions: [PPPAction] = []
        let role = self.configuration.role
        self.ipcp = OptionNegotiationAutomaton(
            policy: IPCPPolicy(role: role, parameters: ipcp),
            configuration: self.configuration.automaton
        )
        self.ipcp!.maximumPacketLength = self.maximumPacketLength
        self.withIPCP(into: &actions) { $0.up() }
        self.withIPCP(into: &actions) { $0.open() }
        if let ipv6cp {
            self.ipv6cp = OptionNegotiationAutomaton(
                policy: IPV6CPPolicy(parameters: ipv6cp),
                configuration: self.configuration.automaton
            )
            self.ipv6cp!.maximumPacketLength = self.maximumPacketLength
            self.withIPV6CP(into: &actions) { $0.up() }
            self.withIPV6CP(into: &actions) { $0.open() }
        }
        return actions
    }

    /// The authentication machine rejected the peer: close LCP (RFC 1661 §3.4 "proceed to the Link
    /// Termination phase").
    public mutating func authenticationFailed() -> [PPPAction] {
        self.close(reason: .authenticationFailed)
    }

    /// Sends an LCP Echo-Request (RFC 1661 §5.8); only while LCP is Opened.
    public mutating func sendEchoRequest(data: ByteBuffer = ByteBuffer()) -> [PPPAction] {
        guard self.lcp.state == .opened else { return [] }
        var body = ByteBuffer()
        body.writeInteger(self.lcp.policy.magicNumber ?? 0)
        body.writeImmutableBuffer(data)
        let packet = ControlPacket(code: .echoRequest, identifier: self.lcp.allocateIdentifier(), data: body)
        return [.sendFrame(Self.frame(.lcp, packet))]
    }

    /// A PPP frame arrived from SSTP.
    public mutating func receiveFrame(_ frame: ByteBuffer) -> [PPPAction] {
        guard let classified = PPPFrame.classify(frame) else { return [] }
        let protocolNumber = classified.protocolNumber
        var actions: [PPPAction] = []
        switch protocolNumber {
        case .ipv4:
            if self.isIPv4Open { actions.append(.deliverDatagram(.ipv4, classified.payload)) }
        case .ipv6:
            if self.isIPv6Open {
                actions.append(.deliverDatagram(.ipv6, classified.payload))
            } else if self.phase == .network && self.ipv6cp == nil {
                self.protocolReject(protocolNumber, classified.payload, into: &actions)
            }
        case .lcp:
            var payload = classified.payload
            guard let packet = try? payload.readControlPacket() else { break }
            self.handleLCP(self.lcp.receive(packet), into: &actions)
        default:
            // RFC 1661 §3.3: "Any non-LCP packets received during this phase MUST be silently discarded"
            // (pppd: "Discarded non-LCP packet when LCP not open").
            guard self.lcp.state == .opened else { break }
            self.receiveNonLCP(protocolNumber, classified.payload, into: &actions)
        }
        return actions
    }

    private mutating func receiveNonLCP(_ protocolNumber: PPPProtocolNumber, _ payload: ByteBuffer, into actions: inout [PPPAction]) {
        let inNetworkPhase = self.phase == .network
        switch protocolNumber {
        case self.lcp.policy.authentication.protocolNumber:
            // Delivered in the Network phase too: a lost CHAP Success makes the peer retransmit its Response.
            if self.phase == .authenticate || inNetworkPhase { actions.append(.authenticationPacket(payload)) }
        case .pap, .chap, .eap:
            break  // an authentication protocol we did not negotiate: ignore
        case .ipcp:
            // RFC 1661 §3.4: during Authentication "All other packets ... MUST be silently discarded".
            guard inNetworkPhase, self.ipcp != nil else { break }
            var packetBytes = payload
            guard let packet = try? packetBytes.readControlPacket() else { break }
            self.withIPCP(into: &actions) { $0.receive(packet) }
        case .ipv6cp:
            guard inNetworkPhase else { break }
            guard self.ipv6cp != nil else {
                self.protocolReject(protocolNumber, payload, into: &actions)
                break
            }
            var packetBytes = payload
            guard let packet = try? packetBytes.readControlPacket() else { break }
            self.withIPV6CP(into: &actions) { $0.receive(packet) }
        default:
            // RFC 1661 §5.7: an unsupported protocol (CCP, BACP, ...) gets Protocol-Reject.
            self.protocolReject(protocolNumber, payload, into: &actions)
        }
    }

    // MARK: LCP outputs

    private mutating func handleLCP(_ outputs: [AutomatonOutput], into actions: inout [PPPAction]) {
        var wentDown = false
        for output in outputs {
            switch output {
            case .send(let packet): actions.append(.sendFrame(Self.frame(.lcp, packet)))
            case .startRestartTimer(let seconds): actions.append(.startTimer(.lcp, seconds: seconds))
            case .cancelRestartTimer: actions.append(.cancelTimer(.lcp))
            case .thisLayerStarted: break
            case .thisLayerUp:
                self.lcp.maximumPacketLength = self.maximumPacketLength
                self.phase = .authenticate
                actions.append(.authenticationStarting(self.lcp.policy.authentication))
            case .thisLayerDown:
                wentDown = true
                self.networkLayersDown(into: &actions)
            case .thisLayerFinished:
                self.finish(self.lcp.terminationReason ?? .administrative, into: &actions)
            case .linkMaintenance(let packet):
                self.linkMaintenance(packet, into: &actions)
            case .protocolRejected(let protocolNumber):
                switch protocolNumber {
                case .ipv6cp, .ipv6:
                    // RFC 1661 §5.7: stop sending the rejected protocol.
                    if self.ipv6cp != nil {
                        self.withIPV6CP(into: &actions) { $0.down() }
                        self.ipv6cp = nil
                    }
                case .ipcp, .ipv4:
                    self.handleLCP(self.lcp.close(reason: .noNetworkProtocol), into: &actions)
                default:
                    break
                }
            }
        }
        if self.phase != .dead {
            switch self.lcp.state {
            case .closing, .stopping: self.phase = .terminate
            case .requestSent, .ackReceived, .ackSent: if wentDown { self.phase = .establish }
            case .initial, .starting, .closed, .stopped, .opened: break
            }
        }
    }

    /// LCP left Opened: the NCPs get Down and must renegotiate after a new authentication.
    private mutating func networkLayersDown(into actions: inout [PPPAction]) {
        if self.ipcp != nil {
            self.withIPCP(into: &actions) { $0.down() }
            self.ipcp = nil
        }
        if self.ipv6cp != nil {
            self.withIPV6CP(into: &actions) { $0.down() }
            self.ipv6cp = nil
        }
    }

    private mutating func finish(_ reason: PPPTerminationReason, into actions: inout [PPPAction]) {
        self.networkLayersDown(into: &actions)
        self.phase = .dead
        if !self.linkDownReported {
            self.linkDownReported = true
            actions.append(.linkDown(reason))
        }
    }

    private mutating func linkMaintenance(_ packet: ControlPacket, into actions: inout [PPPAction]) {
        switch packet.code {
        case .echoRequest:
            // RFC 1661 §5.8: the reply carries our Magic-Number (zero if none was negotiated) and the request's
            // data, truncated to the peer's MRU (accel-ppp#204).
            guard packet.data.readableBytes >= 4 else { return }
            var body = ByteBuffer()
            body.writeInteger(self.lcp.policy.magicNumber ?? 0)
            let room = self.maximumPacketLength - ControlPacket.headerLength - 4
            let rest = packet.data.getSlice(
                at: packet.data.readerIndex + 4,
                length: min(max(0, room), packet.data.readableBytes - 4)
            )!
            body.writeImmutableBuffer(rest)
            let reply = ControlPacket(code: .echoReply, identifier: packet.identifier, data: body)
            actions.append(.sendFrame(Self.frame(.lcp, reply)))
        case .echoReply:
            guard packet.data.readableBytes >= 4 else { return }
            let rest = packet.data.getSlice(at: packet.data.readerIndex + 4, length: packet.data.readableBytes - 4)!
            actions.append(.echoReplyReceived(identifier: packet.identifier, data: rest))
        default:
            break  // Discard-Request, Identification, Time-Remaining: nothing to do
        }
    }

    /// RFC 1661 §5.7 Protocol-Reject: only in the LCP Opened state; Rejected-Information "MUST be truncated to
    /// comply with the peer's established MRU".
    private mutating func protocolReject(_ protocolNumber: PPPProtocolNumber, _ payload: ByteBuffer, into actions: inout [PPPAction]) {
        guard self.lcp.state == .opened else { return }
        let room = max(0, self.maximumPacketLength - ControlPacket.headerLength - 2)
        var data = ByteBuffer()
        data.writeInteger(protocolNumber.rawValue)
        data.writeImmutableBuffer(payload.getSlice(at: payload.readerIndex, length: min(room, payload.readableBytes))!)
        let packet = ControlPacket(code: .protocolReject, identifier: self.lcp.allocateIdentifier(), data: data)
        actions.append(.sendFrame(Self.frame(.lcp, packet)))
    }

    // MARK: NCP outputs

    private mutating func withIPCP(
        into actions: inout [PPPAction],
        _ body: (inout OptionNegotiationAutomaton<IPCPPolicy>) -> [AutomatonOutput]
    ) {
        guard var automaton = self.ipcp else { return }
        let outputs = body(&automaton)
        self.ipcp = automaton
        for output in outputs {
            switch output {
            case .thisLayerUp:
                let result = automaton.policy.result
                if result.localAddress == .unspecified {
                    // A server that acked 0.0.0.0 gave us no address.
                    self.handleLCP(self.lcp.close(reason: .negotiationFailed), into: &actions)
                    continue
                }
                actions.append(.networkLayerUp(result))
            case .thisLayerDown: actions.append(.networkLayerDown)
            case .thisLayerFinished:
                // pppd: with no network protocol left, LCP closes ("No network protocols running").
                if self.lcp.state == .opened {
                    self.handleLCP(self.lcp.close(reason: .noNetworkProtocol), into: &actions)
                }
            default:
                self.appendCommon(output, protocol: .ipcp, timer: .ipcp, into: &actions)
            }
        }
    }

    private mutating func withIPV6CP(
        into actions: inout [PPPAction],
        _ body: (inout OptionNegotiationAutomaton<IPV6CPPolicy>) -> [AutomatonOutput]
    ) {
        guard var automaton = self.ipv6cp else { return }
        let outputs = body(&automaton)
        self.ipv6cp = automaton
        for output in outputs {
            switch output {
            case .thisLayerUp: actions.append(.ipv6Up(automaton.policy.result))
            case .thisLayerDown: actions.append(.ipv6Down)
            case .thisLayerFinished: break  // IPv4 may go on alone
            default: self.appendCommon(output, protocol: .ipv6cp, timer: .ipv6cp, into: &actions)
            }
        }
    }

    private func appendCommon(
        _ output: AutomatonOutput,
        protocol protocolNumber: PPPProtocolNumber,
        timer: PPPTimer,
        into actions: inout [PPPAction]
    ) {
        switch output {
        case .send(let packet): actions.append(.sendFrame(Self.frame(protocolNumber, packet)))
        case .startRestartTimer(let seconds): actions.append(.startTimer(timer, seconds: seconds))
        case .cancelRestartTimer: actions.append(.cancelTimer(timer))
        case .thisLayerUp, .thisLayerDown, .thisLayerStarted, .thisLayerFinished, .linkMaintenance,
            .protocolRejected:
            break
        }
    }

    private static func frame(_ protocolNumber: PPPProtocolNumber, _ packet: ControlPacket) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.reserveCapacity(4 + packet.length)
        frame.writePPPHeader(protocolNumber)
        frame.writeControlPacket(packet)
        return frame
    }
}
