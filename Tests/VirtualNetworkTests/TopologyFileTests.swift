import AddressPool
import Foundation
import Testing
import VirtualNetwork

@Suite struct TopologyFileTests {
    @Test func parsesTheExample() throws {
        let topology = try TopologyFile.parse(ExampleTopology.text())
        #expect(topology.vnets.map(\.name) == ["hub", "spoke"])
        let hub = try #require(topology.vnet(named: "hub"))
        #expect(hub.addressSpace == [IPv4Network("10.1.0.0/16")!])
        #expect(hub.subnets.map(\.name) == ["GatewaySubnet", "app"])
        #expect(hub.subnets[1].gatewayAddress == IPv4Address("10.1.1.1"))
        #expect(hub.vms.map(\.name) == ["web1", "web2"])
        #expect(hub.vms[0].services == [.icmp, .tcpEcho, .udpEcho])  // the default: every service
        #expect(hub.vms[0].address == IPv4Address(10, 1, 1, 4))
        let spoke = try #require(topology.vnet(named: "spoke"))
        #expect(spoke.addressSpace.map(\.description) == ["10.2.0.0/16", "10.3.0.0/24"])
        #expect(topology.peerings == [Peering(name: "hub-spoke", vnets: ["hub", "spoke"], allowGatewayTransit: true)])
        #expect(topology.gateway == Gateway(vnet: "hub", namespace: "gw", address: IPv4Address(10, 1, 255, 4)))
        #expect(topology.p2s.pool == IPv4Network("172.16.0.0/24"))
        #expect(topology.p2s.dns == [IPv4Address(10, 1, 1, 4)])
        #expect(topology.p2s.domain == "corp.example")
        #expect(topology.p2s.customRoutes == [IPv4Network("192.168.50.0/24")!])
    }

    @Test func servicesAreRead() throws {
        let text = ExampleTopology.replacing(
            "address = \"10.1.1.5\"\nservices = [\"icmp\", \"tcp-echo\", \"udp-echo\"]",
            with: "address = \"10.1.1.5\"\nservices = [\"udp-echo\"]")
        let topology = try TopologyFile.parse(text)
        #expect(topology.vnets[0].vms[1].services == [.udpEcho])
    }

    @Test func peeringDefaultsToNoTransit() throws {
        let topology = try TopologyFile.parse(
            ExampleTopology.text().replacingOccurrences(of: "allow_gateway_transit = true\n", with: ""))
        #expect(topology.peerings.first?.allowGatewayTransit == false)
    }

    @Test func theDocumentedExampleIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/vnet.example.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let topology = try TopologyFile.parse(text)
        #expect(!topology.vnets.isEmpty)
    }
}
