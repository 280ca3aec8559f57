import Foundation

/// The topology the tests start from: two peered VNets (gateway transit on), three subnets, four VMs.
enum ExampleTopology {
    static func text(gatewayNamespace: String = "gw", peering: Bool = true, transit: Bool = true) -> String {
        var text = """
            [[vnet]]
            name = "hub"
            address_space = ["10.1.0.0/16"]

            [[vnet.subnet]]
            name = "GatewaySubnet"
            prefix = "10.1.255.0/27"

            [[vnet.subnet]]
            name = "app"
            prefix = "10.1.1.0/24"

            [[vnet.vm]]
            name = "web1"
            subnet = "app"
            address = "10.1.1.4"

            [[vnet.vm]]
            name = "web2"
            subnet = "app"
            address = "10.1.1.5"
            services = ["icmp", "tcp-echo", "udp-echo"]

            [[vnet]]
            name = "spoke"
            address_space = ["10.2.0.0/16", "10.3.0.0/24"]

            [[vnet.subnet]]
            name = "db"
            prefix = "10.2.1.0/24"

            [[vnet.vm]]
            name = "db1"
            subnet = "db"
            address = "10.2.1.4"

            [[vnet.vm]]
            name = "db2"
            subnet = "db"
            address = "10.2.1.5"

            [gateway]
            vnet = "hub"
            namespace = "\(gatewayNamespace)"
            address = "10.1.255.4"

            [p2s]
            pool = "172.16.0.0/24"
            dns = ["10.1.1.4"]
            domain = "corp.example"
            custom_routes = ["192.168.50.0/24"]

            """
        if peering {
            text += """

                [[peering]]
                vnets = ["hub", "spoke"]
                allow_gateway_transit = \(transit)

                """
        }
        return text
    }

    /// The example with `old` replaced by `new` (the replacement must apply).
    static func replacing(_ old: String, with new: String) -> String {
        let base = text()
        precondition(base.contains(old), "the example has no \(old)")
        return base.replacingOccurrences(of: old, with: new)
    }
}
