// Harness for the VirtualNetwork core. Tests/VirtualNetworkTests/VirtualNetworkHarnesses.swift is a symbolic link to
// this file: the replay tests (FuzzRegressionTests.swift there) run this same function.
import AddressPool
import VirtualNetwork

// MARK: - vnet-topology

/// `vnet-topology`: a topology file (docs/vnet.md) as `sstpctl vnet` and sstpd read it: parsed and validated, then
/// turned into the namespace plan `sstpctl vnet up` builds and the routes sstpd hands to clients.
///
/// Invariants: every interface name fits Linux's 15 characters; namespace names are unique, and so are interface
/// names within a namespace; every name that reaches `ip` is made of the validated characters and is a usable file
/// name (not "." or "..");
/// client routes have no duplicates and come from VNet address spaces or `custom_routes`; building the plan twice
/// gives the same lines.
public enum VNetTopologyHarness {
    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        guard let topology = try? TopologyFile.parse(String(decoding: input, as: UTF8.self)) else { return }
        let plan = NetworkPlan(topology)
        try fuzzRequire(plan.lines == NetworkPlan(topology).lines, "the plan is not deterministic")

        let namespaceNames = plan.namespaces.map(\.name) + [plan.gatewayNamespace]
        try fuzzRequire(Set(namespaceNames).count == namespaceNames.count, "two namespaces share a name")
        for name in namespaceNames {
            try fuzzRequire(isSafe(name) && name.utf8.count <= 255, "namespace name \(name)")
        }

        var interfaces: [(namespace: String, name: String)] = plan.bridges.map { ($0.namespace, $0.name) }
        for veth in plan.veths {
            interfaces.append((veth.a.namespace, veth.a.name))
            interfaces.append((veth.b.namespace, veth.b.name))
        }
        var seen: Set<String> = []
        for (namespace, name) in interfaces {
            try fuzzRequire(
                !name.isEmpty && name.utf8.count <= InterfaceName.maximumLength && isSafe(name),
                "interface name \(name)")
            try fuzzRequire(namespaceNames.contains(namespace), "interface in unknown namespace \(namespace)")
            try fuzzRequire(seen.insert(namespace + "\n" + name).inserted, "\(name) twice in \(namespace)")
        }
        for route in plan.routes {
            try fuzzRequire(
                interfaces.contains { $0.namespace == route.namespace && $0.name == route.device },
                "route via \(route.device), which is not in \(route.namespace)")
        }

        let spaces = topology.vnets.flatMap(\.addressSpace) + topology.p2s.customRoutes
        for peeringsEnabled in [true, false] {
            let routes = topology.routesForClients(peeringsEnabled: peeringsEnabled)
            try fuzzRequire(Set(routes).count == routes.count, "duplicate client routes")
            try fuzzRequire(routes.allSatisfy(spaces.contains), "a client route from nowhere")
            try fuzzRequire(
                !routes.contains { TopologyValidation.overlap($0, topology.p2s.pool) }
                    || topology.p2s.customRoutes.contains { TopologyValidation.overlap($0, topology.p2s.pool) },
                "a VNet route overlaps the client pool")
        }
    }

    /// Only the characters `TopologyValidation.isValidName` allows, plus the '-' the plan joins names with; and,
    /// since a namespace name is a file name (`/run/netns/<name>`, and the state directory
    /// `/run/sstp-vnet/<gateway namespace>`), never "." or "..".
    static func isSafe(_ name: String) -> Bool {
        name != "." && name != ".." && name.utf8.first != UInt8(ascii: "-")
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }
}
