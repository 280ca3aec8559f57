import AddressPool

/// Every check a topology must pass before anything is built. Each failure names the offending entry.
///
/// The rules follow Azure where Azure has one: VNet address spaces must not overlap (peered or not, since peering
/// overlapping VNets is refused and the gateway could not route both); subnets lie inside their VNet's address space
/// and do not overlap; a subnet's first address is its default gateway; the VPN gateway lives in the subnet named
/// `GatewaySubnet`, where no VM may be placed; the P2S client pool must not overlap any VNet.
public enum TopologyValidation {
    /// The longest subnet prefix: a /30 still has the default gateway and one machine.
    public static let longestSubnetPrefix = 30
    /// Names become parts of namespace names and file names: 1–32 of `A–Z a–z 0–9 . _ -`, not starting with '-',
    /// and not "." or "..".
    public static let maximumNameLength = 32

    public static func validate(_ topology: Topology) throws(TopologyError) {
        try checkNames(topology)
        try checkAddressSpaces(topology.vnets)
        for vnet in topology.vnets {
            try checkSubnets(vnet)
        }
        try checkVMs(topology)
        try checkGateway(topology)
        try checkPeerings(topology)
        try checkPointToSite(topology)
    }

    /// Whether two prefixes share any address.
    public static func overlap(_ a: IPv4Network, _ b: IPv4Network) -> Bool {
        a.contains(b.address) || b.contains(a.address)
    }

