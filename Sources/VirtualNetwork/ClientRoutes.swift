import AddressPool

extension Topology {
    /// The VNets P2S clients reach through the gateway: the gateway's own VNet, and (when `peeringsEnabled`) every
    /// VNet peered directly with it by a peering that allows gateway transit. Azure peering is not transitive, so a
    /// VNet peered only with a peered VNet is not reachable.
    public func vnetsReachableFromGateway(peeringsEnabled: Bool = true) -> [VNet] {
        var result = [gatewayVNet]
        guard peeringsEnabled else { return result }
        for peering in peerings where peering.allowGatewayTransit {
            if let name = peering.peer(of: gateway.vnet), let vnet = vnet(named: name),
                !result.contains(where: { $0.name == name })
            {
                result.append(vnet)
            }
        }
        return result
    }

    /// The prefixes the gateway itself routes into the virtual network: the address spaces of
    /// `vnetsReachableFromGateway(peeringsEnabled:)`, in file order.
    public func prefixesReachableFromGateway(peeringsEnabled: Bool = true) -> [IPv4Network] {
        vnetsReachableFromGateway(peeringsEnabled: peeringsEnabled).flatMap(\.addressSpace)
    }

    /// The prefixes P2S clients must route through the tunnel (split tunnelling): the gateway VNet's address
    /// spaces, then the address spaces of VNets peered with it with `allow_gateway_transit = true` (only when
    /// `peeringsEnabled`), then `p2s.custom_routes`; duplicates removed, order kept. This is what the gateway
    /// answers a client's DHCPINFORM with (classless static routes, RFC 3442 option 121 and Microsoft's 249).
    public func routesForClients(peeringsEnabled: Bool = true) -> [IPv4Network] {
        var routes: [IPv4Network] = []
        for prefix in prefixesReachableFromGateway(peeringsEnabled: peeringsEnabled) + p2s.customRoutes
        where !routes.contains(prefix) {
            routes.append(prefix)
        }
        return routes
    }
}
