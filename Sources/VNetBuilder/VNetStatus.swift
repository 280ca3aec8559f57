import AddressPool
import Foundation
import VirtualNetwork

/// What `status` found: every VNet, subnet and VM of a topology, with each VM's reachability from the gateway
/// namespace.
public struct VNetStatus: Sendable {
    public struct VMStatus: Sendable {
        public var name: String
        public var address: IPv4Address
        /// Whether the VM's namespace exists.
        public var namespaceExists: Bool
        /// Whether it answered one ping from the gateway namespace within a second.
        public var answersPing: Bool
        /// Whether its TCP / UDP echo answered (nil when the VM does not run that service or the check was off).
        public var tcpEcho: Bool?
        public var udpEcho: Bool?
    }

    public struct SubnetStatus: Sendable {
        public var name: String
        public var prefix: IPv4Network
        public var gatewayAddress: IPv4Address
        public var vms: [VMStatus]
    }

    public struct VNetEntry: Sendable {
        public var name: String
        public var addressSpace: [IPv4Network]
        /// Whether P2S clients reach this VNet (the gateway's VNet or peered with gateway transit).
        public var reachableFromClients: Bool
        public var subnets: [SubnetStatus]
    }

    public var gatewayNamespace: String
    public var gatewayNamespaceExists: Bool
    public var vnets: [VNetEntry]
    public var routesForClients: [IPv4Network]

    /// A human-readable report, one line per VNet, subnet and VM.
    public var text: String {
        var lines = ["gateway namespace \(gatewayNamespace)\(gatewayNamespaceExists ? "" : " (missing)")"]
        lines.append("routes for clients: " + routesForClients.map(\.description).joined(separator: ", "))
        for vnet in vnets {
            let space = vnet.addressSpace.map(\.description).joined(separator: ", ")
            lines.append(
                "vnet \(vnet.name) [\(space)]\(vnet.reachableFromClients ? "" : " (not reachable from clients)")")
            for subnet in vnet.subnets {
                lines.append("  subnet \(subnet.name) \(subnet.prefix) gateway \(subnet.gatewayAddress)")
                for vm in subnet.vms {
                    var checks = ["ping " + (vm.answersPing ? "ok" : "FAIL")]
                    if let tcp = vm.tcpEcho { checks.append("tcp-echo " + (tcp ? "ok" : "FAIL")) }
                    if let udp = vm.udpEcho { checks.append("udp-echo " + (udp ? "ok" : "FAIL")) }
                    let state = vm.namespaceExists ? checks.joined(separator: ", ") : "namespace missing"
                    lines.append("    vm \(vm.name) \(vm.address): \(state)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension VNetBuilder {
    /// Lists the topology and checks each VM from the gateway namespace: one ping (`ping -c1 -W1`) and, with
    /// `checkEcho`, its TCP and UDP echo (`sstpctl vnet echo-check`).
    public func status(_ topology: Topology, checkEcho: Bool = true) throws -> VNetStatus {
        let existing = try Shell.namespaces()
        let gw = topology.gateway.namespace
        let gatewayExists = existing.contains(gw)
        let reachable = Set(topology.vnetsReachableFromGateway().map(\.name))
        var vnets: [VNetStatus.VNetEntry] = []
        for vnet in topology.vnets {
            var subnets: [VNetStatus.SubnetStatus] = []
            for subnet in vnet.subnets {
                var vms: [VNetStatus.VMStatus] = []
                for vm in vnet.vms where vm.subnet == subnet.name {
                    let exists = existing.contains(NetworkPlan.vmNamespace(gateway: gw, vm: vm.name))
                    let up = exists && gatewayExists
                    var entry = VNetStatus.VMStatus(
                        name: vm.name, address: vm.address, namespaceExists: exists,
                        answersPing: up && ping(from: gw, vm.address))
                    if checkEcho && vm.services.contains(.tcpEcho) {
                        entry.tcpEcho = up && echo(from: gw, vm.address, transport: "tcp")
                    }
                    if checkEcho && vm.services.contains(.udpEcho) {
                        entry.udpEcho = up && echo(from: gw, vm.address, transport: "udp")
                    }
                    vms.append(entry)
                }
                subnets.append(
                    VNetStatus.SubnetStatus(
                        name: subnet.name, prefix: subnet.prefix, gatewayAddress: subnet.gatewayAddress, vms: vms))
            }
            vnets.append(
                VNetStatus.VNetEntry(
                    name: vnet.name, addressSpace: vnet.addressSpace,
                    reachableFromClients: reachable.contains(vnet.name),
                    subnets: subnets))
        }
        return VNetStatus(
            gatewayNamespace: gw, gatewayNamespaceExists: gatewayExists, vnets: vnets,
            routesForClients: topology.routesForClients())
    }

    /// One ICMP echo from namespace `ns` to `address`, waiting at most a second.
    public func ping(from ns: String, _ address: IPv4Address) -> Bool {
        (try? Shell.run(["ip", "netns", "exec", ns, "ping", "-c1", "-W1", "-q", address.description]).status) == 0
    }

    /// One TCP or UDP echo exchange (`transport` "tcp" or "udp") from namespace `ns` to `address`, port 7, with
    /// `sstpctl vnet echo-check` run in that namespace.
    public func echo(from ns: String, _ address: IPv4Address, transport: String, port: Int = Service.echoPort) -> Bool {
        var argv = ["ip", "netns", "exec", ns, sstpctlPath, "vnet", "echo-check", address.description]
        argv +=
            transport == "tcp" ? ["--tcp-port", String(port), "--no-udp"] : ["--udp-port", String(port), "--no-tcp"]
        return (try? Shell.run(argv).status) == 0
    }
}
