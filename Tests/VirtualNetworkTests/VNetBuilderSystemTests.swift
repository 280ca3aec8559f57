import AddressPool
import Foundation
import Testing
import VNetBuilder
import VirtualNetwork

/// Root-only: real namespaces, bridges, veths and echo servers. Every test uses its own gateway namespace name and
/// state directory, and takes the network down even when an expectation fails.
@Suite(.serialized) struct VNetBuilderSystemTests {
    private static let vms = ["10.1.1.4", "10.1.1.5", "10.2.1.4", "10.2.1.5"].map { IPv4Address($0)! }

    @Test func upReachEveryVMRemovePeeringDown() throws {
        let gw = System.uniqueName("a")
        let builder = System.builder("a")
        defer { try? FileManager.default.removeItem(atPath: builder.stateRoot) }
        let topology = try TopologyFile.parse(ExampleTopology.text(gatewayNamespace: gw))
        // Other system tests run in parallel and make their own namespaces and links: look only at ours (namespaces
        // named after our gateway, links named by VNetBuilder's scheme).
        func ours() throws -> (Set<String>, Set<String>) { (try System.namespaces(gw), try System.builderLinks()) }
        let (namespacesBefore, rootLinksBefore) = try ours()
        defer { try? builder.down(topology) }

        #expect(try builder.up(topology) == .built)
        // Every VM answers a ping, a TCP echo and a UDP echo from the gateway namespace.
        for vm in Self.vms {
            #expect(builder.ping(from: gw, vm), "ping \(vm)")
            #expect(builder.echo(from: gw, vm, transport: "tcp"), "tcp echo \(vm)")
            #expect(builder.echo(from: gw, vm, transport: "udp"), "udp echo \(vm)")
        }
        // A P2S client's address (from the pool) gets answers too: the VNet routers route the pool back to the
        // gateway, the spoke through the peering (gateway transit). Emulated by a pool address on the gateway's lo.
        _ = try System.check(["ip", "-n", gw, "addr", "add", "172.16.0.10/32", "dev", "lo"])
        for vm in Self.vms {
            #expect(
                try System.run(["ip", "netns", "exec", gw, "ping", "-c1", "-W1", "-I", "172.16.0.10", "\(vm)"]).status
                    == 0,
                "ping \(vm) from the pool")
        }
        // Addresses outside the topology, or inside it without a VM, do not answer.
        #expect(!builder.ping(from: gw, IPv4Address(10, 9, 9, 9)))
        #expect(!builder.ping(from: gw, IPv4Address(10, 2, 1, 77)))

        // up again with the same topology: nothing to do, and everything still answers.
        #expect(try builder.up(topology) == .alreadyUp)
        #expect(builder.ping(from: gw, Self.vms[2]))

        let status = try builder.status(topology)
        let vmStates = status.vnets.flatMap { $0.subnets.flatMap(\.vms) }
        #expect(vmStates.count == 4)
        #expect(vmStates.allSatisfy { $0.answersPing && $0.tcpEcho == true && $0.udpEcho == true }, "\(status.text)")

        // Remove the peering: the spoke VNet becomes unreachable, the hub stays.
        let unpeered = try TopologyFile.parse(ExampleTopology.text(gatewayNamespace: gw, peering: false))
        #expect(try builder.up(unpeered) == .built)
        #expect(builder.ping(from: gw, Self.vms[0]))
        #expect(builder.echo(from: gw, Self.vms[1], transport: "tcp"))
        #expect(!builder.ping(from: gw, Self.vms[2]))
        #expect(!builder.echo(from: gw, Self.vms[3], transport: "tcp"))

        // Peering again restores it.
        #expect(try builder.up(topology) == .built)
        #expect(builder.ping(from: gw, Self.vms[3]))

