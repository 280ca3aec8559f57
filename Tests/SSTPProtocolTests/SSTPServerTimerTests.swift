import NIOCore
import SSTPProtocol
import Testing

@Suite("SSTP server state machine: timers and teardown")
struct SSTPServerTimerTests {
    static let negotiationTimeoutAbort = SSTPControlMessage.callAbort(
        SSTPStatusInfo(attributeID: .statusInfo, status: .negotiationTimeout)
    )

    @Test("negotiation timeout waiting for the Connect Request or for Call Connected aborts, then cleans up")
    func negotiationTimeout() {
        for var server in [ServerFixture.connectRequestPending(), ServerFixture.callConnectedPending()] {
            let actions = server.timerFired(.negotiation)
            #expect(
                actions == [.send(Self.negotiationTimeoutAbort), .startTimer(.abortStateTimer1, after: .seconds(3))]
            )
            #expect(server.callState == .callAbortPending)
            // §3.1.6.1: TIMER_VAL_ABORT_STATE_TIMER_1 expiry forces cleanup.
            #expect(server.timerFired(.abortStateTimer1) == [.closeTransport(.callAborted(.negotiationTimeout))])
            #expect(server.isClosed)
            #expect(server.callState == .serverCallDisconnected)
        }
    }

    @Test("the far end's Call Abort while ours is pending: timer 1 stops, timer 2 runs, then cleanup")
    func abortCollision() {
        var server = ServerFixture.callAbortPending()
        #expect(
            server.receive(.callAbort(nil))
                == [.cancelTimer(.abortStateTimer1), .startTimer(.abortStateTimer2, after: .seconds(1))]
        )
        #expect(server.callState == .callAbortTimeoutPending)
        #expect(server.timerFired(.abortStateTimer1) == [])  // cancelled: a late expiry is ignored
        #expect(
            server.timerFired(.abortStateTimer2) == [.closeTransport(.callAborted(.unexpectedMessage(.echoRequest)))]
        )
    }

    @Test("a Call Abort from the far end is answered, and the call is cleaned up after timer 2")
    func peerAbort() {
        var server = ServerFixture.callConnected()
        let status = SSTPStatusInfo(attributeID: .statusInfo, status: .unacceptedFrameReceived)
        #expect(
            server.receive(.callAbort(status))
                == [.cancelTimer(.hello), .send(.callAbort(nil)), .startTimer(.abortStateTimer2, after: .seconds(1))]
        )
        #expect(!server.mayRelay(.pppControl))
        #expect(server.timerFired(.abortStateTimer2) == [.closeTransport(.callAbortedByPeer(status))])
    }

    @Test("Call Disconnect from the far end: Ack, timer 2, cleanup")
    func peerDisconnect() {
        var server = ServerFixture.callConnected()
        #expect(
            server.receive(.callDisconnect)
                == [
                    .cancelTimer(.hello), .send(.callDisconnectAck),
                    .startTimer(.disconnectStateTimer2, after: .seconds(1)),
                ]
        )
        #expect(server.callState == .callDisconnectTimeoutPending)
        #expect(server.timerFired(.disconnectStateTimer2) == [.closeTransport(.callDisconnectedByPeer(.noError))])
    }

    @Test("we disconnect: Call Disconnect, timer 1; the Ack closes at once")
    func localDisconnectAcknowledged() {
        var server = ServerFixture.callConnected()
        #expect(
            server.disconnect()
                == [
                    .cancelTimer(.hello), .send(.callDisconnect),
                    .startTimer(.disconnectStateTimer1, after: .seconds(5)),
                ]
        )
        #expect(server.callState == .callDisconnectAckPending)
        #expect(server.disconnect() == [])
        #expect(
            server.receive(.callDisconnectAck)
                == [.cancelTimer(.disconnectStateTimer1), .closeTransport(.callDisconnected(acknowledged: true))]
        )
        #expect(server.isClosed)
        #expect(server.receive(.echoRequest) == [])
    }

    @Test("we disconnect and the Ack never comes: cleanup when timer 1 expires")
    func localDisconnectTimeout() {
        var server = ServerFixture.callConnected()
        _ = server.pppLinkDown()
        #expect(server.callState == .callDisconnectAckPending)
        #expect(server.timerFired(.disconnectStateTimer1) == [.closeTransport(.callDisconnected(acknowledged: false))])
    }

    @Test("both ends disconnect at once: our timer 1 stops, we Ack, timer 2 runs")
    func disconnectCollision() {
        var server = ServerFixture.callDisconnectAckPending()
        #expect(
            server.receive(.callDisconnect)
                == [
                    .cancelTimer(.disconnectStateTimer1), .send(.callDisconnectAck),
                    .startTimer(.disconnectStateTimer2, after: .seconds(1)),
                ]
        )
        #expect(server.timerFired(.disconnectStateTimer2) == [.closeTransport(.callDisconnected(acknowledged: false))])
    }

    @Test("disconnect during establishment sends Call Disconnect too (§3.2.4.2 'irrespective of the current state')")
    func disconnectDuringEstablishment() {
        var server = ServerFixture.callConnectedPending()
        #expect(
            server.disconnect()
                == [
                    .cancelTimer(.negotiation), .send(.callDisconnect),
                    .startTimer(.disconnectStateTimer1, after: .seconds(5)),
                ]
        )
    }

    @Test("Hello: silence → Echo Request; more silence → close without Call Abort")
    func echoTimeout() {
        var server = ServerFixture.callConnected()
        #expect(server.timerFired(.hello) == [.send(.echoRequest), .startTimer(.hello, after: .seconds(60))])
        #expect(server.timerFired(.hello) == [.closeTransport(.helloTimeout)])
        #expect(server.isClosed)
    }

    @Test("Hello: any packet during the interval keeps the call alive without an Echo Request")
    func trafficKeepsAlive() {
        var server = ServerFixture.callConnected()
        _ = server.receiveDataPacket(Fixture.ipFrame)
        #expect(server.timerFired(.hello) == [.startTimer(.hello, after: .seconds(60))])
        #expect(server.timerFired(.hello) == [.send(.echoRequest), .startTimer(.hello, after: .seconds(60))])
        #expect(server.receive(.echoResponse) == [])
        #expect(server.timerFired(.hello) == [.startTimer(.hello, after: .seconds(60))])
    }

    @Test("an Echo Request from the client counts as traffic and is answered")
    func echoRequestAnswered() {
        var server = ServerFixture.callConnected()
        #expect(server.receive(.echoRequest) == [.send(.echoResponse)])
        #expect(server.timerFired(.hello) == [.startTimer(.hello, after: .seconds(60))])
    }

    @Test("timers that are not running are ignored", arguments: SSTPTimer.allCases)
    func staleTimers(_ timer: SSTPTimer) {
        var server = ServerFixture.callConnected()
        if timer != .hello {
            #expect(server.timerFired(timer) == [])
            #expect(server.callState == .serverCallConnected)
        }
        var closed = ServerFixture.callConnected()
        _ = closed.transportClosed()
        #expect(closed.timerFired(timer) == [])
    }

    @Test("transport closed: timers cancelled, everything after is ignored")
    func transportClosed() {
        var server = ServerFixture.callConnectedPending()
        #expect(server.transportClosed() == [.cancelTimer(.negotiation)])
        #expect(server.isClosed)
        #expect(server.receive(.callConnectRequest) == [])
        #expect(server.innerAuthenticationCompleted(hlak: Fixture.msCHAPv2HLAK) == [])
        #expect(server.disconnect() == [])
        #expect(!server.mayRelay(.pppControl))
    }

    @Test("custom timer values are used")
    func customTimers() {
        let timers = SSTPTimerValues(negotiation: .seconds(10), abortStateTimer1: .milliseconds(500))
        var server = SSTPServerStateMachine(
            configuration: SSTPServerStateMachine.Configuration(
                certificateHashes: Fixture.certificateHashes,
                timers: timers
            ),
            nonce: Fixture.serverNonce
        )
        #expect(server.httpsEstablished() == [.startTimer(.negotiation, after: .seconds(10))])
        #expect(server.timerFired(.negotiation).last == .startTimer(.abortStateTimer1, after: .milliseconds(500)))
    }
}
