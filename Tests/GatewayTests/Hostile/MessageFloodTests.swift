import AddressPool
import Foundation
import NIOCore
import NIOPosix
import SSTPProtocol
import SSTPServer
import Synchronization
import Testing

/// Is `message` a Call Abort whose Status Info says `status` about `attribute` (MS-SSTP §2.2.8, §3.1.5.1)?
func isCallAbort(_ message: SSTPControlMessage?, _ status: SSTPStatus, about attribute: SSTPAttributeID = .statusInfo)
    -> Bool
{
    message?.messageType == .callAbort && message?.statusInfo == SSTPStatusInfo(attributeID: attribute, status: status)
}

/// Floods of SSTP control messages: Call Connect Requests on one connection and across many, Echo Requests from a
/// connected client that reads and from one that does not.
@Suite("Hostile clients: Connect Request and Echo Request floods", .serialized)
struct HostileMessageFloodTests {
    @Test("50 Call Connect Requests on one connection: one Ack, then Call Abort (unaccepted frame), the rest ignored")
    func connectRequestFloodOnOneConnection() async throws {
        let gateway = try await InProcessGateway.start()
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        async let during = legitimateClientProblem(gateway)
        var flood = ByteBuffer()
        for _ in 0..<50 { flood.writeSSTPControlMessage(.callConnectRequest) }
        try await hostile.send(flood)

        // §3.3.5.2.2: the first is acknowledged; a Connect Request in Server_Call_Connected_Pending runs the abort
        // procedure (§3.1.5.1); in Call_Abort_Pending the rest are ignored.
        #expect(await hostile.nextControl()?.messageType == .callConnectAck)
        let abort = await hostile.nextControl()
        #expect(isCallAbort(abort, .unacceptedFrameReceived))
        let problem = await during
        #expect(problem == nil, "during the attack: \(problem ?? "")")
        // The peer's Call Abort completes the procedure (§3.3.5.2.4): the server closes after timer 2, sending no
        // more control messages.
        try? await hostile.send(.callAbort(nil))  // the server may already have closed (abort timer 1, 3 s)
        let rest = await hostile.controlMessagesUntilClosed()
        #expect(rest == [])
        #expect(gateway.server.counters.callAborts.load(ordering: .relaxed) == 1)
        #expect(gateway.logs.contains("aborting the call", "reason", "unexpected SSTP_MSG_CALL_CONNECT_REQUEST"))
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("unacceptable Call Connect Requests: NAKed max_connect_retries times, then Call Abort (retry count exceeded)")
    func unacceptableConnectRequestFlood() async throws {
        let gateway = try await InProcessGateway.start()  // sstp.max_connect_retries = 3
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        async let during = legitimateClientProblem(gateway)
        let wrongProtocol = SSTPControlMessage(
            .callConnectRequest, attributes: [.encapsulatedProtocolID(SSTPEncapsulatedProtocolID(rawValue: 0x0002))])
        var flood = ByteBuffer()
        for _ in 0..<20 { flood.writeSSTPControlMessage(wrongProtocol) }
        try await hostile.send(flood)
        // §3.3.5.2.2: each NAK names the attribute and the value proposed; the fourth runs the abort procedure.
        let nak = SSTPControlMessage.callConnectNak([
            SSTPStatusInfo(attributeID: .encapsulatedProtocolID, status: .valueNotSupported, value: [0x00, 0x02])
        ])
        for _ in 0..<3 { #expect(await hostile.nextControl() == nak) }
        #expect(isCallAbort(await hostile.nextControl(), .retryCountExceeded))
        try? await hostile.send(.callAbort(nil))  // the server may already have closed (abort timer 1, 3 s)
        #expect(await hostile.controlMessagesUntilClosed() == [])
        let problem = await during
        #expect(problem == nil, "during the attack: \(problem ?? "")")
        #expect(gateway.logs.contains("aborting the call", "reason", "retry count exceeded"))
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("Call Connect Requests across 120 connections from 6 addresses: each answered, the caps hold the rest")
    func connectRequestFloodAcrossConnections() async throws {
        let gateway = try await InProcessGateway.start {
            $0.maxUnauthenticatedPerAddress = 10
            $0.maxUnauthenticated = 40
            // No handshake or negotiation deadline gets there before the caps, however slow the machine.
            $0.handshakeTimeout = 300
            $0.negotiationTimeout = 600
        }
        let counters = gateway.server.counters
        var acked = 0
        var refusedAtAccept = 0
        var connections: [HostileConnection] = []
        for index in 0..<120 {
            let connection = try await HostileConnection.open(
                port: gateway.port, from: "127.0.2.\(index % 6 + 1)", group: gateway.group)
            connections.append(connection)
            do {
                try await connection.startSSTP()
            } catch {
                // Refused at accept (closed before TLS, nothing received), or closed later to make room.
                #expect(connection.received.isEmpty || connection.isClosed)
                refusedAtAccept += 1
                continue
            }
            try? await connection.send(.callConnectRequest)
            if await connection.nextControl()?.messageType == .callConnectAck { acked += 1 }
        }
        // Every connection either got its Ack or was refused / evicted by the caps; never more than 40 are held.
        let refused = counters.unauthenticatedPerAddressRefusals.load(ordering: .relaxed)
        let evicted = counters.unauthenticatedEvictions.load(ordering: .relaxed)
        #expect(acked + refusedAtAccept == 120)
        #expect(acked == 120, "each newcomer gets in; the oldest is closed instead")
        // Sequential connects from 6 addresses round-robin: the oldest make room. On a slow machine (a sanitizer build
        // takes ~50 s here) the oldest may first reach PPP's retry limit (LCP Configure-Requests unanswered for ~30 s)
        // and be aborted, which frees its place without an eviction.
        let aborted = counters.callAborts.load(ordering: .relaxed)
        #expect(evicted + aborted == 120 - 40, "\(evicted) evicted, \(aborted) aborted")
        #expect(refused == 0)
        let all = connections
        #expect(await eventually { all.filter { !$0.isClosed }.count == 40 })
        #expect(await eventually { gateway.server.state.count == 40 })

        let during = await legitimateClientProblem(gateway)
        #expect(during == nil, "during the attack: \(during ?? "")")
        for connection in connections { await connection.close() }
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("an Echo Request flood before Call Connected is an unaccepted frame: Call Abort")
    func echoFloodBeforeConnected() async throws {
        let gateway = try await InProcessGateway.start()
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        var flood = ByteBuffer()
        for _ in 0..<1000 { flood.writeSSTPControlMessage(.echoRequest) }
        try await hostile.send(flood)
        async let during = legitimateClientProblem(gateway)
        // §3.3.5.2.7 answers Echo Requests only in Server_Call_Connected; the rest fall in Call_Abort_Pending.
        #expect(isCallAbort(await hostile.nextControl(), .unacceptedFrameReceived))
        try? await hostile.send(.callAbort(nil))  // the server may already have closed (abort timer 1, 3 s)
        #expect(await hostile.controlMessagesUntilClosed() == [])
        let problem = await during
        #expect(problem == nil, "during the attack: \(problem ?? "")")
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("10 000 Echo Requests from a connected client that reads: every one answered, the session stays up")
    func echoFloodAnswered() async throws {
        let gateway = try await InProcessGateway.start()
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        let session = try await hostile.connect(user: "alice", password: "alice-password")
        let count = 10_000
        var flood = ByteBuffer()
        for _ in 0..<count { flood.writeSSTPControlMessage(.echoRequest) }
        try await hostile.send(flood)
        async let during = legitimateClientProblem(gateway)
        // §3.3.5.2.7: "Send an SSTP_MSG_ECHO_RESPONSE message" for each one.
        var responses = 0
        while responses < count, let message = await hostile.nextControl(within: 60) {
            #expect(message.messageType == .echoResponse)
            if message.messageType != .echoResponse { break }
            responses += 1
        }
        #expect(responses == count)
        #expect(gateway.server.counters.echoResponsesDropped.load(ordering: .relaxed) == 0)
        let problem = await during
        #expect(problem == nil, "during the attack: \(problem ?? "")")
        // The flooding session itself still works: its traffic passes.
        try await hostile.sendIPv4(echoRequest(from: session.address.value, sequence: 9))
        #expect(await hostile.echoReplies(after: 9).contains(9))
        #expect(!hostile.isClosed)
        await hostile.close()
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("an Echo Request flood from a client that does not read: responses beyond the queue bound are dropped")
    func echoFloodNotRead() async throws {
        let gateway = try await InProcessGateway.start()
        let hostile = try await HostileConnection.open(
            port: gateway.port, from: "127.0.0.2", receiveBuffer: 4096, maximumSegment: 536, group: gateway.group)
        try await hostile.startSSTP()
        _ = try await hostile.connect(user: "alice", password: "alice-password")
        // Stop reading: the server's answers back up into its queue for this connection.
        try await hostile.channel.setOption(.autoRead, value: false).get()
        let counters = gateway.server.counters
        // 10 000 Echo Requests (80 kB) a round, until the responses exceed the 256 KiB queue bound plus the socket
        // buffers (with 536-byte segments the kernel keeps the server's send buffer small); after each round the
        // server gets a moment to catch up, so the flood overshoots little. Bounded in time.
        let giveUp = ContinuousClock.now + .seconds(120)
        while counters.echoResponsesDropped.load(ordering: .relaxed) == 0, ContinuousClock.now < giveUp {
            var flood = ByteBuffer()
            for _ in 0..<10_000 { flood.writeSSTPControlMessage(.echoRequest) }
            try await hostile.send(flood)
            _ = await eventually(within: 0.5) { counters.echoResponsesDropped.load(ordering: .relaxed) > 0 }
        }
        // During: the flood's answers are still queued (the client reads nothing); a fresh client gets through.
        let during = await legitimateClientProblem(gateway)
        #expect(during == nil, "during the attack: \(during ?? "")")
        #expect(counters.echoResponsesDropped.load(ordering: .relaxed) > 0, "Echo Responses were queued without bound")
        #expect(gateway.logs.contains("dropping Echo Responses: the client does not read them (Echo Request flood?)"))
        // Dropping answers is not a refusal of the session: it stays up.
        #expect(!hostile.isClosed)
        await hostile.close()
        #expect(await eventually { gateway.server.state.count == 0 })
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }
}