        try builder.down(topology)
        let (namespacesAfter, rootLinksAfter) = try ours()
        #expect(namespacesAfter == namespacesBefore)
        #expect(rootLinksAfter == rootLinksBefore)
        #expect(!FileManager.default.fileExists(atPath: builder.stateDirectory(topology)))
        #expect(try System.echoServers(under: builder.stateRoot).isEmpty)
    }

    @Test func callerMadeGatewayNamespaceIsKept() throws {
        let gw = System.uniqueName("b")
        let builder = System.builder("b")
        defer { try? FileManager.default.removeItem(atPath: builder.stateRoot) }
        let topology = try TopologyFile.parse(ExampleTopology.text(gatewayNamespace: gw, transit: false))
        _ = try System.check(["ip", "netns", "add", gw])
        defer { _ = try? System.run(["ip", "netns", "del", gw]) }
        _ = try System.check(["ip", "-n", gw, "link", "add", "callers0", "type", "veth", "peer", "name", "callers1"])
        let linksBefore = try System.links(in: gw)
        defer { try? builder.down(topology) }

        #expect(try builder.up(topology) == .built)
        #expect(builder.ping(from: gw, Self.vms[0]))
        // Peered without gateway transit: the gateway (and so its clients) does not reach the spoke.
        #expect(!builder.ping(from: gw, Self.vms[2]))

        try builder.down(topology)
        #expect(try System.namespaces(gw).contains(gw))
        #expect(try System.links(in: gw) == linksBefore)
        #expect(try System.echoServers(under: builder.stateRoot).isEmpty)
        #expect(try System.check(["ip", "-n", gw, "route", "show"]).isEmpty)
        #expect(try !System.namespaces(gw).contains { $0.hasPrefix(gw + "-") })
    }

    @Test func lostStateIsCleanedUpByNames() throws {
        let gw = System.uniqueName("c")
        let builder = System.builder("c")
        defer { try? FileManager.default.removeItem(atPath: builder.stateRoot) }
        let topology = try TopologyFile.parse(ExampleTopology.text(gatewayNamespace: gw))
        let namespacesBefore = try System.namespaces(gw)
        defer { try? builder.down(topology) }
        #expect(try builder.up(topology) == .built)
        // Someone deletes the state directory; up and down still find their namespaces by name.
        try FileManager.default.removeItem(atPath: builder.stateDirectory(topology))
        #expect(try builder.up(topology) == .built)
        #expect(builder.ping(from: gw, Self.vms[1]))
        try FileManager.default.removeItem(atPath: builder.stateDirectory(topology))
        try builder.down(topology)
        // The gateway namespace was created by the first up, whose record is gone: delete it by hand.
        _ = try? System.run(["ip", "netns", "del", gw])
        #expect(try System.namespaces(gw) == namespacesBefore)
        #expect(try System.echoServers(under: builder.stateRoot).isEmpty)
    }

    @Test func failedUpRemovesWhatItBuilt() throws {
        let gw = System.uniqueName("f")
        let root = NSTemporaryDirectory() + "sstp-vnet-test-\(getpid())-f"
        defer { try? FileManager.default.removeItem(atPath: root) }
        // An echo server that never starts: up gives up after its timeout and takes everything down again.
        let builder = VNetBuilder(stateRoot: root, sstpctlPath: "/bin/false", echoStartTimeout: 0.5)
        let topology = try TopologyFile.parse(ExampleTopology.text(gatewayNamespace: gw))
        defer { try? builder.down(topology) }
        let namespacesBefore = try System.namespaces(gw)
        #expect(throws: VNetBuilderError.self) { try builder.up(topology) }
        #expect(try System.namespaces(gw) == namespacesBefore)
        #expect(!FileManager.default.fileExists(atPath: builder.stateDirectory(topology)))
    }

    @Test func badTopologyCreatesNothing() throws {
        let gw = System.uniqueName("d")
        let directory = NSTemporaryDirectory() + "sstp-vnet-test-\(getpid())-d"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/bad.toml"
        let bad = ExampleTopology.text(gatewayNamespace: gw).replacingOccurrences(
            of: "pool = \"172.16.0.0/24\"", with: "pool = \"10.1.7.0/24\"")
        try bad.write(toFile: file, atomically: true, encoding: .utf8)
        let namespacesBefore = try System.namespaces(gw)
        let linksBefore = try System.builderLinks()

        let (status, output) = try System.run([System.sstpctl, "vnet", "up", file, "--state-dir", directory + "/state"])
        #expect(status != 0)
        #expect(output.contains("p2s: pool 10.1.7.0/24 overlaps vnet hub (10.1.0.0/16)"), "\(output)")
        #expect(try System.namespaces(gw) == namespacesBefore)
        #expect(try System.builderLinks() == linksBefore)
        #expect(!FileManager.default.fileExists(atPath: directory + "/state"))
    }

    @Test func cliUpStatusDown() throws {
        let gw = System.uniqueName("e")
        let directory = NSTemporaryDirectory() + "sstp-vnet-test-\(getpid())-e"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/topology.toml"
        try ExampleTopology.text(gatewayNamespace: gw).write(toFile: file, atomically: true, encoding: .utf8)
        let cli = [System.sstpctl, "vnet"]
        let state = ["--state-dir", directory + "/state"]
        defer {
            _ = try? System.run(cli + ["down", file] + state)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let namespacesBefore = try System.namespaces(gw)

        #expect(try System.check(cli + ["up", file] + state).contains("vnet up"))
        #expect(try System.check(cli + ["up", file] + state).contains("already up"))
        let status = try System.check(cli + ["status", file] + state)
        #expect(status.contains("vm db2 10.2.1.5: ping ok, tcp-echo ok, udp-echo ok"), "\(status)")
        #expect(status.contains("routes for clients: 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/24, 192.168.50.0/24"))
        _ = try System.check(cli + ["down", file] + state)
        #expect(try System.namespaces(gw) == namespacesBefore)
        #expect(try System.echoServers(under: directory).isEmpty)
        let after = try System.check(cli + ["status", file, "--ping-only"] + state)
        #expect(after.contains("vm web1 10.1.1.4: namespace missing"), "\(after)")
    }
}
