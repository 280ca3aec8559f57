import Foundation
import NIOCore
import SSTPProtocol
import SSTPServer
import Synchronization
import Testing

/// Oversized, truncated and malformed input at every layer the client reaches before authenticating: the HTTP
/// head, SSTP framing (§3.1.5.1: drop TCP, send nothing), SSTP messages (§3.3.5.2.1: Call Abort; a Connect Request
/// with a bad attribute length: NAK), and PPP frames too large or of unknown protocols (dropped).
@Suite("Hostile clients: oversized, truncated and malformed packets", .serialized)
struct HostileMalformedPacketTests {
    enum Stage: Sendable {
        /// Sent instead of the HTTP request.
        case http
        /// Sent after the HTTP exchange (Server_Connect_Request_Pending).
        case connectRequestPending
        /// Sent after Call Connect Request and its Ack (Server_Call_Connected_Pending).
        case callConnectedPending
    }

    enum Outcome: Equatable, Sendable {
        /// An HTTP error status, then close.
        case http(Int)
        /// The TCP connection is dropped without a byte (§3.1.5.1 framing error).
        case droppedSilently
        /// §3.3.5.2.1: Call Abort with this Status Info.
        case abort(SSTPStatusInfo)
        /// §3.3.5.2.2: a NAK with this Status Info; the connection stays.
        case nak(SSTPStatusInfo)
        /// No answer; the stream stays in sync: a Call Connect Request sent next is acknowledged.
        case ignoredThenInSync
        /// The message is accepted as if well formed: the answer is this message.
        case answered(SSTPMessageType)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var stage: Stage
        var bytes: [UInt8]
        var outcome: Outcome
        /// Half-close our side after sending (a truncated packet that will never be completed).
        var hangUp = false
        var testDescription: String { name }
    }

    static let invalidFrame = SSTPStatusInfo(attributeID: .statusInfo, status: .invalidFrameReceived)
    /// A data packet of the largest length (4095) carrying a PPP frame of protocol 0x1234 (unknown).
    static let largestDataPacket: [UInt8] = [0x10, 0x00, 0x0F, 0xFF, 0xFF, 0x03, 0x12, 0x34] + [UInt8](repeating: 0xA5, count: 4087)