    /// Whether `name` is usable as a VNet, subnet, VM, peering or namespace name.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...maximumNameLength).contains(name.utf8.count), name.utf8.first != UInt8(ascii: "-") else {
            return false
        }
        // Not file names: the gateway namespace alone names /run/netns/<name> and the state directory
        // /run/sstp-vnet/<name> that `sstpctl vnet down` removes, which ".." made /run (docs/fuzzing.md, finding 4).
        guard name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    // MARK: - Checks

    private static func checkNames(_ topology: Topology) throws(TopologyError) {
        guard !topology.vnets.isEmpty else { throw TopologyError("topology", "no [[vnet]]") }
        var vnetNames: Set<String> = []
        var vmNames: Set<String> = []
        for vnet in topology.vnets {
            try requireName(vnet.name, entry: "vnet \(vnet.name)")
            guard vnetNames.insert(vnet.name).inserted else {
                throw TopologyError("vnet \(vnet.name)", "duplicate name")
            }
            var subnetNames: Set<String> = []
            for subnet in vnet.subnets {
                let entry = "vnet \(vnet.name) subnet \(subnet.name)"
                try requireName(subnet.name, entry: entry)
                guard subnetNames.insert(subnet.name).inserted else { throw TopologyError(entry, "duplicate name") }
            }
            for vm in vnet.vms {
                try requireName(vm.name, entry: "vm \(vm.name)")
                guard vmNames.insert(vm.name).inserted else { throw TopologyError("vm \(vm.name)", "duplicate name") }
            }
        }
        var peeringNames: Set<String> = []
        for peering in topology.peerings {
            try requireName(peering.name, entry: "peering \(peering.name)")
            guard peeringNames.insert(peering.name).inserted else {
                throw TopologyError("peering \(peering.name)", "duplicate name")
            }
        }
        try requireName(topology.gateway.namespace, entry: "gateway")
        guard topology.peerings.count <= NetworkPlan.maximumPeerings else {
            throw TopologyError("topology", "more than \(NetworkPlan.maximumPeerings) peerings")
        }
        try checkInterfaceNames(topology)
    }

    /// Interface names carry a 32-bit hash of a name (`InterfaceName`); two names in one namespace must not collide.
    private static func checkInterfaceNames(_ topology: Topology) throws(TopologyError) {
        var vnetHashes: [String: String] = [:]
        for vnet in topology.vnets {
            if let other = vnetHashes.updateValue(vnet.name, forKey: InterfaceName.hash(vnet.name)) {
                throw TopologyError("vnet \(vnet.name)", "its interface name collides with vnet \(other); rename one")
            }
            var hashes: [String: String] = [:]
            for name in vnet.subnets.map({ "br-" + InterfaceName.hash($0.name) })
                + vnet.vms.map({ "vm-" + InterfaceName.hash($0.name) })
            {
                if hashes.updateValue(name, forKey: name) != nil {
                    throw TopologyError("vnet \(vnet.name)", "two subnet or VM names hash to \(name); rename one")
                }
            }
        }
    }

    private static func requireName(_ name: String, entry: String) throws(TopologyError) {
        guard isValidName(name) else {
            throw TopologyError(
                entry, "invalid name \"\(name)\" (1–32 of A-Z a-z 0-9 . _ -, not starting with -, not . or ..)")
        }
    }

    private static func checkAddressSpaces(_ vnets: [VNet]) throws(TopologyError) {
        var seen: [(vnet: String, prefix: IPv4Network)] = []
        for vnet in vnets {
            guard !vnet.addressSpace.isEmpty else { throw TopologyError("vnet \(vnet.name)", "empty address_space") }
            for prefix in vnet.addressSpace {
                if let other = seen.first(where: { overlap($0.prefix, prefix) }) {
                    let whose =
                        other.vnet == vnet.name ? "its own \(other.prefix)" : "vnet \(other.vnet) (\(other.prefix))"
                    throw TopologyError("vnet \(vnet.name)", "address space \(prefix) overlaps \(whose)")
                }
                seen.append((vnet.name, prefix))
            }
        }
    }

    private static func checkSubnets(_ vnet: VNet) throws(TopologyError) {
        for (index, subnet) in vnet.subnets.enumerated() {
            let entry = "vnet \(vnet.name) subnet \(subnet.name)"
            guard subnet.prefix.prefixLength <= longestSubnetPrefix else {
                throw TopologyError(entry, "prefix \(subnet.prefix) is too small (at most /\(longestSubnetPrefix))")
            }
            guard
                vnet.addressSpace.contains(where: {
                    $0.contains(subnet.prefix.address) && $0.contains(subnet.prefix.broadcast)
                })
            else {
                throw TopologyError(entry, "prefix \(subnet.prefix) is outside the address space of vnet \(vnet.name)")
            }
            if let other = vnet.subnets[..<index].first(where: { overlap($0.prefix, subnet.prefix) }) {
                throw TopologyError(entry, "prefix \(subnet.prefix) overlaps subnet \(other.name) (\(other.prefix))")
            }
        }
    }

    private static func checkVMs(_ topology: Topology) throws(TopologyError) {
        var addresses: [IPv4Address: String] = [:]
        for vnet in topology.vnets {
            for vm in vnet.vms {
                let entry = "vm \(vm.name)"
                guard let subnet = vnet.subnet(named: vm.subnet) else {
                    throw TopologyError(entry, "unknown subnet \"\(vm.subnet)\" in vnet \(vnet.name)")
                }
                guard subnet.name != Subnet.gatewaySubnetName else {
                    throw TopologyError(entry, "VMs cannot be placed in the \(Subnet.gatewaySubnetName)")
                }
                guard subnet.prefix.contains(vm.address) else {
                    throw TopologyError(
                        entry, "address \(vm.address) is outside its subnet \(subnet.name) (\(subnet.prefix))")
                }
                guard subnet.isAssignable(vm.address) else {
                    throw TopologyError(
                        entry,
                        "address \(vm.address) is reserved in subnet \(subnet.name) (network, default gateway "
                            + "\(subnet.gatewayAddress) or broadcast)")
                }
                if let other = addresses[vm.address] {
                    throw TopologyError(entry, "address \(vm.address) is already used by vm \(other)")
                }
                addresses[vm.address] = vm.name
            }
        }
        if let other = addresses[topology.gateway.address] {
            throw TopologyError("gateway", "address \(topology.gateway.address) is already used by vm \(other)")
        }
    }

    private static func checkPeerings(_ topology: Topology) throws(TopologyError) {
        var pairs: Set<[String]> = []
        for peering in topology.peerings {
            let entry = "peering \(peering.name)"
            guard peering.vnets.count == 2 else { throw TopologyError(entry, "vnets must name exactly two VNets") }
            for name in peering.vnets where topology.vnet(named: name) == nil {
                throw TopologyError(entry, "unknown vnet \"\(name)\"")
            }
            guard peering.vnets[0] != peering.vnets[1] else {
                throw TopologyError(entry, "a VNet cannot peer with itself")
            }
            guard pairs.insert(peering.vnets.sorted()).inserted else {
                throw TopologyError(entry, "\(peering.vnets[0]) and \(peering.vnets[1]) are already peered")
            }
            if peering.allowGatewayTransit && !peering.vnets.contains(topology.gateway.vnet) {
                throw TopologyError(
                    entry, "allow_gateway_transit needs the gateway's vnet \(topology.gateway.vnet) on one side")
            }
        }
    }

    private static func checkGateway(_ topology: Topology) throws(TopologyError) {
        let gateway = topology.gateway
        guard let vnet = topology.vnet(named: gateway.vnet) else {
            throw TopologyError("gateway", "unknown vnet \"\(gateway.vnet)\"")
        }
        guard let subnet = vnet.subnet(named: Subnet.gatewaySubnetName) else {
            throw TopologyError("gateway", "vnet \(vnet.name) has no subnet named \(Subnet.gatewaySubnetName)")
        }
        guard subnet.prefix.contains(gateway.address) else {
            throw TopologyError(
                "gateway", "address \(gateway.address) is outside the \(Subnet.gatewaySubnetName) (\(subnet.prefix))")
        }
        guard subnet.isAssignable(gateway.address) else {
            throw TopologyError(
                "gateway",
                "address \(gateway.address) is reserved in the \(Subnet.gatewaySubnetName) (network, default gateway "
                    + "\(subnet.gatewayAddress) or broadcast)")
        }
    }

    private static func checkPointToSite(_ topology: Topology) throws(TopologyError) {
        let p2s = topology.p2s
        guard p2s.pool.prefixLength <= longestSubnetPrefix else {
            throw TopologyError("p2s", "pool \(p2s.pool) is too small (at most /\(longestSubnetPrefix))")
        }
        for vnet in topology.vnets {
            if let prefix = vnet.addressSpace.first(where: { overlap($0, p2s.pool) }) {
                throw TopologyError("p2s", "pool \(p2s.pool) overlaps vnet \(vnet.name) (\(prefix))")
            }
        }
        for route in p2s.customRoutes where overlap(route, p2s.pool) {
            throw TopologyError("p2s", "custom route \(route) overlaps the pool \(p2s.pool)")
        }
        if let domain = p2s.domain {
            let ok =
                (1...253).contains(domain.utf8.count)
                && domain.utf8.allSatisfy { b in
                    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                        || b == 0x2E
                }
            guard ok else { throw TopologyError("p2s", "domain \"\(domain)\" is not a DNS name") }
        }
    }
}
