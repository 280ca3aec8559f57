import AddressPool
import Foundation
import NIOCore
import SSTPClient
import SSTPProtocol
import SSTPServer
import Synchronization
import Testing

/// Data-path attacks: IP packets before the call is connected (MS-SSTP §3.3.5.2.3: "all PPP data frames will be
/// ignored"), and packets whose inner source is not the client's own address (anti-spoofing).
@Suite("Hostile clients: data before Call Connected and spoofed sources", .serialized)
struct HostileDataPathTests {
    @Test("IP packets before Call Connected never reach the network, and are counted; after it, they do")
    func dataBeforeCallConnected() async throws {
        let gateway = try await InProcessGateway.start()
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        // Before the Connect Request (Server_Connect_Request_Pending): 10 echo requests.
        for sequence in UInt16(1)...10 {
            try await hostile.sendIPv4(echoRequest(from: IPv4Address(10, 77, 0, 2).value, sequence: sequence))
        }
        // Authenticated, IPCP up, but no Call Connected yet: 20 more, with the leased source address.
        let session = try await hostile.authenticate(user: "alice", password: "alice-password")
        for sequence in UInt16(11)...30 {
            try await hostile.sendIPv4(echoRequest(from: session.address.value, sequence: sequence))
        }
        // A probe the server answers in Server_Call_Connected_Pending only if it processed everything before it:
        // Call Connected itself. Its verification proves the earlier packets were judged (in order).
        async let during = legitimateClientProblem(gateway)
        try await hostile.send(session.callConnected())
        try await hostile.sendIPv4(echoRequest(from: session.address.value, sequence: 31))
        let replies = await hostile.echoReplies(after: 31)
        #expect(replies == [31], "only the packet after Call Connected was answered")
        let problem = await during
        #expect(problem == nil, "during the attack: \(problem ?? "")")

        let info = try #require(gateway.server.state.sessions().first { $0.user == "alice" })
        #expect(info.counters.otherDropped.load(ordering: .relaxed) == 30)
        #expect(info.counters.packetsIn.load(ordering: .relaxed) == 1)
        // The network saw the one genuine packet and the legitimate client's ping, nothing else.
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 2)
        await hostile.close()
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }

    @Test("spoofed inner sources (another client's address, a pool address, an outside address) are dropped and counted")
    func spoofedSources() async throws {
        let gateway = try await InProcessGateway.start()
        // A legitimate session whose address the attacker impersonates, and which must keep working.
        let victim = try await SSTPDialer.connect(
            gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group, logger: quietLogger)
        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        let session = try await hostile.connect(user: "alice", password: "alice-password")
        #expect(session.address != victim.info.address)

        let spoofed: [UInt32] = [
            victim.info.address.value, IPv4Address(10, 77, 0, 250).value, IPv4Address(8, 8, 8, 8).value,
            IPv4Address(10, 78, 0, 2).value, 0,
        ]
        var out = ByteBuffer()
        for (index, source) in spoofed.enumerated() {
            out.writeSSTPDataPacket(pppProtocol: 0x0021, payload: echoRequest(from: source, sequence: UInt16(100 + index)))
        }
        // Then a genuine one: its answer shows the server judged every packet before it.
        out.writeSSTPDataPacket(pppProtocol: 0x0021, payload: echoRequest(from: session.address.value, sequence: 200))
        try await hostile.send(out)
        #expect(await hostile.echoReplies(after: 200) == [200])

        // During: the impersonated client and a fresh one both pass traffic.
        #expect(await ping(through: victim, sequence: 7))
        let during = await legitimateClientProblem(gateway, user: "alice", password: "alice-password")
        #expect(during == nil, "during the attack: \(during ?? "")")

        // The refusal: dropped before the network, counted per session and gateway-wide, in the metrics.
        let info = try #require(gateway.server.state.sessions().first { $0.address == session.address })
        #expect(info.counters.spoofedDropped.load(ordering: .relaxed) == spoofed.count)
        #expect(gateway.server.counters.spoofedDropped.load(ordering: .relaxed) == spoofed.count)
        #expect(metric(gateway, #"sstpd_tun_dropped_packets_total{reason="spoofed"}"#) == Double(spoofed.count))
        // Written: the genuine packet, the victim's ping and the fresh client's ping.
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 3)

        await hostile.close()
        await victim.disconnect()
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }
}
