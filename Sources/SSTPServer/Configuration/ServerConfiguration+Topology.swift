import AddressPool
import Foundation
import VirtualNetwork

extension ServerConfiguration {
    /// Loads the `[vnet] topology` file, if one is configured, and returns the configuration the gateway runs with:
    /// the P2S pool of the topology, its DNS servers and domain (unless set here), and the routes clients need
    /// (the gateway VNet, peered VNets with gateway transit, custom routes) ahead of any `[pool] routes`.
    public func resolvingTopology() throws -> ServerConfiguration {
        guard let topologyFile else { return self }
        let text: String
        do {
            text = try String(contentsOfFile: topologyFile, encoding: .utf8)
        } catch {
            throw Error("vnet.topology: cannot read \(topologyFile)")
        }
        let topology: Topology
        do {
            topology = try TopologyFile.parse(text)
        } catch {
            throw Error("vnet.topology: \(topologyFile): \(error)")
        }
        return applying(topology)
    }

    /// The configuration with `topology`'s point-to-site settings merged in (see ``resolvingTopology()``).
    public func applying(_ topology: Topology) -> ServerConfiguration {
        var c = self
        let pool = topology.p2s.pool
        c.poolNetwork = pool.description
        if let gateway = IPv4Address(gatewayAddress), pool.contains(gateway) {
            c.gatewayAddress = gatewayAddress
        } else {
            // The TUN side of the gateway takes the pool's first address.
            c.gatewayAddress = IPv4Address(pool.address.value + 1).description
        }
        if c.dnsServers.isEmpty { c.dnsServers = topology.p2s.dns.prefix(2).map(\.description) }
        if c.domain == nil { c.domain = topology.p2s.domain }
        var routes = topology.routesForClients().map(\.description)
        for route in c.routes where !routes.contains(route) { routes.append(route) }
        c.routes = routes
        return c
    }
}
