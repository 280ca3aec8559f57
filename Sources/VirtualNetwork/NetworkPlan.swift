import AddressPool

/// What building a topology out of Linux network namespaces means, as plain data: the namespaces, bridges, veth
/// pairs, addresses and routes. `VNetBuilder` turns it into `ip` commands; keeping it pure makes the naming scheme
/// and the routing testable without root.
///
/// Layout (every namespace is named after the gateway namespace `GW`):
///
///     GW-vnet-<vnet>    one router per VNet: a bridge per subnet (address = the subnet's default gateway,
///                       its first usable address), ip_forward on
///     GW-vm-<vm>        one per VM: eth0 in its subnet's bridge, default route via the subnet's gateway
///     GW                the gateway namespace (sstpd and its TUN); vn-<h(vnet)> in the GatewaySubnet bridge
///                       with the gateway address, routes to every VNet reachable from it via its VNet router
///
/// Interface names are at most 15 characters (IFNAMSIZ - 1) and deterministic: a prefix and the 8 hex digits of the
/// 32-bit FNV-1a hash of a name (`InterfaceName`).
public struct NetworkPlan: Hashable, Sendable {
    /// An address with its prefix length, as `ip addr add` takes it.
    public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
        public var address: IPv4Address
        public var prefixLength: Int
        public var description: String { "\(address)/\(prefixLength)" }
    }

    /// A namespace the builder creates (and removes on `down`).
    public struct Namespace: Hashable, Sendable {
        public enum Role: Hashable, Sendable {
            case router(vnet: String)
            case vm(name: String, address: IPv4Address)
        }
        public var name: String
        public var role: Role
        /// Whether the namespace forwards IPv4 (routers).
        public var forwarding: Bool
    }

    /// A Linux bridge for one subnet, in its VNet's router namespace.
    public struct Bridge: Hashable, Sendable {
        public var namespace: String
        public var name: String
        public var address: InterfaceAddress
    }

    /// One end of a veth pair.
    public struct VethEnd: Hashable, Sendable {
        public var namespace: String
        public var name: String
        /// The bridge this end is enslaved to (no address then).
        public var master: String?
        public var address: InterfaceAddress?
    }

    /// A veth pair; `a` is created first, in its namespace, with `b` moved into `b.namespace`.
    public struct Veth: Hashable, Sendable {
        public var a: VethEnd
        public var b: VethEnd
    }

    /// A route `destination via gateway dev device` in `namespace` (`destination` nil: the default route).
    public struct Route: Hashable, Sendable {
        public var namespace: String
        public var destination: IPv4Network?
        public var gateway: IPv4Address
        public var device: String
    }

    /// Echo services to start in a VM namespace.
    public struct EchoServer: Hashable, Sendable {
        public var namespace: String
        public var vm: String
        public var tcpPort: Int?
        public var udpPort: Int?
    }

    public let gatewayNamespace: String
    /// The namespaces to create, routers first (the gateway namespace is not in this list: it may exist already).
    public let namespaces: [Namespace]
    public let bridges: [Bridge]
    public let veths: [Veth]
    public let routes: [Route]
    public let echoServers: [EchoServer]

    /// The router namespace of `vnet`.
    public static func routerNamespace(gateway: String, vnet: String) -> String { "\(gateway)-vnet-\(vnet)" }
    /// The namespace of `vm`.
    public static func vmNamespace(gateway: String, vm: String) -> String { "\(gateway)-vm-\(vm)" }

    /// The link addresses of peering number `index` (0-based, in file order): a /30 in 169.254.0.0/16 (RFC 3927
    /// link-local, never routed), `.1` on the first VNet's router, `.2` on the second's.
    public static func peeringAddresses(index: Int) -> (first: InterfaceAddress, second: InterfaceAddress) {
        let base = UInt32(0xA9FE_0000) | UInt32(index * 4)
        return (
            InterfaceAddress(address: IPv4Address(base + 1), prefixLength: 30),
            InterfaceAddress(address: IPv4Address(base + 2), prefixLength: 30)
        )
    }

    /// The most peerings `peeringAddresses` can number.
    public static let maximumPeerings = 16384

    public init(_ topology: Topology) {
        let gw = topology.gateway.namespace
        gatewayNamespace = gw
        var namespaces: [Namespace] = []
        var bridges: [Bridge] = []
        var veths: [Veth] = []
        var routes: [Route] = []
        var echoServers: [EchoServer] = []

        for vnet in topology.vnets {
            let router = Self.routerNamespace(gateway: gw, vnet: vnet.name)
            namespaces.append(Namespace(name: router, role: .router(vnet: vnet.name), forwarding: true))
            for subnet in vnet.subnets {
                bridges.append(
                    Bridge(
                        namespace: router, name: InterfaceName.bridge(subnet: subnet.name),
                        address: InterfaceAddress(
                            address: subnet.gatewayAddress, prefixLength: subnet.prefix.prefixLength)))
            }
        }
        for vnet in topology.vnets {
            let router = Self.routerNamespace(gateway: gw, vnet: vnet.name)
            for vm in vnet.vms {
                guard let subnet = vnet.subnet(named: vm.subnet) else { continue }
                let ns = Self.vmNamespace(gateway: gw, vm: vm.name)
                namespaces.append(Namespace(name: ns, role: .vm(name: vm.name, address: vm.address), forwarding: false))
                veths.append(
                    Veth(
                        a: VethEnd(
                            namespace: router, name: InterfaceName.vmPort(vm: vm.name),
                            master: InterfaceName.bridge(subnet: subnet.name), address: nil),
                        b: VethEnd(
                            namespace: ns, name: InterfaceName.vmInterface, master: nil,
                            address: InterfaceAddress(address: vm.address, prefixLength: subnet.prefix.prefixLength))))
                routes.append(
                    Route(
                        namespace: ns, destination: nil, gateway: subnet.gatewayAddress,
                        device: InterfaceName.vmInterface))
                let tcp = vm.services.contains(.tcpEcho)
                let udp = vm.services.contains(.udpEcho)
                if tcp || udp {
                    echoServers.append(
                        EchoServer(
                            namespace: ns, vm: vm.name, tcpPort: tcp ? Service.echoPort : nil,
                            udpPort: udp ? Service.echoPort : nil))
                }
            }
        }

        // The gateway's leg in the GatewaySubnet, its routes into the VNets, and the pool route back.
        let hub = topology.gatewayVNet
        let hubRouter = Self.routerNamespace(gateway: gw, vnet: hub.name)
        if let gatewaySubnet = hub.subnet(named: Subnet.gatewaySubnetName) {
            let gatewayLink = InterfaceName.gatewayInterface(vnet: hub.name)
            veths.append(
                Veth(
                    a: VethEnd(
                        namespace: hubRouter, name: InterfaceName.gatewayPort(gatewayNamespace: gw),
                        master: InterfaceName.bridge(subnet: gatewaySubnet.name), address: nil),
                    b: VethEnd(
                        namespace: gw, name: gatewayLink, master: nil,
                        address: InterfaceAddress(
                            address: topology.gateway.address,
                            prefixLength: gatewaySubnet.prefix.prefixLength))))
            for prefix in topology.prefixesReachableFromGateway() {
                routes.append(
                    Route(
                        namespace: gw, destination: prefix, gateway: gatewaySubnet.gatewayAddress,
                        device: gatewayLink))
            }
            routes.append(
                Route(
                    namespace: hubRouter, destination: topology.p2s.pool, gateway: topology.gateway.address,
                    device: InterfaceName.bridge(subnet: gatewaySubnet.name)))
        }

        // Peerings: a veth between the two routers, each routing the other's address spaces over it.
        for (index, peering) in topology.peerings.enumerated() {
            guard let first = topology.vnet(named: peering.vnets[0]),
                let second = topology.vnet(named: peering.vnets[1])
            else { continue }
            let (firstAddress, secondAddress) = Self.peeringAddresses(index: index)
            let firstRouter = Self.routerNamespace(gateway: gw, vnet: first.name)
            let secondRouter = Self.routerNamespace(gateway: gw, vnet: second.name)
            let firstPort = InterfaceName.peeringPort(peer: second.name)
            let secondPort = InterfaceName.peeringPort(peer: first.name)
            veths.append(
                Veth(
                    a: VethEnd(namespace: firstRouter, name: firstPort, master: nil, address: firstAddress),
                    b: VethEnd(namespace: secondRouter, name: secondPort, master: nil, address: secondAddress)))
            for prefix in second.addressSpace {
                routes.append(
                    Route(
                        namespace: firstRouter, destination: prefix, gateway: secondAddress.address,
                        device: firstPort))
            }
            for prefix in first.addressSpace {
                routes.append(
                    Route(
                        namespace: secondRouter, destination: prefix, gateway: firstAddress.address,
                        device: secondPort))
            }
            if peering.allowGatewayTransit {
                // The peered VNet sends traffic for P2S clients back through the gateway's VNet.
                if first.name == hub.name {
                    routes.append(
                        Route(
                            namespace: secondRouter, destination: topology.p2s.pool,
                            gateway: firstAddress.address, device: secondPort))
                } else {
                    routes.append(
                        Route(
                            namespace: firstRouter, destination: topology.p2s.pool,
                            gateway: secondAddress.address, device: firstPort))
                }
            }
        }

        self.namespaces = namespaces
        self.bridges = bridges
        self.veths = veths
        self.routes = routes
        self.echoServers = echoServers
    }

    /// A deterministic text rendering, one item per line: stored by the builder to tell whether what is up is
    /// exactly this plan, and shown by `sstpctl vnet plan`.
    public var lines: [String] {
        var out = ["gateway-namespace \(gatewayNamespace)"]
        for ns in namespaces {
            out.append("namespace \(ns.name)\(ns.forwarding ? " forwarding" : "")")
        }
        for b in bridges {
            out.append("bridge \(b.namespace) \(b.name) \(b.address)")
        }
        for v in veths {
            out.append("veth \(Self.render(v.a)) <-> \(Self.render(v.b))")
        }
        for r in routes {
            out.append(
                "route \(r.namespace) \(r.destination.map(\.description) ?? "default") via \(r.gateway) dev \(r.device)"
            )
        }
        for e in echoServers {
            out.append(
                "echo \(e.namespace) tcp \(e.tcpPort.map(String.init) ?? "-") udp \(e.udpPort.map(String.init) ?? "-")")
        }
        return out
    }

    private static func render(_ end: VethEnd) -> String {
        var text = "\(end.namespace):\(end.name)"
        if let master = end.master { text += " master \(master)" }
        if let address = end.address { text += " \(address)" }
        return text
    }
}
