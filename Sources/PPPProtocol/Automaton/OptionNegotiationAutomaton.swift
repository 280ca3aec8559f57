import NIOCore

/// Counters and timer of RFC 1661 §4.6.
public struct AutomatonConfiguration: Hashable, Sendable {
    /// Restart timer, seconds (RFC 1661 §4.6: "The default value is 3 seconds").
    public var restartTimerSeconds: Int
    /// Terminate-Requests sent without Terminate-Ack before giving up (default 2).
    public var maxTerminate: Int
    /// Configure-Requests sent without a valid reply before giving up (default 10).
    public var maxConfigure: Int
    /// Configure-Naks sent without a Configure-Ack before Naks become Rejects (default 5).
    public var maxFailure: Int

    public init(restartTimerSeconds: Int = 3, maxTerminate: Int = 2, maxConfigure: Int = 10, maxFailure: Int = 5) {
        self.restartTimerSeconds = restartTimerSeconds
        self.maxTerminate = maxTerminate
        self.maxConfigure = maxConfigure
        self.maxFailure = maxFailure
    }

    public static let `default` = AutomatonConfiguration()
}

/// What the automaton asks its owner to do, in order.
public enum AutomatonOutput: Hashable, Sendable {
    /// Send this packet in a frame of the automaton's protocol.
    case send(ControlPacket)
    /// (Re)start the Restart timer.
    case startRestartTimer(seconds: Int)
    /// Stop the Restart timer.
    case cancelRestartTimer
    /// tlu: the layer is Opened.
    case thisLayerUp
    /// tld: the layer leaves Opened.
    case thisLayerDown
    /// tls: the layer needs the lower layer.
    case thisLayerStarted
    /// tlf: the layer no longer needs the lower layer; see ``OptionNegotiationAutomaton/terminationReason``.
    case thisLayerFinished
    /// LCP only, in Opened: an Echo-Request, Echo-Reply, Discard-Request, Identification or Time-Remaining
    /// ("ser": the owner builds the Echo-Reply, which needs the negotiated magic number).
    case linkMaintenance(ControlPacket)
    /// LCP only, in Opened: the peer Protocol-Rejected this (non-LCP) protocol (RFC 1661 §5.7).
    case protocolRejected(PPPProtocolNumber)
}

/// RFC 1661 §4's option negotiation automaton, shared by LCP, IPCP and IPV6CP; ``Policy`` supplies the options.
///
/// Every event goes through ``AutomatonState/transition(on:)`` (the §4.1 table). This type adds what the
/// table leaves to the text: validating replies against the outstanding request, the Restart counter, the
/// Max-Failure rule and building packets.
public struct OptionNegotiationAutomaton<Policy: OptionNegotiationPolicy>: Sendable {
    public let configuration: AutomatonConfiguration
    /// The protocol-specific option handling; public so that owners can read what was negotiated.
    public private(set) var policy: Policy
    public private(set) var state: AutomatonState = .initial
    /// Why the layer is closing or finished; the first cause wins and `up()` clears it.
    public private(set) var terminationReason: PPPTerminationReason?
    /// The largest control packet we may send (the peer's MRU); Code-Reject and Protocol-Reject contents are
    /// truncated to fit (RFC 1661 §5.6, §5.7).
    public var maximumPacketLength: Int = 1500

    private var restartCounter = 0
    /// Configure-Naks sent since the last Configure-Ack we sent (RFC 1661 §4.6 Max-Failure).
    private var naksSent = 0
    /// Configure-Naks/Rejects received since the last Configure-Ack we received.
    private var naksReceived = 0
    private var nextIdentifier: UInt8
    /// RFC 1661 §5.2: the Identifier and Options of the Configure-Request a reply must match; `nil` once a
    /// valid reply arrived, so duplicates are discarded.
    private var outstandingRequest: (identifier: UInt8, options: [ConfigurationOption])?

    public init(policy: Policy, configuration: AutomatonConfiguration = .default, firstIdentifier: UInt8 = 1) {
        self.policy = policy
        self.configuration = configuration
        self.nextIdentifier = firstIdentifier
    }

    // MARK: Administrative and lower-layer events

    /// Up: the lower layer is available.
    public mutating func up() -> [AutomatonOutput] {
        self.terminationReason = nil
        return self.run(.up)
    }

    /// Down: the lower layer went away.
    public mutating func down() -> [AutomatonOutput] {
        self.run(.down)
    }

    /// Open: the administrator allows the link.
    public mutating func open() -> [AutomatonOutput] {
        self.run(.open)
    }

    /// Close: the administrator shuts the link.
    public mutating func close(reason: PPPTerminationReason = .administrative) -> [AutomatonOutput] {
        self.recordTermination(reason)
        return self.run(.close)
    }

    /// The Restart timer fired: TO+ while the counter is above zero, TO− after.
    public mutating func timeout() -> [AutomatonOutput] {
        guard self.state.restartTimerRuns else { return [] }  // a stale timer
        if self.restartCounter > 0 { return self.run(.timeoutPlus) }
        if [.requestSent, .ackReceived, .ackSent].contains(self.state) { self.recordTermination(.negotiationTimeout) }
        return self.run(.timeoutMinus)
    }

