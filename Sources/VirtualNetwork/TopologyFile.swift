import AddressPool
import TOML

/// Reads a topology from TOML (see docs/vnet.md and docs/vnet.example.toml):
///
///     [[vnet]]            name, address_space
///     [[vnet.subnet]]     name, prefix
///     [[vnet.vm]]         name, subnet, address, services (optional, default all)
///     [[peering]]         vnets = [a, b], allow_gateway_transit (default false), name (default "a-b")
///     [gateway]           vnet, namespace, address
///     [p2s]               pool, dns, domain, custom_routes
///
/// Keys are strict like sstpd's configuration: an unknown section or key, a missing required key or a value of the
/// wrong type is an error naming it. The result is validated (`TopologyValidation`) before it is returned.
public enum TopologyFile {
    /// Parses and validates `text`; errors name the offending entry.
    public static func parse(_ text: String) throws(TopologyError) -> Topology {
        let document: TOMLValue
        do {
            document = try TOMLParser.parse(text)
        } catch {
            throw TopologyError("toml", "\(error)")
        }
        let root = document.table ?? [:]
        try checkKeys(root, allowed: ["vnet", "peering", "gateway", "p2s"], entry: "topology")

        var vnets: [VNet] = []
        for (index, value) in try tables(root, "vnet", entry: "topology").enumerated() {
            vnets.append(try vnet(value, index: index))
        }
        var peerings: [Peering] = []
        for (index, value) in try tables(root, "peering", entry: "topology").enumerated() {
            peerings.append(try peering(value, index: index))
        }
        guard let gatewayTable = root["gateway"]?.table else {
            throw TopologyError("gateway", "missing [gateway] section")
        }
        guard let p2sTable = root["p2s"]?.table else { throw TopologyError("p2s", "missing [p2s] section") }
        return try Topology(vnets: vnets, peerings: peerings, gateway: gateway(gatewayTable), p2s: p2s(p2sTable))
    }

    // MARK: - Sections

    private static func vnet(_ t: [String: TOMLValue], index: Int) throws(TopologyError) -> VNet {
        let name = try string(t, "name", entry: "vnet #\(index + 1)")
        let entry = "vnet \(name)"
        try checkKeys(t, allowed: ["name", "address_space", "subnet", "vm"], entry: entry)
        let space = try networks(t, "address_space", entry: entry, required: true)
        var subnets: [Subnet] = []
        for (i, s) in try tables(t, "subnet", entry: entry).enumerated() {
            let subnetName = try string(s, "name", entry: "\(entry) subnet #\(i + 1)")
            let subnetEntry = "\(entry) subnet \(subnetName)"
            try checkKeys(s, allowed: ["name", "prefix"], entry: subnetEntry)
            subnets.append(Subnet(name: subnetName, prefix: try network(s, "prefix", entry: subnetEntry)))
        }
        var vms: [VM] = []
        for (i, v) in try tables(t, "vm", entry: entry).enumerated() {
            let vmName = try string(v, "name", entry: "\(entry) vm #\(i + 1)")
            let vmEntry = "vm \(vmName)"
            try checkKeys(v, allowed: ["name", "subnet", "address", "services"], entry: vmEntry)
            var services = Service.allCases
            if v["services"] != nil {
                services = []
                for raw in try strings(v, "services", entry: vmEntry) {
                    guard let service = Service(rawValue: raw) else {
                        throw TopologyError(vmEntry, "unknown service \"\(raw)\" (icmp, tcp-echo, udp-echo)")
                    }
                    if !services.contains(service) { services.append(service) }
                }
            }
            vms.append(
                VM(
                    name: vmName, subnet: try string(v, "subnet", entry: vmEntry),
                    address: try address(v, "address", entry: vmEntry), services: services))
        }
        return VNet(name: name, addressSpace: space, subnets: subnets, vms: vms)
    }

    private static func peering(_ t: [String: TOMLValue], index: Int) throws(TopologyError) -> Peering {
        var entry = "peering #\(index + 1)"
        try checkKeys(t, allowed: ["name", "vnets", "allow_gateway_transit"], entry: entry)
        let vnets = try strings(t, "vnets", entry: entry)
        guard vnets.count == 2 else { throw TopologyError(entry, "vnets must name exactly two VNets") }
        let name = t["name"] == nil ? "\(vnets[0])-\(vnets[1])" : try string(t, "name", entry: entry)
        entry = "peering \(name)"
        var transit = false
        if let value = t["allow_gateway_transit"] {
            guard let b = value.bool else { throw TopologyError(entry, "allow_gateway_transit must be true or false") }
            transit = b
        }
        return Peering(name: name, vnets: vnets, allowGatewayTransit: transit)
    }

