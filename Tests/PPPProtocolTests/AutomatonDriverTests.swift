import NIOCore
import PPPProtocol
import Testing

/// A minimal policy: we request option 1 = [1]; the peer's option 1 is acceptable, option 2 must be [2]
/// (Nak'd otherwise), anything else is Rejected.
struct TestPolicy: OptionNegotiationPolicy {
    static let isLinkControlProtocol = false
    var acks = 0
    var naks = 0
    var giveUpOnNak = false

    func configureRequestOptions() -> [ConfigurationOption] { [ConfigurationOption(type: 1, data: [1])] }

    mutating func judgeConfigureRequest(_ options: [ConfigurationOption]) -> ConfigureRequestVerdict {
        let rejects = options.filter { $0.type > 2 }
        if !rejects.isEmpty { return .reject(rejects) }
        if options.contains(where: { $0.type == 2 && $0.data != [2] }) {
            return .nak([ConfigurationOption(type: 2, data: [2])])
        }
        return .ack
    }

    mutating func receiveConfigureAck(_ options: [ConfigurationOption]) { self.acks += 1 }

    mutating func receiveConfigureNak(_ options: [ConfigurationOption], consecutiveNaks: Int) -> NegotiationProgress {
        self.naks += 1
        return self.giveUpOnNak ? .giveUp : .retry
    }

    mutating func receiveConfigureReject(_ options: [ConfigurationOption]) -> NegotiationProgress { .retry }
}

typealias TestAutomaton = OptionNegotiationAutomaton<TestPolicy>

extension AutomatonOutput {
    var sentPacket: ControlPacket? {
        if case .send(let packet) = self { return packet }
        return nil
    }
}

struct AutomatonDriverTests {
    static let ourRequest = ControlPacket(code: .configureRequest, identifier: 1, options: [ConfigurationOption(type: 1, data: [1])])

    func opening() -> TestAutomaton {
        var automaton = TestAutomaton(policy: TestPolicy())
        #expect(automaton.up().isEmpty)
        #expect(automaton.state == .closed)
        #expect(automaton.open() == [.send(Self.ourRequest), .startRestartTimer(seconds: 3)])
        #expect(automaton.state == .requestSent)
        return automaton
    }

    func opened() -> TestAutomaton {
        var automaton = self.opening()
        _ = automaton.receive(ControlPacket(code: .configureAck, identifier: 1, options: [ConfigurationOption(type: 1, data: [1])]))
        _ = automaton.receive(ControlPacket(code: .configureRequest, identifier: 9, options: []))
        #expect(automaton.state == .opened)
        return automaton
    }

