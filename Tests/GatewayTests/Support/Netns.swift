import Foundation

/// A throwaway test network built from real network namespaces:
///
///     [gw namespace]  sstpd + its TUN (pool 10.77.0.0/24, gateway 10.77.0.1)
///          | veth gw-side 10.78.0.1/24
///          | veth host-side 10.78.0.2/24
///     [host namespace]  a host behind the gateway (answers pings), default route via 10.78.0.1
///
/// Names carry a per-test suffix so tests can run in parallel; `tearDown` removes everything.
final class TestNetwork: @unchecked Sendable {
    let gateway: String
    let host: String
    let hostAddress = "10.78.0.2"

    init(tag: String) throws {
        let suffix = "\(tag)\(getpid() % 10000)"
        gateway = "sgw\(suffix)"
        host = "shost\(suffix)"
        tearDownQuietly()
        do {
            try Command.run(["ip", "netns", "add", gateway])
            try Command.run(["ip", "netns", "add", host])
            let vethGW = "vg\(suffix)", vethHost = "vh\(suffix)"
            try Command.run(["ip", "-n", gateway, "link", "add", vethGW, "type", "veth", "peer", "name", vethHost, "netns", host])
            try Command.run(["ip", "-n", gateway, "link", "set", "lo", "up"])
            try Command.run(["ip", "-n", host, "link", "set", "lo", "up"])
            try Command.run(["ip", "-n", gateway, "addr", "add", "10.78.0.1/24", "dev", vethGW])
            try Command.run(["ip", "-n", host, "addr", "add", "\(hostAddress)/24", "dev", vethHost])
            try Command.run(["ip", "-n", gateway, "link", "set", vethGW, "up"])
            try Command.run(["ip", "-n", host, "link", "set", vethHost, "up"])
            try Command.run(["ip", "-n", host, "route", "add", "default", "via", "10.78.0.1"])
            try Command.run(["ip", "netns", "exec", gateway, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        } catch {
            tearDownQuietly()
            throw error
        }
    }

    /// argv prefix that runs a command inside the gateway namespace.
    func inGateway(_ argv: [String]) -> [String] { ["ip", "netns", "exec", gateway] + argv }
    func inHost(_ argv: [String]) -> [String] { ["ip", "netns", "exec", host] + argv }

    func tearDownQuietly() {
        _ = try? Command.run(["ip", "netns", "del", gateway], allowFailure: true)
        _ = try? Command.run(["ip", "netns", "del", host], allowFailure: true)
    }

    deinit { tearDownQuietly() }
}
