import AddressPool
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// Bad input gets a clean refusal, is counted, and never disturbs other sessions.
@Suite("Hostile input against a running gateway")
struct HostileInputTests {
    @Test(
        "framing errors drop only that connection; an established session keeps working",
        arguments: [
            ("bad version", [0x20, 0x01, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00] as [UInt8]),
            ("length under 4", [0x10, 0x00, 0x00, 0x03]),
            ("length over 4095", [0x10, 0x00, 0x10, 0x00]),
        ])
    func framingErrors(name: String, bytes: [UInt8]) async throws {
        let gateway = try await InProcessGateway.start()
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let hostile = try await RawTLSClient.connect(port: gateway.port, group: gateway.group)
        try await hostile.send(RawTLSClient.sstpRequest + bytes)
        try await withTimeout(10, "server closes the hostile connection") { try await hostile.channel.closeFuture.get() }
        #expect(hostile.receivedText.hasPrefix("HTTP/1.1 200 OK\r\n"))
        // Nothing after the HTTP response: a framing error is answered by closing TCP, not by a message.
        #expect(hostile.receivedText.hasSuffix("\r\n\r\n"))
        #expect(gateway.server.counters.framingErrors.load(ordering: .relaxed) == 1)
        // The established session still passes traffic, and a new client still connects.
        #expect(await ping(through: tunnel))
        #expect(gateway.server.state.sessions().map(\.user) == ["alice"])
        let report = await CheckMode.check(
            configuration: gateway.dialConfiguration(user: "bob", password: "bob-password"),
            pingTargets: [Fixtures.hostAddress.description], count: 1, logger: quietLogger, group: gateway.group,
            output: { _ in })
        #expect(report.ok)
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("a packet whose length runs past the data waits for more bytes and times out on the negotiation timer")
    func truncatedPacketWaits() async throws {
        let gateway = try await InProcessGateway.start { $0.negotiationTimeout = 5 }
        let hostile = try await RawTLSClient.connect(port: gateway.port, group: gateway.group)
        // A Call Connect Request header claiming 14 bytes, with only 6 sent.
        try await hostile.send(RawTLSClient.sstpRequest + [0x10, 0x01, 0x00, 0x0E, 0x00, 0x01])
        try await withTimeout(20, "negotiation timeout closes the connection") {
            try await hostile.channel.closeFuture.get()
        }
        // §3.3.6.1: the negotiation timer runs the abort procedure: Call Abort (type 5) is the last packet.
        let bytes = hostile.received.withLockedValue { $0 }
        let head = Array("\r\n\r\n".utf8)
        let bodyStart = try #require(bytes.indices.first { Array(bytes[$0..<min($0 + 4, bytes.count)]) == head }) + 4
        let body = Array(bytes[bodyStart...])
        #expect(body.count >= 8)
        #expect(Array(body.prefix(2)) == [0x10, 0x01])
        #expect(Array(body[4..<6]) == [0x00, 0x05])
        try await gateway.stop()
    }

    @Test(
        "requests other than SSTP_DUPLEX_POST to the SSTP path get a small HTTP error and a close",
        arguments: [
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "405"),
            ("SSTP_DUPLEX_POST /other/ HTTP/1.1\r\nHost: x\r\n\r\n", "404"),
            ("BREW /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: x\r\n\r\n", "501"),
            ("this is not http\r\n\r\n", "400"),
        ])
    func httpRefusals(request: String, status: String) async throws {
        let gateway = try await InProcessGateway.start()
        let client = try await RawTLSClient.connect(port: gateway.port, group: gateway.group)
        try await client.send(Array(request.utf8))
        try await withTimeout(10, "server closes") { try await client.channel.closeFuture.get() }
        let text = client.receivedText
        #expect(text.hasPrefix("HTTP/1.1 \(status) "))
        #expect(text.contains("Content-Length: 0\r\n"))
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }

    @Test("a client that never sends its HTTP head is cut off at the handshake deadline")
    func slowHTTPHead() async throws {
        let gateway = try await InProcessGateway.start { $0.handshakeTimeout = 2 }
        let client = try await RawTLSClient.connect(port: gateway.port, group: gateway.group)
        // On a loaded machine the deadline may pass during TLS already; then this write fails, which is fine.
        try? await client.send(Array("SSTP_DUPLEX_POST /sra_".utf8))
        try await withTimeout(10, "deadline closes the connection") { try await client.channel.closeFuture.get() }
        #expect(client.receivedText.isEmpty)
        #expect(gateway.server.counters.handshakeTimeouts.load(ordering: .relaxed) == 1)
        try await gateway.stop()
    }
}
