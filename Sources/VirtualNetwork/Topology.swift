import AddressPool

/// A simulated virtual network modelled on Azure virtual networks: VNets with address spaces, subnets (one of them
/// the `GatewaySubnet` that hosts the point-to-site gateway), VMs, peerings, the gateway itself and the settings
/// handed to point-to-site (P2S) clients.
///
/// A `Topology` is only ever built valid: `TopologyFile.parse` and `init(validating:)` run every check of
/// `TopologyValidation` before returning, so adapters can build it without re-checking.
public struct Topology: Hashable, Sendable {
    /// The VNets, in file order.
    public let vnets: [VNet]
    /// Peerings between VNets, in file order.
    public let peerings: [Peering]
    /// The point-to-site gateway.
    public let gateway: Gateway
    /// What P2S clients get: the address pool, DNS, domain and extra routes.
    public let p2s: PointToSite

    /// Builds a topology after validating it; throws the first problem found, naming the offending entry.
    public init(vnets: [VNet], peerings: [Peering], gateway: Gateway, p2s: PointToSite) throws(TopologyError) {
        self.vnets = vnets
        self.peerings = peerings
        self.gateway = gateway
        self.p2s = p2s
        try TopologyValidation.validate(self)
    }

    /// The VNet named `name`.
    public func vnet(named name: String) -> VNet? {
        vnets.first { $0.name == name }
    }

    /// The VNet that hosts the gateway (validation guarantees it exists).
    public var gatewayVNet: VNet {
        guard let vnet = vnet(named: gateway.vnet) else {
            preconditionFailure("validated topology without gateway vnet")
        }
        return vnet
    }
}

/// A virtual network: a named set of address prefixes divided into subnets.
public struct VNet: Hashable, Sendable {
    public var name: String
    /// The address prefixes of the VNet (Azure "address space"); they must not overlap any other VNet's.
    public var addressSpace: [IPv4Network]
    public var subnets: [Subnet]
    public var vms: [VM]

    public init(name: String, addressSpace: [IPv4Network], subnets: [Subnet], vms: [VM]) {
        self.name = name
        self.addressSpace = addressSpace
        self.subnets = subnets
        self.vms = vms
    }

    /// The subnet named `name`.
    public func subnet(named name: String) -> Subnet? {
        subnets.first { $0.name == name }
    }
}

/// A subnet of a VNet. As in Azure, its first usable address is the default gateway of the machines in it (here: the
/// address of the subnet's bridge on the VNet router).
public struct Subnet: Hashable, Sendable {
    /// The name Azure reserves for the subnet that holds the VPN gateway.
    public static let gatewaySubnetName = "GatewaySubnet"

    public var name: String
    public var prefix: IPv4Network

    public init(name: String, prefix: IPv4Network) {
        self.name = name
        self.prefix = prefix
    }

    /// The subnet's default gateway: the first address after the network address.
    public var gatewayAddress: IPv4Address {
        IPv4Address(prefix.address.value &+ 1)
    }

    /// Whether `address` may be given to a machine: inside the prefix, not the network address, the default gateway
    /// or the broadcast address.
    public func isAssignable(_ address: IPv4Address) -> Bool {
        prefix.contains(address) && address != prefix.address && address != gatewayAddress
            && address != prefix.broadcast
    }
}

/// A virtual machine: one network namespace with one interface in its subnet.
public struct VM: Hashable, Sendable {
    public var name: String
    /// The name of the subnet (in the same VNet) the VM is attached to.
    public var subnet: String
    public var address: IPv4Address
    public var services: [Service]

    public init(name: String, subnet: String, address: IPv4Address, services: [Service]) {
        self.name = name
        self.subnet = subnet
        self.address = address
        self.services = services
    }
}

/// A test service a VM runs. ICMP echo is answered by the kernel; the echo services are `sstpctl vnet echo-server`.
public enum Service: String, Hashable, Sendable, CaseIterable {
    case icmp
    /// RFC 862 echo over TCP, on `Service.echoPort`.
    case tcpEcho = "tcp-echo"
    /// RFC 862 echo over UDP, on `Service.echoPort`.
    case udpEcho = "udp-echo"

    /// The echo port (RFC 862: "TCP/UDP port 7").
    public static let echoPort = 7
}

/// A peering between two VNets. Peered VNets route each other's address spaces. With `allowGatewayTransit`, and the
/// gateway's VNet on one side, P2S clients also reach the other VNet through the gateway (Azure's "allow gateway
/// transit" plus "use remote gateways").
public struct Peering: Hashable, Sendable {
    public var name: String
    public var vnets: [String]
    public var allowGatewayTransit: Bool

    public init(name: String, vnets: [String], allowGatewayTransit: Bool) {
        self.name = name
        self.vnets = vnets
        self.allowGatewayTransit = allowGatewayTransit
    }

    /// Whether the peering joins `vnet` to another VNet; returns that other VNet's name.
    public func peer(of vnet: String) -> String? {
        guard vnets.count == 2 else { return nil }
        if vnets[0] == vnet { return vnets[1] }
        if vnets[1] == vnet { return vnets[0] }
        return nil
    }
}

/// The point-to-site gateway: where sstpd runs (a network namespace) and its address in the GatewaySubnet.
public struct Gateway: Hashable, Sendable {
    /// The VNet whose GatewaySubnet holds the gateway.
    public var vnet: String
    /// The network namespace sstpd runs in; every namespace the builder creates is named after it.
    public var namespace: String
    public var address: IPv4Address

    public init(vnet: String, namespace: String, address: IPv4Address) {
        self.vnet = vnet
        self.namespace = namespace
        self.address = address
    }
}

/// What point-to-site clients are given.
public struct PointToSite: Hashable, Sendable {
    /// The client address pool; it must not overlap any VNet.
    public var pool: IPv4Network
    public var dns: [IPv4Address]
    public var domain: String?
    /// Extra prefixes clients route through the tunnel.
    public var customRoutes: [IPv4Network]

    public init(pool: IPv4Network, dns: [IPv4Address] = [], domain: String? = nil, customRoutes: [IPv4Network] = []) {
        self.pool = pool
        self.dns = dns
        self.domain = domain
        self.customRoutes = customRoutes
    }
}
