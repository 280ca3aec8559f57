import Foundation
import NIOCore
import SSTPProtocol
import SSTPServer
import Synchronization
import Testing

/// Every SSTP control message in every state a client can put the server in (MS-SSTP §3.3.5.2, §3.1.5.1): the
/// table says what the specification requires, and each row runs its nine messages on nine connections at once,
/// while a legitimate client connects.
@Suite("Hostile clients: control messages in every state", .serialized)
struct HostileWrongStateTests {
    /// Where the hostile connection puts the server before sending the message under test.
    enum State: String, CaseIterable, CustomTestStringConvertible, Sendable {
        /// After the HTTP exchange: waiting for Call Connect Request.
        case connectRequestPending
        /// After Call Connect Request and its Ack, before Call Connected (not authenticated).
        case callConnectedPending
        /// A verified call.
        case callConnected
        /// The client sent Call Disconnect; the server acknowledged and waits out its timer.
        case disconnectTimeoutPending
        /// The server ran the abort procedure and waits for the client's Call Abort.
        case abortPending

        var testDescription: String { rawValue }
    }

    /// What the server must do with one message.
    enum Outcome: Equatable, Sendable {
        /// The abort procedure: Call Abort with this status (AttribID = STATUS_INFO), then close after our Abort.
        case abort(SSTPStatus)
        /// §3.3.5.2.4: a Call Abort from the client is answered by a Call Abort without status; close after timer 2.
        case abortAnswered
        /// §3.3.5.2.5: Call Disconnect Ack regardless of state; close after timer 2.
        case disconnectAcknowledged
        /// The right message in the right state: this answer, and the connection stays up.
        case answered(SSTPMessageType)
        /// No answer, and the connection stays up.
        case acceptedSilently
        /// In a teardown state the message is ignored: nothing more is sent and the connection closes on its timer.
        case ignored
    }

    static let zeros = [UInt8](repeating: 0, count: 32)

