/// The four teardown states common to client and server (MS-SSTP §3.1.1.1) in which a machine can rest.
enum SSTPTeardownState: Sendable, Hashable {
    case callAbortPending
    case callAbortTimeoutPending
    case callDisconnectAckPending
    case callDisconnectTimeoutPending

    var callState: SSTPCallState {
        switch self {
        case .callAbortPending: .callAbortPending
        case .callAbortTimeoutPending: .callAbortTimeoutPending
        case .callDisconnectAckPending: .callDisconnectAckPending
        case .callDisconnectTimeoutPending: .callDisconnectTimeoutPending
        }
    }
}

/// The outcome of a teardown-related event, for the owning machine to apply to its state.
enum SSTPTeardownTransition {
    /// The event is ignored in this state.
    case ignore
    /// Keep the current state; carry out the actions.
    case stay([SSTPAction])
    /// Rest in a teardown state after carrying out the actions.
    case enter(SSTPTeardownState, [SSTPAction])
    /// The connection is finished; the actions end with `.closeTransport`.
    case close([SSTPAction])
}

/// The bookkeeping both state machines share: running timers, Hello-timer liveness, and the Call Abort / Call
/// Disconnect procedures of MS-SSTP §3.1.1.1, §3.1.5.1 and §3.2.4.2, with the message rules of §3.2.5.3.4–6 and
/// §3.3.5.2.4–6 (identical for client and server).
struct SSTPCallContext: Sendable {
    let timerValues: SSTPTimerValues
    private(set) var runningTimers: Set<SSTPTimer> = []
    /// Set by every received packet; the Hello timer checks and clears it (see ``helloTimerExpired()``).
    var packetReceivedSinceHello = false
    private var echoRequestOutstanding = false
    /// What `.closeTransport` will report once the current teardown finishes.
    private var closeReason: SSTPCloseReason = .callDisconnected(acknowledged: false) {
        didSet { self.recordedCloseReason = self.closeReason }
    }
    /// Why the call is ending, once a teardown procedure started (nil before): for reports when the transport
    /// closes before `.closeTransport` would have been emitted.
    private(set) var recordedCloseReason: SSTPCloseReason?

    init(timerValues: SSTPTimerValues) {
        self.timerValues = timerValues
    }

    /// Why we ran the abort procedure, once we have.
    var abortReason: SSTPAbortReason? {
        if case .callAborted(let reason) = self.closeReason { return reason }
        return nil
    }

    // MARK: Timers

    mutating func startTimer(_ timer: SSTPTimer, into actions: inout [SSTPAction]) {
        self.runningTimers.insert(timer)
        actions.append(.startTimer(timer, after: self.timerValues.duration(of: timer)))
    }

    mutating func cancelTimer(_ timer: SSTPTimer, into actions: inout [SSTPAction]) {
        if self.runningTimers.remove(timer) != nil {
            actions.append(.cancelTimer(timer))
        }
    }

    mutating func cancelAllTimers(into actions: inout [SSTPAction]) {
        for timer in SSTPTimer.allCases {
            self.cancelTimer(timer, into: &actions)
        }
    }

    /// Records that `timer` fired; `false` if it was not running (a late expiry after a cancel), which the caller
    /// then ignores.
    mutating func timerExpired(_ timer: SSTPTimer) -> Bool {
        self.runningTimers.remove(timer) != nil
    }

    // MARK: Hello timer (§3.1.2.3)

    /// Starts the Hello timer on entering the connected state.
    mutating func startHello(into actions: inout [SSTPAction]) {
        self.packetReceivedSinceHello = false
        self.echoRequestOutstanding = false
        self.startTimer(.hello, into: &actions)
    }

    /// Notes an Echo Response.
    mutating func echoResponseReceived() {
        self.echoRequestOutstanding = false
    }

    /// The Hello timer fired.
    ///
    /// > The timer is restarted after receiving an SSTP packet [...]. On expiry of the Hello timer, the SSTP peer
    /// > MUST send an Echo Request packet. [...] If the SSTP far end does not respond with an Echo Response (or any
    /// > SSTP packet) within the next timer interval, then it MUST abort the connection without sending a Call
    /// > Abort packet.
    ///
    /// Restarting a timer for every data packet would cost the adapter a cancel and a schedule per packet, so a
    /// flag stands in for the restart: if anything arrived during the interval, the timer is simply started again.
    /// An Echo Request therefore goes out after one to two intervals of silence rather than exactly one.
    mutating func helloTimerExpired() -> SSTPTeardownTransition {
        var actions: [SSTPAction] = []
        if self.packetReceivedSinceHello {
            self.startHello(into: &actions)
            return .stay(actions)
        }
        if self.echoRequestOutstanding {
            return .close(self.close(.helloTimeout))
        }
        self.echoRequestOutstanding = true
        actions.append(.send(.echoRequest))
        self.startTimer(.hello, into: &actions)
        return .stay(actions)
    }

    // MARK: Procedures

    /// The abort procedure of §3.1.5.1: "Change CurrentState to Call_Abort_In_Progress_1. Send an
    /// SSTP_MSG_CALL_ABORT message. Start the TIMER_VAL_ABORT_STATE_TIMER_1 timer. Change CurrentState to
    /// Call_Abort_Pending." Every other timer stops: the call is over.
    mutating func abort(_ reason: SSTPAbortReason) -> SSTPTeardownTransition {
        var actions: [SSTPAction] = []
        self.cancelAllTimers(into: &actions)
        actions.append(.send(.callAbort(reason.statusInfo)))
        self.startTimer(.abortStateTimer1, into: &actions)
        self.closeReason = .callAborted(reason)
        return .enter(.callAbortPending, actions)
    }