    private static func gateway(_ t: [String: TOMLValue]) throws(TopologyError) -> Gateway {
        try checkKeys(t, allowed: ["vnet", "namespace", "address"], entry: "gateway")
        return Gateway(
            vnet: try string(t, "vnet", entry: "gateway"), namespace: try string(t, "namespace", entry: "gateway"),
            address: try address(t, "address", entry: "gateway"))
    }

    private static func p2s(_ t: [String: TOMLValue]) throws(TopologyError) -> PointToSite {
        try checkKeys(t, allowed: ["pool", "dns", "domain", "custom_routes"], entry: "p2s")
        var dns: [IPv4Address] = []
        for raw in t["dns"] == nil ? [] : try strings(t, "dns", entry: "p2s") {
            guard let a = IPv4Address(raw) else { throw TopologyError("p2s", "dns: \"\(raw)\" is not an IPv4 address") }
            dns.append(a)
        }
        let domain = t["domain"] == nil ? nil : try string(t, "domain", entry: "p2s")
        return PointToSite(
            pool: try network(t, "pool", entry: "p2s"), dns: dns, domain: domain,
            customRoutes: try networks(t, "custom_routes", entry: "p2s", required: false))
    }

    // MARK: - Typed reads that name the entry and key

    private static func checkKeys(_ t: [String: TOMLValue], allowed: Set<String>, entry: String) throws(TopologyError) {
        for key in t.keys.sorted() where !allowed.contains(key) {
            throw TopologyError(entry, "unknown key \"\(key)\"")
        }
    }

    private static func tables(_ t: [String: TOMLValue], _ key: String, entry: String) throws(TopologyError)
        -> [[String: TOMLValue]]
    {
        guard let value = t[key] else { return [] }
        guard let array = value.array else { throw TopologyError(entry, "\(key) must be written [[\(key)]]") }
        var out: [[String: TOMLValue]] = []
        for element in array {
            guard let table = element.table else { throw TopologyError(entry, "\(key) must be written [[\(key)]]") }
            out.append(table)
        }
        return out
    }

    private static func string(_ t: [String: TOMLValue], _ key: String, entry: String) throws(TopologyError) -> String {
        guard let value = t[key] else { throw TopologyError(entry, "missing key \"\(key)\"") }
        guard let s = value.string else { throw TopologyError(entry, "\(key) must be a string") }
        return s
    }

    private static func strings(_ t: [String: TOMLValue], _ key: String, entry: String) throws(TopologyError)
        -> [String]
    {
        guard let value = t[key] else { throw TopologyError(entry, "missing key \"\(key)\"") }
        guard let array = value.array else { throw TopologyError(entry, "\(key) must be an array of strings") }
        var out: [String] = []
        for element in array {
            guard let s = element.string else { throw TopologyError(entry, "\(key) must be an array of strings") }
            out.append(s)
        }
        return out
    }

    private static func address(_ t: [String: TOMLValue], _ key: String, entry: String) throws(TopologyError)
        -> IPv4Address
    {
        let raw = try string(t, key, entry: entry)
        guard let a = IPv4Address(raw) else { throw TopologyError(entry, "\(key): \"\(raw)\" is not an IPv4 address") }
        return a
    }

    private static func network(_ t: [String: TOMLValue], _ key: String, entry: String) throws(TopologyError)
        -> IPv4Network
    {
        let raw = try string(t, key, entry: entry)
        guard let n = IPv4Network(raw) else {
            throw TopologyError(entry, "\(key): \"\(raw)\" is not an IPv4 prefix a.b.c.d/n without host bits")
        }
        return n
    }

    private static func networks(_ t: [String: TOMLValue], _ key: String, entry: String, required: Bool)
        throws(TopologyError) -> [IPv4Network]
    {
        if t[key] == nil && !required { return [] }
        var out: [IPv4Network] = []
        for raw in try strings(t, key, entry: entry) {
            guard let n = IPv4Network(raw) else {
                throw TopologyError(entry, "\(key): \"\(raw)\" is not an IPv4 prefix a.b.c.d/n without host bits")
            }
            out.append(n)
        }
        return out
    }
}