    static let cases: [Case] = [
        Case(
            name: "HTTP head larger than 4 KiB", stage: .http,
            bytes: Array("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n".utf8)
                + Array(String(repeating: "X-Padding: 0123456789012345678901234567890123456789\r\n", count: 200).utf8),
            outcome: .http(431)),
        Case(
            name: "HTTP request line longer than 1 KiB", stage: .http,
            bytes: Array(("SSTP_DUPLEX_POST /" + String(repeating: "a", count: 2000) + " HTTP/1.1\r\n").utf8),
            outcome: .http(414)),
        Case(name: "SSTP version byte 0x11", stage: .connectRequestPending, bytes: [0x11, 0x01, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00], outcome: .droppedSilently),
        Case(name: "SSTP length 3, below the header", stage: .connectRequestPending, bytes: [0x10, 0x01, 0x00, 0x03], outcome: .droppedSilently),
        Case(
            name: "truncated packet (Length 4095, 100 bytes sent), then the client hangs up", stage: .connectRequestPending,
            bytes: Array(largestDataPacket.prefix(100)), outcome: .droppedSilently, hangUp: true),
        Case(
            name: "control packet shorter than Message Type and Num Attributes", stage: .connectRequestPending,
            bytes: [0x10, 0x01, 0x00, 0x06, 0x00, 0x01], outcome: .abort(invalidFrame)),
        Case(
            name: "Num Attributes 5 with one attribute present", stage: .connectRequestPending,
            bytes: rawControl(type: 1, declaredAttributes: 5, attributes: [0, 1, 0, 6, 0, 1]), outcome: .abort(invalidFrame)),
        Case(
            name: "attribute Length runs past the packet", stage: .connectRequestPending,
            bytes: rawControl(type: 1, declaredAttributes: 1, attributes: [0, 1, 0, 0x40, 0, 1]), outcome: .abort(invalidFrame)),
        Case(
            name: "attribute Length below the attribute header", stage: .connectRequestPending,
            bytes: rawControl(type: 1, declaredAttributes: 1, attributes: [0, 1, 0, 2, 0, 1]), outcome: .abort(invalidFrame)),
        Case(
            name: "unknown message type 0x0077", stage: .connectRequestPending,
            bytes: rawControl(type: 0x77, declaredAttributes: 0, attributes: []), outcome: .abort(invalidFrame)),
        Case(
            name: "Encapsulated Protocol ID of length 7", stage: .connectRequestPending,
            bytes: rawControl(type: 1, declaredAttributes: 1, attributes: [0, 1, 0, 7, 0, 1, 0]),
            outcome: .nak(SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .invalidAttribValueLength))),
        Case(
            name: "Crypto Binding attribute of length 0x67 in Call Connected", stage: .callConnectedPending,
            bytes: rawControl(type: 4, declaredAttributes: 1, attributes: [0, 3, 0, 0x67] + [UInt8](repeating: 0, count: 0x63)),
            outcome: .abort(SSTPStatusInfo(attributeID: .cryptoBinding, status: .invalidAttribValueLength))),
        Case(
            name: "Length field with its reserved bits set (ignored on receipt)", stage: .connectRequestPending,
            bytes: [0x10, 0x01, 0xF0, 0x0E, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x00, 0x01],
            outcome: .answered(.callConnectAck)),
        Case(
            name: "a 4095-byte data packet of an unknown PPP protocol before the call", stage: .connectRequestPending,
            bytes: largestDataPacket, outcome: .ignoredThenInSync),
        Case(
            name: "200 largest data packets back to back before the call", stage: .connectRequestPending,
            bytes: Array([[UInt8]](repeating: largestDataPacket, count: 200).joined()), outcome: .ignoredThenInSync),
        Case(
            name: "LCP Configure-Requests of 4091 bytes (far above the MRU, bogus options) while authenticating", stage: .callConnectedPending,
            bytes: Array([[UInt8]](repeating: [0x10, 0x00, 0x0F, 0xFF, 0xFF, 0x03, 0xC0, 0x21, 0x01, 0x09, 0x0F, 0xF7] + [UInt8](repeating: 0x01, count: 4083), count: 20).joined()),
            outcome: .ignoredThenInSync),
    ]

    /// Plays one case; returns what went wrong, or nil.
    static func play(_ test: Case, _ hostile: HostileConnection) async throws -> String? {
        switch test.stage {
        case .http:
            break
        case .connectRequestPending:
            try await hostile.startSSTP()
        case .callConnectedPending:
            try await hostile.startSSTP()
            try await hostile.send(.callConnectRequest)
            guard await hostile.nextControl()?.messageType == .callConnectAck else { return "no Ack to the Connect Request" }
        }
        let before = hostile.received.count
        try await hostile.send(test.bytes)
        if test.hangUp { try await hostile.channel.close(mode: .output) }
        switch test.outcome {
        case .http(let status):
            guard await hostile.waitClosed() else { return "not closed after the HTTP error" }
            let text = String(decoding: hostile.received, as: UTF8.self)
            guard text.hasPrefix("HTTP/1.1 \(status) ") else { return "expected \(status), got \(text.prefix(40))" }
        case .droppedSilently:
            guard await hostile.waitClosed() else { return "not dropped" }
            guard hostile.received.count == before else { return "\(hostile.received.count - before) bytes sent before the drop" }
        case .abort(let statusInfo):
            let reply = await hostile.nextControl()
            guard reply == .callAbort(statusInfo) else { return "expected Call Abort \(statusInfo), got \(String(describing: reply))" }
            try? await hostile.send(.callAbort(nil))
            guard await hostile.controlMessagesUntilClosed() == [] else { return "more after the abort, or not closed" }
        case .nak(let statusInfo):
            let reply = await hostile.nextControl()
            guard reply == .callConnectNak([statusInfo]) else { return "expected NAK \(statusInfo), got \(String(describing: reply))" }
            // A NAK allows a retry: a correct Connect Request is now acknowledged.
            try await hostile.send(.callConnectRequest)
            guard await hostile.nextControl()?.messageType == .callConnectAck else { return "no Ack after the NAK" }
        case .ignoredThenInSync:
            if test.stage == .connectRequestPending {
                try await hostile.send(.callConnectRequest)
                let reply = await hostile.nextControl()
                guard reply?.messageType == .callConnectAck else { return "expected Ack, got \(String(describing: reply))" }
            } else {
                // Server_Call_Connected_Pending: a second Connect Request is unaccepted, so probe with a Call
                // Disconnect, which is answered in every state: nothing else may come before it.
                try await hostile.send(.callDisconnect)
                let reply = await hostile.nextControl()
                guard reply == .callDisconnectAck else { return "expected Disconnect Ack, got \(String(describing: reply))" }
            }
        case .answered(let type):
            let reply = await hostile.nextControl()
            guard reply?.messageType == type else { return "expected \(type), got \(String(describing: reply))" }
        }
        return nil
    }

    @Test("each malformed input gets the refusal MS-SSTP (or HTTP) prescribes", arguments: cases)
    func malformed(_ test: Case) async throws {
        let gateway = try await InProcessGateway.start()
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        async let during = legitimateClientProblem(gateway)
        let problem: String?
        do { problem = try await Self.play(test, hostile) } catch { problem = "\(error)" }
        #expect(problem == nil, "\(problem ?? "")")
        let duringProblem = await during
        #expect(duringProblem == nil, "during the attack: \(duringProblem ?? "")")

        // Counted and logged as the kind of error it is.
        let counters = gateway.server.counters
        switch test.outcome {
        case .droppedSilently where !test.hangUp:
            #expect(counters.framingErrors.load(ordering: .relaxed) == 1)
            #expect(failures(gateway, "framing") == 1)
            #expect(gateway.logs.contains("SSTP framing error, dropping connection"))
        case .abort:
            #expect(counters.callAborts.load(ordering: .relaxed) == 1)
            #expect(gateway.logs.contains("aborting the call"))
            #expect(counters.invalidMessages.load(ordering: .relaxed) == 1)
            #expect(failures(gateway, "framing") == 1)
            #expect(gateway.logs.contains("invalid SSTP control message"))
        case .nak:
            #expect(counters.invalidMessages.load(ordering: .relaxed) == 1)
            #expect(counters.callAborts.load(ordering: .relaxed) == 0)
        case .ignoredThenInSync, .answered:
            #expect(counters.framingErrors.load(ordering: .relaxed) == 0)
            #expect(counters.invalidMessages.load(ordering: .relaxed) == 0)
            #expect(counters.callAborts.load(ordering: .relaxed) == 0)
        case .http, .droppedSilently:
            break
        }
        if test.outcome == .ignoredThenInSync, test.stage == .connectRequestPending {
            // §3.3.5.2.3: data before the call are discarded, and counted against the session.
            let session = gateway.server.state.sessions().first { $0.peer.hasPrefix("127.0.0.2:") }
            #expect(session?.counters.otherDropped.load(ordering: .relaxed) == test.bytes.count / Self.largestDataPacket.count)
        }
        // Nothing of the hostile client's reached the network: the one packet written is the legitimate ping.
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 1)

        await hostile.close()
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }
}
