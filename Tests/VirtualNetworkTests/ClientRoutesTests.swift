import AddressPool
import Foundation
import Testing
import VirtualNetwork

/// The prefixes P2S clients route through the tunnel (what DHCPINFORM answers with).
@Suite struct ClientRoutesTests {
    private func prefixes(_ strings: [String]) -> [IPv4Network] {
        strings.map { IPv4Network($0)! }
    }

    @Test func gatewayVNetThenTransitPeersThenCustomRoutes() throws {
        let topology = try TopologyFile.parse(ExampleTopology.text())
        #expect(
            topology.routesForClients(peeringsEnabled: true)
                == prefixes(["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/24", "192.168.50.0/24"]))
    }

    @Test func peeringsDisabledLeavesTheGatewayVNetAndCustomRoutes() throws {
        let topology = try TopologyFile.parse(ExampleTopology.text())
        #expect(topology.routesForClients(peeringsEnabled: false) == prefixes(["10.1.0.0/16", "192.168.50.0/24"]))
    }

    @Test func peeringWithoutGatewayTransitIsNotRouted() throws {
        let topology = try TopologyFile.parse(ExampleTopology.text(transit: false))
        #expect(topology.routesForClients() == prefixes(["10.1.0.0/16", "192.168.50.0/24"]))
        #expect(topology.vnetsReachableFromGateway().map(\.name) == ["hub"])
    }

    @Test func removedPeeringIsNotRouted() throws {
        let topology = try TopologyFile.parse(ExampleTopology.text(peering: false))
        #expect(topology.routesForClients() == prefixes(["10.1.0.0/16", "192.168.50.0/24"]))
    }

    @Test func peeringIsNotTransitive() throws {
        // third is peered with spoke only: Azure peering is not transitive, clients do not reach it.
        let text =
            ExampleTopology.text()
            + "\n[[vnet]]\nname = \"third\"\naddress_space = [\"10.4.0.0/16\"]\n"
            + "\n[[peering]]\nvnets = [\"spoke\", \"third\"]\n"
        let topology = try TopologyFile.parse(text)
        #expect(
            topology.routesForClients()
                == prefixes(["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/24", "192.168.50.0/24"]))
    }

    @Test func transitPeeringWrittenFromTheOtherSide() throws {
        let text = ExampleTopology.text().replacingOccurrences(
            of: "vnets = [\"hub\", \"spoke\"]", with: "vnets = [\"spoke\", \"hub\"]")
        let topology = try TopologyFile.parse(text)
        #expect(
            topology.routesForClients(peeringsEnabled: true)
                == prefixes(["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/24", "192.168.50.0/24"]))
    }

    @Test func duplicatesAreRemovedInOrder() throws {
        let text = ExampleTopology.replacing(
            "[\"192.168.50.0/24\"]", with: "[\"10.1.0.0/16\", \"192.168.50.0/24\", \"192.168.50.0/24\"]")
        let topology = try TopologyFile.parse(text)
        #expect(
            topology.routesForClients()
                == prefixes(["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/24", "192.168.50.0/24"]))
    }
}