    @Test func fullOpenSequence() {
        var automaton = self.opening()
        // RFC 1661 §5.2: a Configure-Ack must match the Identifier and the Options exactly.
        #expect(automaton.receive(ControlPacket(code: .configureAck, identifier: 2, options: [ConfigurationOption(type: 1, data: [1])])).isEmpty)
        #expect(automaton.receive(ControlPacket(code: .configureAck, identifier: 1, options: [ConfigurationOption(type: 1, data: [9])])).isEmpty)
        #expect(automaton.state == .requestSent)
        #expect(automaton.receive(ControlPacket(code: .configureAck, identifier: 1, options: [ConfigurationOption(type: 1, data: [1])])).isEmpty)
        #expect(automaton.state == .ackReceived)
        #expect(automaton.policy.acks == 1)
        // A duplicate Ack is discarded.
        #expect(automaton.receive(ControlPacket(code: .configureAck, identifier: 1, options: [ConfigurationOption(type: 1, data: [1])])).isEmpty)
        #expect(automaton.state == .ackReceived)

        let request = ControlPacket(code: .configureRequest, identifier: 7, options: [ConfigurationOption(type: 2, data: [2])])
        let outputs = automaton.receive(request)
        #expect(
            outputs == [
                .send(ControlPacket(code: .configureAck, identifier: 7, data: request.data)),
                .thisLayerUp,
                .cancelRestartTimer,
            ]
        )
        #expect(automaton.state == .opened)
    }

    @Test func maxConfigureThenTimeoutFinishes() {
        var automaton = self.opening()
        var identifiers: [UInt8] = [1]
        for _ in 0..<9 {
            let outputs = automaton.timeout()
            #expect(outputs.count == 2)
            identifiers.append(outputs[0].sentPacket!.identifier)
        }
        // Ten Configure-Requests (Max-Configure), each with a new Identifier.
        #expect(identifiers == Array(1...10))
        #expect(automaton.timeout() == [.thisLayerFinished, .cancelRestartTimer])
        #expect(automaton.state == .stopped)
        #expect(automaton.terminationReason == .negotiationTimeout)
        #expect(automaton.timeout().isEmpty)  // a stale timer
    }

    @Test func maxFailureConvertsNakToReject() {
        var automaton = self.opening()
        let bad = [ConfigurationOption(type: 1, data: [5]), ConfigurationOption(type: 2, data: [9])]
        for identifier in UInt8(10)..<15 {
            let outputs = automaton.receive(ControlPacket(code: .configureRequest, identifier: identifier, options: bad))
            #expect(outputs == [.send(ControlPacket(code: .configureNak, identifier: identifier, options: [ConfigurationOption(type: 2, data: [2])]))])
        }
        // RFC 1661 §4.6: after Max-Failure (5) Naks, the Nak becomes a Reject of the offending option.
        let outputs = automaton.receive(ControlPacket(code: .configureRequest, identifier: 15, options: bad))
        #expect(outputs == [.send(ControlPacket(code: .configureReject, identifier: 15, options: [bad[1]]))])
        // An Ack resets the count.
        _ = automaton.receive(ControlPacket(code: .configureRequest, identifier: 16, options: [bad[0]]))
        #expect(automaton.state == .ackSent)
        let again = automaton.receive(ControlPacket(code: .configureRequest, identifier: 17, options: bad))
        #expect(again.first?.sentPacket?.code == .configureNak)
    }

    @Test func nakTriggersNewRequestWithNewIdentifier() {
        var automaton = self.opening()
        let outputs = automaton.receive(ControlPacket(code: .configureNak, identifier: 1, options: [ConfigurationOption(type: 1, data: [3])]))
        #expect(outputs.count == 2)
        #expect(outputs[0].sentPacket?.identifier == 2)
        #expect(automaton.policy.naks == 1)
        // A Nak for the old Identifier is now stale.
        #expect(automaton.receive(ControlPacket(code: .configureNak, identifier: 1, options: [])).isEmpty)
        // A Reject must list options we actually sent.
        #expect(automaton.receive(ControlPacket(code: .configureReject, identifier: 2, options: [ConfigurationOption(type: 4)])).isEmpty)
        #expect(automaton.policy.naks == 1)
    }

    @Test func policyGivingUpCloses() {
        var policy = TestPolicy()
        policy.giveUpOnNak = true
        var automaton = TestAutomaton(policy: policy)
        _ = automaton.up()
        _ = automaton.open()
        let outputs = automaton.receive(ControlPacket(code: .configureNak, identifier: 1, options: []))
        #expect(outputs.first?.sentPacket?.code == .terminateRequest)
        #expect(automaton.state == .closing)
        #expect(automaton.terminationReason == .negotiationFailed)
    }

    @Test func peerTerminateInOpened() {
        var automaton = self.opened()
        let outputs = automaton.receive(ControlPacket(code: .terminateRequest, identifier: 0x42))
        // tld, zrc, sta/5: the Terminate-Ack echoes the Identifier; the timer gives the peer time to read it.
        #expect(
            outputs == [
                .thisLayerDown,
                .send(ControlPacket(code: .terminateAck, identifier: 0x42)),
                .startRestartTimer(seconds: 3),
            ]
        )
        #expect(automaton.state == .stopping)
        #expect(automaton.timeout() == [.thisLayerFinished, .cancelRestartTimer])
        #expect(automaton.state == .stopped)
        #expect(automaton.terminationReason == .peerTerminated)
    }

    @Test func administrativeCloseWithMaxTerminate() {
        var automaton = self.opened()
        let outputs = automaton.close()
        #expect(outputs.count == 3)
        #expect(outputs[0] == .thisLayerDown)
        #expect(outputs[1].sentPacket?.code == .terminateRequest)
        #expect(automaton.state == .closing)
        // Max-Terminate = 2 Terminate-Requests in all.
        #expect(automaton.timeout().first?.sentPacket?.code == .terminateRequest)
        #expect(automaton.timeout() == [.thisLayerFinished, .cancelRestartTimer])
        #expect(automaton.state == .closed)
        #expect(automaton.terminationReason == .administrative)
    }

    @Test func terminateAckFinishesClosing() {
        var automaton = self.opened()
        _ = automaton.close()
        #expect(automaton.receive(ControlPacket(code: .terminateAck, identifier: 3)) == [.thisLayerFinished, .cancelRestartTimer])
        #expect(automaton.state == .closed)
    }

    @Test func unknownCodeIsCodeRejected() throws {
        var automaton = self.opened()
        // For an NCP, code 9 (Echo-Request) is unknown (RFC 1661 §5.6).
        let outputs = automaton.receive(ControlPacket(code: .echoRequest, identifier: 5, data: ByteBuffer(bytes: [1, 2, 3, 4])))
        let reject = try #require(outputs.first?.sentPacket)
        #expect(reject.code == .codeReject)
        #expect(reject.data.bytesArray == bytes("09 05 00 08 01 02 03 04"))
        #expect(automaton.state == .opened)
    }

    @Test func catastrophicCodeReject() {
        var automaton = self.opening()
        // A Code-Reject of Configure-Request (code 1) is RXJ-: tlf/3.
        let outputs = automaton.receive(ControlPacket(code: .codeReject, identifier: 1, data: buffer("01 01 00 04")))
        #expect(outputs == [.thisLayerFinished, .cancelRestartTimer])
        #expect(automaton.state == .stopped)
        #expect(automaton.terminationReason == .rejectedByPeer)
    }

    @Test func permittedCodeReject() {
        var automaton = self.opened()
        #expect(automaton.receive(ControlPacket(code: .codeReject, identifier: 1, data: buffer("0C 01 00 04"))).isEmpty)
        #expect(automaton.state == .opened)
    }

    @Test func closedAnswersRequestsWithTerminateAck() {
        var automaton = TestAutomaton(policy: TestPolicy())
        _ = automaton.up()
        #expect(automaton.receive(ControlPacket(code: .configureRequest, identifier: 3, options: [])) == [.send(ControlPacket(code: .terminateAck, identifier: 3))])
        #expect(automaton.state == .closed)
    }

    @Test func malformedRequestIsDiscarded() {
        var automaton = self.opening()
        #expect(automaton.receive(ControlPacket(code: .configureRequest, identifier: 3, data: buffer("01 01"))).isEmpty)
        #expect(automaton.state == .requestSent)
    }
}