    /// Allocates an Identifier for a packet the owner sends itself (Echo-Request, Protocol-Reject).
    public mutating func allocateIdentifier() -> UInt8 {
        defer { self.nextIdentifier &+= 1 }
        return self.nextIdentifier
    }

    // MARK: Packets

    /// A control packet of this protocol arrived.
    public mutating func receive(_ packet: ControlPacket) -> [AutomatonOutput] {
        switch packet.code {
        case .configureRequest: return self.receiveConfigureRequest(packet)
        case .configureAck: return self.receiveConfigureAck(packet)
        case .configureNak, .configureReject: return self.receiveConfigureNakOrReject(packet)
        case .terminateRequest:
            if self.state == .opened { self.recordTermination(.peerTerminated) }
            return self.run(.receiveTerminateRequest, received: packet)
        case .terminateAck: return self.run(.receiveTerminateAck)
        case .codeReject:
            // RFC 1661 §5.6: rejecting a code the automaton needs (1–7) is catastrophic.
            guard let rejected = packet.data.getInteger(at: packet.data.readerIndex, as: UInt8.self) else { return [] }
            if (1...7).contains(rejected) {
                self.recordTermination(.rejectedByPeer)
                return self.run(.receiveRejectCatastrophic)
            }
            return self.run(.receiveRejectPermitted)
        case .protocolReject where Policy.isLinkControlProtocol:
            guard let value = packet.data.getInteger(at: packet.data.readerIndex, as: UInt16.self) else { return [] }
            let rejected = PPPProtocolNumber(rawValue: value)
            if rejected == .lcp {
                self.recordTermination(.rejectedByPeer)
                return self.run(.receiveRejectCatastrophic)
            }
            let wasOpened = self.state == .opened
            var outputs = self.run(.receiveRejectPermitted)
            // RFC 1661 §5.7: "Protocol-Reject packets can only be received in the LCP Opened state."
            if wasOpened { outputs.append(.protocolRejected(rejected)) }
            return outputs
        default:
            if Policy.isLinkControlProtocol && Self.linkMaintenanceCodes.contains(packet.code) {
                return self.run(.receiveEchoOrDiscard, received: packet)
            }
            return self.run(.receiveUnknownCode, received: packet)
        }
    }

    /// RXR codes (RFC 1661 §5.8–5.9); Identification and Time-Remaining (RFC 1570) are treated alike so that
    /// Windows' "MSRASV5.20" Identification packets are ignored rather than Code-Rejected, as pppd does.
    private static var linkMaintenanceCodes: [ControlCode] {
        [.echoRequest, .echoReply, .discardRequest, .identification, .timeRemaining]
    }

    private mutating func receiveConfigureRequest(_ packet: ControlPacket) -> [AutomatonOutput] {
        switch self.state {
        case .initial, .starting:
            return []
        case .closed, .closing, .stopping:
            // The table's actions here do not depend on the verdict: sta in Closed, nothing otherwise.
            return self.run(.receiveConfigureRequestGood, received: packet)
        case .stopped, .requestSent, .ackReceived, .ackSent, .opened:
            // Our answer is as long as the request (Ack, Reject) or longer (a Nak's suggestions): one that would
            // exceed the peer's MRU, or one SSTP data packet, cannot be sent, so such a request is discarded as
            // invalid (RFC 1661 §5) before it is judged (docs/fuzzing.md, finding 2).
            guard packet.length <= self.maximumPacketLength, let options = try? packet.options() else { return [] }
            var verdict = self.policy.judgeConfigureRequest(options)
            if case .nak(let suggestions) = verdict, self.naksSent >= self.configuration.maxFailure {
                // RFC 1661 §4.6: after Max-Failure Naks "Configure-Nak packets are converted to
                // Configure-Reject packets".
                let types = Set(suggestions.map(\.type))
                let rejected = options.filter { types.contains($0.type) }
                verdict = rejected.isEmpty ? .ack : .reject(rejected)
            }
            let response: ControlPacket
            switch verdict {
            case .ack:
                self.naksSent = 0
                response = ControlPacket(code: .configureAck, identifier: packet.identifier, data: packet.data)
                return self.run(.receiveConfigureRequestGood, received: packet, response: response)
            case .nak(let suggestions):
                response = ControlPacket(code: .configureNak, identifier: packet.identifier, options: suggestions)
                guard response.length <= self.maximumPacketLength else { return [] }
                self.naksSent += 1
            case .reject(let rejected):
                response = ControlPacket(code: .configureReject, identifier: packet.identifier, options: rejected)
            }
            return self.run(.receiveConfigureRequestBad, received: packet, response: response)
        }
    }

