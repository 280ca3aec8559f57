import Foundation

/// A throwaway test network built from real network namespaces:
///
///     [root namespace]  test process, 10.79.<n>.1/30 ──veth── 10.79.<n>.2/30  [gw namespace]  sstpd + its TUN
///                                                                             | 10.78.0.1/24
///                                                                             | 10.78.0.2/24
///                                                                  [host namespace]  a host behind the gateway
///
/// Names carry a per-test tag so tests can run in parallel; `tearDown` (also in deinit) removes everything (deleting a
/// namespace deletes the veths in it). IPv6 is off on the links so interface counters show only our traffic.
/// Something with a namespace sstpd can run in.
protocol GatewayNamespaceProviding {
    func inGateway(_ argv: [String]) -> [String]
}

/// An existing namespace by name.
struct GatewayNamespace: GatewayNamespaceProviding {
    let name: String
    func inGateway(_ argv: [String]) -> [String] { ["ip", "netns", "exec", name] + argv }
}

final class TestNetwork: GatewayNamespaceProviding, @unchecked Sendable {
    let gateway: String
    let host: String
    let hostAddress = "10.78.0.2"
    let gatewayOuterAddress: String
    let hostInterface: String

    init(tag: String, subnet: Int) throws {
        let suffix = "\(tag)\(getpid() % 10000)"
        gateway = "sgw\(suffix)"
        host = "shost\(suffix)"
        hostInterface = "vh\(suffix)"
        gatewayOuterAddress = "10.79.\(subnet).2"
        Self.removeLeftovers(tag: tag, subnet: subnet)
        tearDownQuietly()
        do {
            try Command.run(["ip", "netns", "add", gateway])
            try Command.run(["ip", "netns", "add", host])
            for ns in [gateway, host] {
                try Command.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                try Command.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
                try Command.run(["ip", "-n", ns, "link", "set", "lo", "up"])
            }
            let vethGW = "vg\(suffix)"
            try Command.run(["ip", "-n", gateway, "link", "add", vethGW, "type", "veth", "peer", "name", hostInterface, "netns", host])
            try Command.run(["ip", "-n", gateway, "addr", "add", "10.78.0.1/24", "dev", vethGW])
            try Command.run(["ip", "-n", host, "addr", "add", "\(hostAddress)/24", "dev", hostInterface])
            try Command.run(["ip", "-n", gateway, "link", "set", vethGW, "up"])
            try Command.run(["ip", "-n", host, "link", "set", hostInterface, "up"])
            try Command.run(["ip", "-n", host, "route", "add", "default", "via", "10.78.0.1"])
            try Command.run(["ip", "netns", "exec", gateway, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            // The test process reaches sstpd over a veth into the gateway namespace.
            let outer = "vo\(suffix)", inner = "vi\(suffix)"
            try Command.run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner, "netns", gateway])
            try Command.run(["ip", "addr", "add", "10.79.\(subnet).1/30", "dev", outer])
            try Command.run(["ip", "-n", gateway, "addr", "add", "\(gatewayOuterAddress)/30", "dev", inner])
            try Command.run(["ip", "link", "set", outer, "up"])
            try Command.run(["ip", "-n", gateway, "link", "set", inner, "up"])
        } catch {
            tearDownQuietly()
            throw error
        }
    }

    /// argv prefix that runs a command inside the gateway namespace.
    func inGateway(_ argv: [String]) -> [String] { ["ip", "netns", "exec", gateway] + argv }
    func inHost(_ argv: [String]) -> [String] { ["ip", "netns", "exec", host] + argv }

    /// ICMP echo requests the host's IP stack received so far (`Icmp: InEchos` of its /proc/net/snmp): unlike the
    /// interface's packet counter, ARP and other background traffic do not move it.
    func hostReceivedEchoRequests() throws -> Int {
        let lines = try Command.run(inHost(["cat", "/proc/net/snmp"])).split(separator: "\n")
            .filter { $0.hasPrefix("Icmp:") }
        guard lines.count >= 2 else { return -1 }
        let names = lines[0].split(separator: " "), values = lines[1].split(separator: " ")
        guard let index = names.firstIndex(of: "InEchos"), index < values.count else { return -1 }
        return Int(values[index]) ?? -1
    }

    /// Removes what a killed earlier test process left with this tag: its namespaces, and any root-namespace link
    /// still holding this test's 10.79.<subnet>.1 (a duplicate route would send this test's connections into the
    /// dead namespace, where nothing listens).
    static func removeLeftovers(tag: String, subnet: Int) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for name in names {
            for prefix in ["sgw\(tag)", "shost\(tag)"] where name.hasPrefix(prefix) {
                if name.dropFirst(prefix.count).allSatisfy(\.isNumber) {
                    _ = try? Command.run(["ip", "netns", "del", name], allowFailure: true)
                }
            }
        }
        let addresses = (try? Command.run(["ip", "-o", "-4", "addr", "show"], allowFailure: true)) ?? ""
        for line in addresses.split(separator: "\n") where line.contains(" 10.79.\(subnet).1/30 ") {
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { continue }
            let link = fields[1].split(separator: "@").first.map(String.init) ?? ""
            if link.hasPrefix("vo") { _ = try? Command.run(["ip", "link", "del", link], allowFailure: true) }
        }
    }

    func tearDownQuietly() {
        _ = try? Command.run(["ip", "netns", "del", gateway], allowFailure: true)
        _ = try? Command.run(["ip", "netns", "del", host], allowFailure: true)
    }

    deinit { tearDownQuietly() }
}
