/// The ten states of the option negotiation automaton (RFC 1661 §4.2), numbered as in the §4.1 table.
public enum AutomatonState: Int, CaseIterable, Hashable, Sendable {
    case initial = 0
    case starting = 1
    case closed = 2
    case stopped = 3
    case closing = 4
    case stopping = 5
    case requestSent = 6
    case ackReceived = 7
    case ackSent = 8
    case opened = 9

    /// RFC 1661 §4.2: the Restart timer runs only in Closing, Stopping, Req-Sent, Ack-Rcvd and Ack-Sent.
    public var restartTimerRuns: Bool {
        switch self {
        case .closing, .stopping, .requestSent, .ackReceived, .ackSent: return true
        case .initial, .starting, .closed, .stopped, .opened: return false
        }
    }
}

/// The events of RFC 1661 §4.3, named as in the §4.1 table.
public enum AutomatonEvent: String, CaseIterable, Hashable, Sendable {
    /// Up: the lower layer is up.
    case up = "Up"
    /// Down: the lower layer is down.
    case down = "Down"
    /// Open: administrative open.
    case open = "Open"
    /// Close: administrative close.
    case close = "Close"
    /// TO+: the Restart timer expired with the counter still above zero.
    case timeoutPlus = "TO+"
    /// TO−: the Restart timer expired with the counter exhausted.
    case timeoutMinus = "TO-"
    /// RCR+: received a Configure-Request we can acknowledge.
    case receiveConfigureRequestGood = "RCR+"
    /// RCR−: received a Configure-Request we must Nak or Reject.
    case receiveConfigureRequestBad = "RCR-"
    /// RCA: received a valid Configure-Ack.
    case receiveConfigureAck = "RCA"
    /// RCN: received a valid Configure-Nak or Configure-Reject.
    case receiveConfigureNak = "RCN"
    /// RTR: received a Terminate-Request.
    case receiveTerminateRequest = "RTR"
    /// RTA: received a Terminate-Ack.
    case receiveTerminateAck = "RTA"
    /// RUC: received a packet with an unknown Code.
    case receiveUnknownCode = "RUC"
    /// RXJ+: received a Code-Reject or Protocol-Reject that is permitted (the link can go on).
    case receiveRejectPermitted = "RXJ+"
    /// RXJ−: received a catastrophic Code-Reject or Protocol-Reject.
    case receiveRejectCatastrophic = "RXJ-"
    /// RXR: received an Echo-Request, Echo-Reply or Discard-Request.
    case receiveEchoOrDiscard = "RXR"
}

/// The actions of RFC 1661 §4.4, named as in the §4.1 table.
public enum AutomatonAction: String, CaseIterable, Hashable, Sendable {
    case thisLayerUp = "tlu"
    case thisLayerDown = "tld"
    case thisLayerStarted = "tls"
    case thisLayerFinished = "tlf"
    case initializeRestartCount = "irc"
    case zeroRestartCount = "zrc"
    case sendConfigureRequest = "scr"
    case sendConfigureAck = "sca"
    case sendConfigureNak = "scn"
    case sendTerminateRequest = "str"
    case sendTerminateAck = "sta"
    case sendCodeReject = "scj"
    case sendEchoReply = "ser"
}

/// One cell of the RFC 1661 §4.1 table: actions in the order printed, then the next state.
public struct AutomatonTransition: Hashable, Sendable {
    public var actions: [AutomatonAction]
    public var nextState: AutomatonState

    public init(_ actions: [AutomatonAction], _ nextState: AutomatonState) {
        self.actions = actions
        self.nextState = nextState
    }
}

