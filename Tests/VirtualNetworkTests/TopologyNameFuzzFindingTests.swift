import Testing
import VirtualNetwork

/// A name of "." or ".." passed validation. The gateway namespace names the network namespace (/run/netns/<name>) and
/// the state directory `/run/sstp-vnet/<name>`, which `sstpctl vnet down` deletes recursively: with ".." that was
/// /run. Found by the `vnet-topology` fuzz harness's invariant that every namespace name is a usable file name
/// (docs/fuzzing.md, finding 4; the input is Fuzz/Regressions/vnet-topology/finding-4-dotdot-gateway-namespace).
struct TopologyNameFuzzFindingTests {
    static let minimal = """
        [[vnet]]
        name = "hub"
        address_space = ["10.1.0.0/16"]
        [[vnet.subnet]]
        name = "GatewaySubnet"
        prefix = "10.1.255.0/27"
        [gateway]
        vnet = "hub"
        namespace = "NAMESPACE"
        address = "10.1.255.4"
        [p2s]
        pool = "172.16.0.0/24"
        """

    @Test(arguments: [".", ".."])
    func dotNamesAreRefused(_ name: String) {
        #expect(!TopologyValidation.isValidName(name))
        #expect(throws: TopologyError.self) {
            try TopologyFile.parse(Self.minimal.replacing("NAMESPACE", with: name))
        }
    }

    @Test(arguments: ["...", ".hidden", "gw.1", "a"])
    func otherNamesWithDotsStayValid(_ name: String) throws {
        #expect(TopologyValidation.isValidName(name))
        let topology = try TopologyFile.parse(Self.minimal.replacing("NAMESPACE", with: name))
        #expect(topology.gateway.namespace == name)
    }
}