    private mutating func receiveConfigureAck(_ packet: ControlPacket) -> [AutomatonOutput] {
        switch self.state {
        case .initial, .starting: return []
        case .closed, .stopped, .closing, .stopping: return self.run(.receiveConfigureAck, received: packet)
        case .requestSent, .ackReceived, .ackSent, .opened:
            // RFC 1661 §5.2: the Identifier must match the last Configure-Request and "the Configuration
            // Options in a Configure-Ack packet MUST exactly match those of the last transmitted
            // Configure-Request. Invalid packets are silently discarded."
            guard let outstanding = self.outstandingRequest, outstanding.identifier == packet.identifier,
                let options = try? packet.options(), options == outstanding.options
            else { return [] }
            self.outstandingRequest = nil
            self.naksReceived = 0
            self.policy.receiveConfigureAck(options)
            return self.run(.receiveConfigureAck)
        }
    }

    private mutating func receiveConfigureNakOrReject(_ packet: ControlPacket) -> [AutomatonOutput] {
        switch self.state {
        case .initial, .starting: return []
        case .closed, .stopped, .closing, .stopping: return self.run(.receiveConfigureNak, received: packet)
        case .requestSent, .ackReceived, .ackSent, .opened:
            guard let outstanding = self.outstandingRequest, outstanding.identifier == packet.identifier,
                let options = try? packet.options()
            else { return [] }
            let progress: NegotiationProgress
            if packet.code == .configureReject {
                // RFC 1661 §5.4: the rejected options must be a subset of the request, unchanged.
                guard options.allSatisfy(outstanding.options.contains) else { return [] }
                self.outstandingRequest = nil
                self.naksReceived += 1
                progress = self.policy.receiveConfigureReject(options)
            } else {
                self.outstandingRequest = nil
                self.naksReceived += 1
                progress = self.policy.receiveConfigureNak(options, consecutiveNaks: self.naksReceived)
            }
            // Not in RFC 1661 (RCN restarts the counter, so a peer could Nak forever): bound the loop.
            if progress == .giveUp || self.naksReceived > self.configuration.maxConfigure {
                return self.close(reason: .negotiationFailed)
            }
            return self.run(.receiveConfigureNak)
        }
    }

    // MARK: Executing the table

    private mutating func recordTermination(_ reason: PPPTerminationReason) {
        if self.terminationReason == nil { self.terminationReason = reason }
    }

    private mutating func run(
        _ event: AutomatonEvent,
        received: ControlPacket? = nil,
        response: ControlPacket? = nil
    ) -> [AutomatonOutput] {
        guard let transition = self.state.transition(on: event) else { return [] }
        var outputs: [AutomatonOutput] = []
        var timerStarted = false
        // RFC 1661 §4.4 irc: "set to Max-Terminate or Max-Configure, as appropriate".
        let initialCount =
            transition.actions.contains(.sendTerminateRequest)
            ? self.configuration.maxTerminate : self.configuration.maxConfigure
        for action in transition.actions {
            switch action {
            case .thisLayerUp: outputs.append(.thisLayerUp)
            case .thisLayerDown: outputs.append(.thisLayerDown)
            case .thisLayerStarted: outputs.append(.thisLayerStarted)
            case .thisLayerFinished: outputs.append(.thisLayerFinished)
            case .initializeRestartCount: self.restartCounter = initialCount
            case .zeroRestartCount:
                // RFC 1661 §4.4 zrc: "the implementation MUST set the timeout to a suitable value", giving the
                // peer time to process the Terminate-Ack before we finish.
                self.restartCounter = 0
                timerStarted = true
            case .sendConfigureRequest:
                let identifier = self.allocateIdentifier()
                let options = self.policy.configureRequestOptions()
                self.outstandingRequest = (identifier, options)
                outputs.append(.send(ControlPacket(code: .configureRequest, identifier: identifier, options: options)))
                self.restartCounter -= 1
                timerStarted = true
            case .sendConfigureAck, .sendConfigureNak:
                if let response { outputs.append(.send(response)) }
            case .sendTerminateRequest:
                outputs.append(.send(ControlPacket(code: .terminateRequest, identifier: self.allocateIdentifier())))
                self.restartCounter -= 1
                timerStarted = true
            case .sendTerminateAck:
                let identifier = received?.identifier ?? self.allocateIdentifier()
                outputs.append(.send(ControlPacket(code: .terminateAck, identifier: identifier)))
            case .sendCodeReject:
                guard let received else { break }
                outputs.append(.send(self.codeReject(of: received)))
            case .sendEchoReply:
                if let received { outputs.append(.linkMaintenance(received)) }
            }
        }
        let previous = self.state
        self.state = transition.nextState
        if timerStarted {
            outputs.append(.startRestartTimer(seconds: self.configuration.restartTimerSeconds))
        } else if previous.restartTimerRuns && !self.state.restartTimerRuns {
            outputs.append(.cancelRestartTimer)
        }
        return outputs
    }

    /// RFC 1661 §5.6: the Rejected-Packet field "contains a copy of the packet which is being rejected ...
    /// MUST be truncated to comply with the peer's established MRU".
    private mutating func codeReject(of packet: ControlPacket) -> ControlPacket {
        var copy = ByteBuffer()
        copy.writeControlPacket(packet)
        let room = max(0, self.maximumPacketLength - ControlPacket.headerLength)
        if copy.readableBytes > room { copy = copy.getSlice(at: copy.readerIndex, length: room)! }
        return ControlPacket(code: .codeReject, identifier: self.allocateIdentifier(), data: copy)
    }
}