extension AutomatonState {
    /// RFC 1661 §4.1's state transition table, cell by cell.
    ///
    /// Returns `nil` for the cells the RFC marks "-" (illegal transitions); the automaton ignores those events
    /// (they come from stale timers or from packets received while the lower layer is down, never from a bug
    /// worth crashing a gateway for). Footnotes: "r" (restart option) and "p" (passive option) are not
    /// implemented, so those cells keep the printed next state with no extra action; "x" (crossed connection)
    /// needs no special handling here.
    public func transition(on event: AutomatonEvent) -> AutomatonTransition? {
        typealias T = AutomatonTransition
        switch (event, self) {
        // Up
        case (.up, .initial): return T([], .closed)
        case (.up, .starting): return T([.initializeRestartCount, .sendConfigureRequest], .requestSent)
        case (.up, _): return nil
        // Down
        case (.down, .initial), (.down, .starting): return nil
        case (.down, .closed): return T([], .initial)
        case (.down, .stopped): return T([.thisLayerStarted], .starting)
        case (.down, .closing): return T([], .initial)
        case (.down, .stopping), (.down, .requestSent), (.down, .ackReceived), (.down, .ackSent):
            return T([], .starting)
        case (.down, .opened): return T([.thisLayerDown], .starting)
        // Open
        case (.open, .initial): return T([.thisLayerStarted], .starting)
        case (.open, .starting): return T([], .starting)
        case (.open, .closed): return T([.initializeRestartCount, .sendConfigureRequest], .requestSent)
        case (.open, .stopped): return T([], .stopped)
        case (.open, .closing), (.open, .stopping): return T([], .stopping)
        case (.open, .requestSent), (.open, .ackReceived), (.open, .ackSent), (.open, .opened): return T([], self)
        // Close
        case (.close, .initial): return T([], .initial)
        case (.close, .starting): return T([.thisLayerFinished], .initial)
        case (.close, .closed), (.close, .stopped): return T([], .closed)
        case (.close, .closing), (.close, .stopping): return T([], .closing)
        case (.close, .requestSent), (.close, .ackReceived), (.close, .ackSent):
            return T([.initializeRestartCount, .sendTerminateRequest], .closing)
        case (.close, .opened):
            return T([.thisLayerDown, .initializeRestartCount, .sendTerminateRequest], .closing)
        // TO+
        case (.timeoutPlus, .closing), (.timeoutPlus, .stopping): return T([.sendTerminateRequest], self)
        case (.timeoutPlus, .requestSent), (.timeoutPlus, .ackReceived):
            return T([.sendConfigureRequest], .requestSent)
        case (.timeoutPlus, .ackSent): return T([.sendConfigureRequest], .ackSent)
        case (.timeoutPlus, _): return nil
        // TO-
        case (.timeoutMinus, .closing): return T([.thisLayerFinished], .closed)
        case (.timeoutMinus, .stopping), (.timeoutMinus, .requestSent), (.timeoutMinus, .ackReceived),
            (.timeoutMinus, .ackSent):
            return T([.thisLayerFinished], .stopped)
        case (.timeoutMinus, _): return nil
        // RCR+
        case (.receiveConfigureRequestGood, .closed): return T([.sendTerminateAck], .closed)
        case (.receiveConfigureRequestGood, .stopped):
            return T([.initializeRestartCount, .sendConfigureRequest, .sendConfigureAck], .ackSent)
        case (.receiveConfigureRequestGood, .closing), (.receiveConfigureRequestGood, .stopping): return T([], self)
        case (.receiveConfigureRequestGood, .requestSent), (.receiveConfigureRequestGood, .ackSent):
            return T([.sendConfigureAck], .ackSent)
        case (.receiveConfigureRequestGood, .ackReceived): return T([.sendConfigureAck, .thisLayerUp], .opened)
        case (.receiveConfigureRequestGood, .opened):
            return T([.thisLayerDown, .sendConfigureRequest, .sendConfigureAck], .ackSent)
        // RCR-
        case (.receiveConfigureRequestBad, .closed): return T([.sendTerminateAck], .closed)
        case (.receiveConfigureRequestBad, .stopped):
            return T([.initializeRestartCount, .sendConfigureRequest, .sendConfigureNak], .requestSent)
        case (.receiveConfigureRequestBad, .closing), (.receiveConfigureRequestBad, .stopping): return T([], self)
        case (.receiveConfigureRequestBad, .requestSent), (.receiveConfigureRequestBad, .ackSent):
            return T([.sendConfigureNak], .requestSent)
        case (.receiveConfigureRequestBad, .ackReceived): return T([.sendConfigureNak], .ackReceived)
        case (.receiveConfigureRequestBad, .opened):
            return T([.thisLayerDown, .sendConfigureRequest, .sendConfigureNak], .requestSent)
        // RCA
        case (.receiveConfigureAck, .closed), (.receiveConfigureAck, .stopped): return T([.sendTerminateAck], self)
        case (.receiveConfigureAck, .closing), (.receiveConfigureAck, .stopping): return T([], self)
        case (.receiveConfigureAck, .requestSent): return T([.initializeRestartCount], .ackReceived)
        case (.receiveConfigureAck, .ackReceived): return T([.sendConfigureRequest], .requestSent)
        case (.receiveConfigureAck, .ackSent): return T([.initializeRestartCount, .thisLayerUp], .opened)
        case (.receiveConfigureAck, .opened): return T([.thisLayerDown, .sendConfigureRequest], .requestSent)
        // RCN
        case (.receiveConfigureNak, .closed), (.receiveConfigureNak, .stopped): return T([.sendTerminateAck], self)
        case (.receiveConfigureNak, .closing), (.receiveConfigureNak, .stopping): return T([], self)
        case (.receiveConfigureNak, .requestSent):
            return T([.initializeRestartCount, .sendConfigureRequest], .requestSent)
        case (.receiveConfigureNak, .ackReceived): return T([.sendConfigureRequest], .requestSent)
        case (.receiveConfigureNak, .ackSent): return T([.initializeRestartCount, .sendConfigureRequest], .ackSent)
        case (.receiveConfigureNak, .opened): return T([.thisLayerDown, .sendConfigureRequest], .requestSent)
        // RTR
        case (.receiveTerminateRequest, .closed), (.receiveTerminateRequest, .stopped),
            (.receiveTerminateRequest, .closing), (.receiveTerminateRequest, .stopping),
            (.receiveTerminateRequest, .requestSent):
            return T([.sendTerminateAck], self)
        case (.receiveTerminateRequest, .ackReceived), (.receiveTerminateRequest, .ackSent):
            return T([.sendTerminateAck], .requestSent)
        case (.receiveTerminateRequest, .opened):
            return T([.thisLayerDown, .zeroRestartCount, .sendTerminateAck], .stopping)
        // RTA
        case (.receiveTerminateAck, .closed), (.receiveTerminateAck, .stopped), (.receiveTerminateAck, .requestSent),
            (.receiveTerminateAck, .ackSent):
            return T([], self)
        case (.receiveTerminateAck, .closing): return T([.thisLayerFinished], .closed)
        case (.receiveTerminateAck, .stopping): return T([.thisLayerFinished], .stopped)
        case (.receiveTerminateAck, .ackReceived): return T([], .requestSent)
        case (.receiveTerminateAck, .opened): return T([.thisLayerDown, .sendConfigureRequest], .requestSent)
        // RUC
        case (.receiveUnknownCode, .initial), (.receiveUnknownCode, .starting): return nil
        case (.receiveUnknownCode, _): return T([.sendCodeReject], self)
        // RXJ+
        case (.receiveRejectPermitted, .initial), (.receiveRejectPermitted, .starting): return nil
        case (.receiveRejectPermitted, .ackReceived): return T([], .requestSent)
        case (.receiveRejectPermitted, _): return T([], self)
        // RXJ-
        case (.receiveRejectCatastrophic, .closed), (.receiveRejectCatastrophic, .closing):
            return T([.thisLayerFinished], .closed)
        case (.receiveRejectCatastrophic, .stopped), (.receiveRejectCatastrophic, .stopping),
            (.receiveRejectCatastrophic, .requestSent), (.receiveRejectCatastrophic, .ackReceived),
            (.receiveRejectCatastrophic, .ackSent):
            return T([.thisLayerFinished], .stopped)
        case (.receiveRejectCatastrophic, .opened):
            return T([.thisLayerDown, .initializeRestartCount, .sendTerminateRequest], .stopping)
        // RXR
        case (.receiveEchoOrDiscard, .opened): return T([.sendEchoReply], .opened)
        case (.receiveEchoOrDiscard, .initial), (.receiveEchoOrDiscard, .starting): return nil
        case (.receiveEchoOrDiscard, _): return T([], self)
        // Packets are never received in Initial or Starting (the lower layer is down).
        case (.receiveConfigureRequestGood, .initial), (.receiveConfigureRequestGood, .starting),
            (.receiveConfigureRequestBad, .initial), (.receiveConfigureRequestBad, .starting),
            (.receiveConfigureAck, .initial), (.receiveConfigureAck, .starting),
            (.receiveConfigureNak, .initial), (.receiveConfigureNak, .starting),
            (.receiveTerminateRequest, .initial), (.receiveTerminateRequest, .starting),
            (.receiveTerminateAck, .initial), (.receiveTerminateAck, .starting),
            (.receiveRejectCatastrophic, .initial), (.receiveRejectCatastrophic, .starting):
            return nil
        }
    }
}