    /// A well-formed instance of each message type a client could send.
    static func message(_ type: SSTPMessageType) -> SSTPControlMessage {
        switch type {
        case .callConnectRequest: .callConnectRequest
        case .callConnectAck: .callConnectAck(hashProtocols: .sha256, nonce: zeros)
        case .callConnectNak:
            .callConnectNak([SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .valueNotSupported)])
        case .callConnected:
            .callConnected(SSTPCryptoBinding(hashProtocol: .sha256, nonce: zeros, certificateHash: zeros, compoundMAC: zeros))
        case .callAbort: .callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .invalidFrameReceived))
        case .callDisconnect: .callDisconnect
        case .callDisconnectAck: .callDisconnectAck
        case .echoRequest: .echoRequest
        case .echoResponse: .echoResponse
        }
    }

    /// The table: MS-SSTP §3.3.5.2.1–§3.3.5.2.8 and the abort and disconnect procedures of §3.1.
    static func expected(_ type: SSTPMessageType, in state: State) -> Outcome {
        switch (state, type) {
        case (.disconnectTimeoutPending, _), (.abortPending, _):
            return .ignored
        case (_, .callAbort):
            return .abortAnswered
        case (_, .callDisconnect):
            return .disconnectAcknowledged
        case (.connectRequestPending, .callConnectRequest):
            return .answered(.callConnectAck)
        case (.callConnectedPending, .callConnected):
            // Held until PPP authentication gives the HLAK (§3.3.7.1); none comes, so the negotiation timer aborts.
            return .abort(.negotiationTimeout)
        case (.callConnected, .echoRequest):
            return .answered(.echoResponse)
        case (.callConnected, .echoResponse):
            return .acceptedSilently
        default:
            // Any other message in any other state: "the abort procedure" with ATTRIB_STATUS_UNACCEPTED_FRAME_RECEIVED.
            return .abort(.unacceptedFrameReceived)
        }
    }

    /// Runs one cell; returns what went wrong, or nil.
    static func run(_ type: SSTPMessageType, in state: State, gateway: InProcessGateway) async -> String? {
        do {
            let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
            let problem = try await runCell(type, in: state, hostile)
            await hostile.close()
            return problem
        } catch {
            return "\(error)"
        }
    }

    static func runCell(_ type: SSTPMessageType, in state: State, _ hostile: HostileConnection) async throws -> String? {
        do {
            try await hostile.startSSTP()
            var lead: [SSTPControlMessage] = []
            switch state {
            case .connectRequestPending:
                break
            case .callConnectedPending:
                try await hostile.send(.callConnectRequest)
                guard await hostile.nextControl()?.messageType == .callConnectAck else { return "no Ack" }
            case .callConnected:
                _ = try await hostile.connect(user: "alice", password: "alice-password")
            case .disconnectTimeoutPending:
                try await hostile.send(.callConnectRequest)
                guard await hostile.nextControl()?.messageType == .callConnectAck else { return "no Ack" }
                lead = [.callDisconnect]
            case .abortPending:
                lead = [.echoResponse]  // unaccepted in Server_Connect_Request_Pending: the server aborts
            }
            var out = ByteBuffer()
            for message in lead + [Self.message(type)] { out.writeSSTPControlMessage(message) }
            try await hostile.send(out)

            switch expected(type, in: state) {
            case .abort(let status):
                let reply = await hostile.nextControl(within: 60)
                guard isCallAbort(reply, status) else { return "expected Call Abort (\(status)), got \(String(describing: reply))" }
                try? await hostile.send(.callAbort(nil))
                let rest = await hostile.controlMessagesUntilClosed()
                guard rest == [] else { return "after the abort: \(String(describing: rest))" }
            case .abortAnswered:
                let messages = await hostile.controlMessagesUntilClosed()
                guard messages == [.callAbort(nil)] else { return "expected one Call Abort, got \(String(describing: messages))" }
            case .disconnectAcknowledged:
                let messages = await hostile.controlMessagesUntilClosed()
                guard messages == [.callDisconnectAck] else { return "expected Disconnect Ack, got \(String(describing: messages))" }
            case .answered(let answer):
                let reply = await hostile.nextControl()
                guard reply?.messageType == answer else { return "expected \(answer), got \(String(describing: reply))" }
                guard !hostile.isClosed else { return "closed after a valid message" }
            case .acceptedSilently:
                // Nothing in answer: the next thing the server sends is the response to a following Echo Request.
                try await hostile.send(.echoRequest)
                let reply = await hostile.nextControl()
                guard reply == .echoResponse, !hostile.isClosed else { return "expected silence, got \(String(describing: reply))" }
            case .ignored:
                // Only the message that led into the teardown state is answered; the one under test is not.
                let first: SSTPControlMessage = state == .abortPending
                    ? .callAbort(SSTPStatusInfo(attributeID: .statusInfo, status: .unacceptedFrameReceived))
                    : .callDisconnectAck
                let messages = await hostile.controlMessagesUntilClosed()
                guard messages == [first] else { return "expected only \(first.messageType), got \(String(describing: messages))" }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("every message type in each server state gets the answer MS-SSTP requires", arguments: State.allCases)
    func everyMessage(in state: State) async throws {
        // The held Call Connected in Server_Call_Connected_Pending waits for the negotiation timer: the shortest.
        let gateway = try await InProcessGateway.start {
            if state == .callConnectedPending { $0.negotiationTimeout = 5 }
        }
        let problems = await withTaskGroup(of: (String, String?).self) { group in
            for type in SSTPMessageType.allCases {
                group.addTask { ("\(type)", await Self.run(type, in: state, gateway: gateway)) }
            }
            // During: a legitimate client connects while the nine hostile connections run.
            group.addTask { ("legitimate client during the attack", await legitimateClientProblem(gateway)) }
            var problems: [String] = []
            for await (name, problem) in group {
                if let problem { problems.append("\(name): \(problem)") }
            }
            return problems
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // Counted: one Call Abort sent per cell that required one (an answer to the client's Abort included).
        let aborts = SSTPMessageType.allCases.filter { type in
            switch Self.expected(type, in: state) {
            case .abort, .abortAnswered: true
            default: false
            }
        }.count + (state == .abortPending ? SSTPMessageType.allCases.count : 0)
        #expect(gateway.server.counters.callAborts.load(ordering: .relaxed) == aborts)
        if aborts > 0 { #expect(gateway.logs.all.contains { $0.message == "aborting the call" }) }
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }
}
