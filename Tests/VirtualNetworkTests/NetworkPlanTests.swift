import AddressPool
import Testing
import VirtualNetwork

@Suite struct NetworkPlanTests {
    /// FNV-1a 32-bit reference values (from the FNV authors' test suite).
    @Test(arguments: [("", "811c9dc5"), ("a", "e40c292c"), ("foobar", "bf9cf968")])
    func fnv1aHash(_ input: String, _ expected: String) {
        #expect(InterfaceName.hash(input) == expected)
    }

    @Test func interfaceNamesFitIFNAMSIZ() throws {
        let long = String(repeating: "x", count: TopologyValidation.maximumNameLength)
        for name in [
            InterfaceName.bridge(subnet: long), InterfaceName.vmPort(vm: long), InterfaceName.peeringPort(peer: long),
            InterfaceName.gatewayPort(gatewayNamespace: long), InterfaceName.gatewayInterface(vnet: long),
        ] {
            #expect(name.utf8.count <= InterfaceName.maximumLength)
        }
        let plan = NetworkPlan(try TopologyFile.parse(ExampleTopology.text()))
        let names = plan.bridges.map(\.name) + plan.veths.flatMap { [$0.a.name, $0.b.name] }
        #expect(names.allSatisfy { $0.utf8.count <= InterfaceName.maximumLength })
    }

    @Test func theExamplePlan() throws {
        let plan = NetworkPlan(try TopologyFile.parse(ExampleTopology.text(gatewayNamespace: "gw")))
        let h = InterfaceName.hash
        let expected = [
            "gateway-namespace gw",
            "namespace gw-vnet-hub forwarding",
            "namespace gw-vnet-spoke forwarding",
            "namespace gw-vm-web1", "namespace gw-vm-web2", "namespace gw-vm-db1", "namespace gw-vm-db2",
            "bridge gw-vnet-hub br-\(h("GatewaySubnet")) 10.1.255.1/27",
            "bridge gw-vnet-hub br-\(h("app")) 10.1.1.1/24",
            "bridge gw-vnet-spoke br-\(h("db")) 10.2.1.1/24",
            "veth gw-vnet-hub:vm-\(h("web1")) master br-\(h("app")) <-> gw-vm-web1:eth0 10.1.1.4/24",
            "veth gw-vnet-hub:vm-\(h("web2")) master br-\(h("app")) <-> gw-vm-web2:eth0 10.1.1.5/24",
            "veth gw-vnet-spoke:vm-\(h("db1")) master br-\(h("db")) <-> gw-vm-db1:eth0 10.2.1.4/24",
            "veth gw-vnet-spoke:vm-\(h("db2")) master br-\(h("db")) <-> gw-vm-db2:eth0 10.2.1.5/24",
            "veth gw-vnet-hub:gw-\(h("gw")) master br-\(h("GatewaySubnet")) <-> gw:vn-\(h("hub")) 10.1.255.4/27",
            "veth gw-vnet-hub:pr-\(h("spoke")) 169.254.0.1/30 <-> gw-vnet-spoke:pr-\(h("hub")) 169.254.0.2/30",
            "route gw-vm-web1 default via 10.1.1.1 dev eth0",
            "route gw-vm-web2 default via 10.1.1.1 dev eth0",
            "route gw-vm-db1 default via 10.2.1.1 dev eth0",
            "route gw-vm-db2 default via 10.2.1.1 dev eth0",
            // The gateway reaches its VNet and the transit-peered one through the hub router...
            "route gw 10.1.0.0/16 via 10.1.255.1 dev vn-\(h("hub"))",
            "route gw 10.2.0.0/16 via 10.1.255.1 dev vn-\(h("hub"))",
            "route gw 10.3.0.0/24 via 10.1.255.1 dev vn-\(h("hub"))",
            // ...which sends the P2S pool back to the gateway,
            "route gw-vnet-hub 172.16.0.0/24 via 10.1.255.4 dev br-\(h("GatewaySubnet"))",
            // the peered routers route each other's address spaces, and the spoke sends the pool to the hub.
            "route gw-vnet-hub 10.2.0.0/16 via 169.254.0.2 dev pr-\(h("spoke"))",
            "route gw-vnet-hub 10.3.0.0/24 via 169.254.0.2 dev pr-\(h("spoke"))",
            "route gw-vnet-spoke 10.1.0.0/16 via 169.254.0.1 dev pr-\(h("hub"))",
            "route gw-vnet-spoke 172.16.0.0/24 via 169.254.0.1 dev pr-\(h("hub"))",
            "echo gw-vm-web1 tcp 7 udp 7", "echo gw-vm-web2 tcp 7 udp 7",
            "echo gw-vm-db1 tcp 7 udp 7", "echo gw-vm-db2 tcp 7 udp 7",
        ]
        #expect(plan.lines == expected)
    }

    @Test func withoutTransitThePeeredVNetIsNotRoutedFromTheGateway() throws {
        let plan = NetworkPlan(try TopologyFile.parse(ExampleTopology.text(transit: false)))
        #expect(plan.routes.filter { $0.namespace == "gw" }.compactMap(\.destination) == [IPv4Network("10.1.0.0/16")!])
        #expect(
            !plan.routes.contains { $0.namespace == "gw-vnet-spoke" && $0.destination == IPv4Network("172.16.0.0/24") })
        // The VNets still reach each other.
        #expect(
            plan.routes.contains { $0.namespace == "gw-vnet-spoke" && $0.destination == IPv4Network("10.1.0.0/16") })
    }

    @Test func peeringLinkAddressesAreDistinctPerPeering() {
        let first = NetworkPlan.peeringAddresses(index: 0)
        let second = NetworkPlan.peeringAddresses(index: 1)
        #expect(first.first.description == "169.254.0.1/30" && first.second.description == "169.254.0.2/30")
        #expect(second.first.description == "169.254.0.5/30" && second.second.description == "169.254.0.6/30")
        #expect(NetworkPlan.peeringAddresses(index: 64).first.description == "169.254.1.1/30")
    }
}