    /// The disconnect procedure of §3.2.4.2 (the server's is the same, §3.3.4): "the SSTP peer changes CurrentState
    /// to Call_Disconnect_In_Progress_1. Upon entering this state, the SSTP peer sends an SSTP_MSG_CALL_DISCONNECT
    /// to the SSTP far end, starts the TIMER_VAL_DISCONNECT_STATE_TIMER_1 timer and then updates CurrentState to
    /// Call_Disconnect_Ack_Pending."
    mutating func disconnect() -> SSTPTeardownTransition {
        var actions: [SSTPAction] = []
        self.cancelAllTimers(into: &actions)
        actions.append(.send(.callDisconnect))
        self.startTimer(.disconnectStateTimer1, into: &actions)
        self.closeReason = .callDisconnected(acknowledged: false)
        return .enter(.callDisconnectAckPending, actions)
    }

    /// Cancels every timer and closes the transport.
    mutating func close(_ reason: SSTPCloseReason) -> [SSTPAction] {
        var actions: [SSTPAction] = []
        self.cancelAllTimers(into: &actions)
        actions.append(.closeTransport(reason))
        return actions
    }

    // MARK: Teardown messages; `teardown` is nil while the call is being established or is connected.

    /// §3.2.5.3.4 / §3.3.5.2.4, receiving SSTP_MSG_CALL_ABORT.
    mutating func receiveCallAbort(
        _ statusInfo: SSTPStatusInfo?,
        in teardown: SSTPTeardownState?
    )
        -> SSTPTeardownTransition
    {
        var actions: [SSTPAction] = []
        switch teardown {
        case .callAbortPending:
            // "Stop the TIMER_VAL_ABORT_STATE_TIMER_1 timer. Start the TIMER_VAL_ABORT_STATE_TIMER_2 timer."
            self.cancelTimer(.abortStateTimer1, into: &actions)
            self.startTimer(.abortStateTimer2, into: &actions)
            return .enter(.callAbortTimeoutPending, actions)
        case .callAbortTimeoutPending, .callDisconnectTimeoutPending:
            return .ignore
        case .callDisconnectAckPending, nil:
            // Call_Abort_In_Progress_2: "Send an SSTP_MSG_CALL_ABORT message. Start the
            // TIMER_VAL_ABORT_STATE_TIMER_2 timer."
            self.cancelAllTimers(into: &actions)
            actions.append(.send(.callAbort(nil)))
            self.startTimer(.abortStateTimer2, into: &actions)
            self.closeReason = .callAbortedByPeer(statusInfo)
            return .enter(.callAbortTimeoutPending, actions)
        }
    }

    /// §3.2.5.3.5 / §3.3.5.2.5, receiving SSTP_MSG_CALL_DISCONNECT. The far end "MUST acknowledge the disconnect
    /// request by sending SSTP_MSG_CALL_DISCONNECT_ACK regardless of the value of CurrentState" (§3.2.4.2), except
    /// in the states where the message is ignored.
    mutating func receiveCallDisconnect(
        _ statusInfo: SSTPStatusInfo?,
        in teardown: SSTPTeardownState?
    )
        -> SSTPTeardownTransition
    {
        var actions: [SSTPAction] = []
        switch teardown {
        case .callAbortTimeoutPending, .callAbortPending, .callDisconnectTimeoutPending:
            return .ignore
        case .callDisconnectAckPending:
            // Both ends disconnected at once; ours stays the recorded reason.
            self.cancelTimer(.disconnectStateTimer1, into: &actions)
        case nil:
            self.cancelAllTimers(into: &actions)
            self.closeReason = .callDisconnectedByPeer(statusInfo)
        }
        // Call_Disconnect_In_Progress_2.
        actions.append(.send(.callDisconnectAck))
        self.startTimer(.disconnectStateTimer2, into: &actions)
        return .enter(.callDisconnectTimeoutPending, actions)
    }

    /// §3.2.5.3.6 / §3.3.5.2.6, receiving SSTP_MSG_CALL_DISCONNECT_ACK.
    mutating func receiveCallDisconnectAck(in teardown: SSTPTeardownState?) -> SSTPTeardownTransition {
        switch teardown {
        case .callDisconnectAckPending:
            // "Immediately clear the connection state to clean up the connection."
            return .close(self.close(.callDisconnected(acknowledged: true)))
        case .callAbortPending, .callAbortTimeoutPending, .callDisconnectTimeoutPending:
            return .ignore
        case nil:
            return self.abort(.unexpectedMessage(.callDisconnectAck))
        }
    }

    /// §3.1.6.1 / §3.1.6.2: when any abort or disconnect timer expires the connection is cleaned up.
    mutating func teardownTimerExpired(_ timer: SSTPTimer) -> SSTPTeardownTransition {
        switch timer {
        case .abortStateTimer1, .abortStateTimer2, .disconnectStateTimer2:
            return .close(self.close(self.closeReason))
        case .disconnectStateTimer1:
            return .close(self.close(.callDisconnected(acknowledged: false)))
        case .negotiation, .hello:
            return .ignore
        }
    }
}
