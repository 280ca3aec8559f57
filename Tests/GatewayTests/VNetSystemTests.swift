import Foundation
import Testing

/// Issue 4 end to end, as root: `sstpctl vnet up` builds two peered VNets (three subnets, four VMs) from real
/// namespaces; sstpd runs in the topology's gateway namespace with its TUN; `sstp-dial` in tunnel mode, in a client
/// namespace, learns its routes by DHCPINFORM and reaches every VM by ICMP, TCP echo and UDP echo.
@Suite("System: a client in a simulated VNet", .serialized)
struct VNetSystemTests {
    /// The documented example topology (docs/vnet.example.toml) with our gateway namespace, with or without its
    /// peering: the test exercises exactly what the docs and the demo use.
    static func topology(gateway: String, peered: Bool) throws -> String {
        var text = try String(
            contentsOf: Command.packageRoot.appendingPathComponent("docs/vnet.example.toml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "namespace = \"sstp-vnet-gw\"", with: "namespace = \"\(gateway)\"")
        if !peered {
            // Drop the [[peering]] table (up to the next table header).
            guard let start = text.range(of: "[[peering]]"), let end = text.range(of: "[gateway]") else {
                throw Command.Failure(description: "docs/vnet.example.toml changed shape: no [[peering]] before [gateway]")
            }
            text.removeSubrange(start.lowerBound..<end.lowerBound)
        }
        return text
    }

    static let vms = ["10.1.1.4", "10.1.1.5", "10.2.1.4", "10.2.1.5"]

    @Test("a client reaches every VM, gets its routes by DHCPINFORM, and loses the spoke when the peering goes")
    func clientInVNet() async throws {
        try #require(getuid() == 0, "the system tests create namespaces and TUN devices: run them as root")
        let gateway = "svg\(getpid() % 10000)", client = "svc\(getpid() % 10000)"
        let directory = try SystemTests.temporaryDirectory()
        let topologyFile = directory.appendingPathComponent("vnet.toml").path
        let stateDirectory = directory.appendingPathComponent("state").path
        let sstpctl = Command.executable("sstpctl")
        func vnet(_ verb: String) throws { try Command.run([sstpctl, "vnet", verb, topologyFile, "--state-dir", stateDirectory]) }
        func cleanUp() {
            _ = try? Command.run([sstpctl, "vnet", "down", topologyFile, "--state-dir", stateDirectory], allowFailure: true)
            _ = try? Command.run(["ip", "netns", "del", client], allowFailure: true)
            _ = try? Command.run(["ip", "netns", "del", gateway], allowFailure: true)
            try? FileManager.default.removeItem(at: directory)
        }
        defer { cleanUp() }

        // The gateway and client namespaces, joined by a veth the client dials over.
        try Command.run(["ip", "netns", "add", gateway])
        try Command.run(["ip", "netns", "add", client])
        try Command.run(["ip", "-n", gateway, "link", "add", "vco", "type", "veth", "peer", "name", "vci", "netns", client])
        try Command.run(["ip", "-n", gateway, "addr", "add", "10.79.7.2/30", "dev", "vco"])
        try Command.run(["ip", "-n", client, "addr", "add", "10.79.7.1/30", "dev", "vci"])
        for (ns, link) in [(gateway, "vco"), (client, "vci"), (gateway, "lo"), (client, "lo")] {
            try Command.run(["ip", "-n", ns, "link", "set", link, "up"])
        }
        try Self.topology(gateway: gateway, peered: true).write(toFile: topologyFile, atomically: true, encoding: .utf8)
        try vnet("up")

        // sstpd in the gateway namespace, configured from the topology.
        let network = GatewayNamespace(name: gateway)
        let daemon = try SystemTests.startDaemon(
            in: network, directory: directory, extra: "[vnet]\ntopology = \"\(topologyFile)\"\n")
        defer { daemon.signal(SIGKILL) }

        // sstp-dial in tunnel mode in the client namespace.
        let dial = try ChildProcess(
            ["ip", "netns", "exec", client, Command.executable("sstp-dial"), "--server", "10.79.7.2:4443",
             "--server-name", Fixtures.serverName, "--ca", Fixtures.caFile, "--user", "alice", "--password",
             "alice-password", "--tun", "svtun0"])
        defer { dial.signal(SIGKILL) }
        let up = dial.waitForLine(containing: "tunnel up on", timeout: 20)
        if up == nil { print("DIAL:", dial.output.joined(separator: "\n"), "\nDAEMON:", daemon.output.suffix(15).joined(separator: "\n")) }
        try #require(up != nil, "sstp-dial did not come up")
        #expect(up!.contains("address 172.16.0.2"))
        #expect(dial.waitForLine(containing: "routes from the server", timeout: 10) != nil)
        let routes = try Command.run(["ip", "-n", client, "route", "show", "dev", "svtun0"])
        for prefix in ["10.1.0.0/16", "10.2.0.0/16", "192.168.50.0/24"] {
            #expect(routes.contains(prefix), "route \(prefix) missing: \(routes)")
        }

        func ping(_ address: String) -> Bool {
            (try? Command.run(["ip", "netns", "exec", client, "ping", "-c", "1", "-W", "2", address])) != nil
        }
        func echo(_ address: String, udp: Bool) -> Bool {
            (try? Command.run(
                ["ip", "netns", "exec", client, sstpctl, "vnet", "echo-check", address, "--timeout", "2"]
                    + (udp ? ["--no-tcp"] : ["--no-udp"]))) != nil
        }
        for vm in Self.vms {
            #expect(ping(vm), "ping \(vm)")
            #expect(echo(vm, udp: false), "TCP echo \(vm)")
        }
        for vm in Self.vms where vm != "10.2.1.5" {
            #expect(echo(vm, udp: true), "UDP echo \(vm)")
        }
        // Outside the topology: sent through the tunnel, but nothing answers.
        try Command.run(["ip", "-n", client, "route", "add", "10.9.9.9/32", "dev", "svtun0"])
        #expect(!ping("10.9.9.9"))

        // Remove the peering: the spoke is gone, the hub stays.
        try Self.topology(gateway: gateway, peered: false).write(toFile: topologyFile, atomically: true, encoding: .utf8)
        try vnet("up")
        #expect(!ping("10.2.1.4"))
        #expect(ping("10.1.1.4"))

        dial.signal(SIGTERM)
        #expect(dial.waitForExit(timeout: 10) != nil)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 6) == 0)
        try vnet("down")
        let left = try Command.run(["ip", "netns", "list"])
        #expect(!left.contains("\(gateway)-"), "namespaces left behind: \(left)")
    }
}
