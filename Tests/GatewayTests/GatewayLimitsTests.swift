import AddressPool
import Foundation
import IPPackets
import NIOCore
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// Gateway size limits (issue 4): the session limit refuses cleanly; the shared throughput cap polices.
@Suite("Gateway limits and DHCPINFORM")
struct GatewayLimitsTests {
    @Test("with a limit of N sessions, connection N+1 gets HTTP 503, is counted, and a slot frees on disconnect")
    func sessionLimit() async throws {
        let gateway = try await InProcessGateway.start { $0.maxSessions = 2 }
        let first = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let second = try await SSTPDialer.connect(
            gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group, logger: quietLogger)
        do {
            _ = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
            Issue.record("a third session was admitted")
        } catch let error as DialError {
            #expect(error.code == .httpRejected)
            #expect(error.detail.contains("503"))
        }
        #expect(gateway.server.counters.sessionLimitRefusals.load(ordering: .relaxed) == 1)
        #expect(await ping(through: first))
        await second.disconnect()
        // The freed slot is usable at once (the server side may still be closing: retry the dial once).
        let third: TunnelConnection
        do {
            third = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        } catch {
            third = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        }
        await third.disconnect()
        await first.disconnect()
        try await gateway.stop()
    }

    @Test("the SKU sets the session limit and the shared cap; explicit keys override it")
    func skuProfiles() throws {
        var c = ServerConfiguration()
        c.sku = "VpnGw1"
        #expect(c.effectiveMaxSessions == 128)
        #expect(c.effectiveAggregateBitsPerSecond == 650_000_000)
        c.maxSessions = 10
        c.aggregateMbps = 0
        #expect(c.effectiveMaxSessions == 10)
        #expect(c.effectiveAggregateBitsPerSecond == nil)
        c.sku = "VpnGw9"
        #expect(throws: ServerConfiguration.Error.self) { try c.validate() }
    }

    @Test("a shared cap polices a flood: what passes stays within the rate plus one burst")
    func aggregateCap() async throws {
        let gateway = try await InProcessGateway.start { $0.aggregateMbps = 1 }  // 125 000 bytes/s
        let limiter = try #require(gateway.server.limiter)
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        let started = Date()
        let packets = (1...300).map { sequence in
            ICMPEcho(
                kind: .echoRequest, identifier: 5, sequenceNumber: UInt16(sequence),
                payload: ByteBuffer(repeating: 0x33, count: 1372)
            ).makeIPv4Packet(source: tunnel.info.address.value, destination: Fixtures.hostAddress.value)
        }
        tunnel.send(packets)  // 300 × 1400 bytes = 420 000 bytes at once: more than three seconds' worth
        // A DHCPINFORM after the flood is answered by the gateway before the cap applies, and in order: its answer
        // means the server has judged every packet of the flood.
        let marker = await tunnel.requestRoutes(timeoutSeconds: 60)
        #expect(marker != nil)
        let elapsed = Date().timeIntervalSince(started)
        let written = gateway.device.packetsWritten.load(ordering: .relaxed)
        let dropped = limiter.droppedUplink.load(ordering: .relaxed)
        #expect(written + dropped == 300)
        #expect(written > 0)
        // Passed bytes within one burst (64 KiB) plus the rate over the elapsed time.
        let allowance = Double(64 * 1024) + 125_000 * elapsed + 1400
        #expect(Double(written * 1400) <= allowance)
        // Whenever the flood was more than the allowance some of it was dropped: always, unless the machine was so slow
        // (a sanitizer build) that sending it took about three seconds.
        if Double(300 * 1400) > allowance {
            #expect(dropped > 0, "\(elapsed) s")
        }
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("DHCPINFORM through the tunnel returns the configured routes, DNS servers and domain")
    func dhcpInform() async throws {
        let gateway = try await InProcessGateway.start {
            $0.routes = ["10.1.0.0/16", "10.2.0.0/16", "192.168.50.0/24"]
            $0.domain = "corp.example"
        }
        let report = await CheckMode.check(
            configuration: gateway.dialConfiguration(), pingTargets: [Fixtures.hostAddress.description], count: 1,
            logger: quietLogger, group: gateway.group, output: { _ in })
        #expect(report.ok)
        #expect(report.routes == ["10.1.0.0/16", "10.2.0.0/16", "192.168.50.0/24"])
        #expect(report.domain == "corp.example")
        // The DHCPINFORM was answered by the gateway, not forwarded to the network.
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 1)
        try await gateway.stop()
    }
}
