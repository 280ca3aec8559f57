import AddressPool
import Testing
import VirtualNetwork

/// Every refusal, as a TOML vector: the error must name the offending entry.
@Suite struct TopologyValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let entry: String
        let message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "peered VNets overlap",
            text: ExampleTopology.replacing("[\"10.2.0.0/16\", \"10.3.0.0/24\"]", with: "[\"10.1.128.0/17\"]"),
            entry: "vnet spoke", message: "address space 10.1.128.0/17 overlaps vnet hub (10.1.0.0/16)"),
        Case(
            name: "unpeered VNets overlap",
            text: ExampleTopology.text()
                + "\n[[vnet]]\nname = \"other\"\naddress_space = [\"10.3.0.128/25\"]\n",
            entry: "vnet other", message: "address space 10.3.0.128/25 overlaps vnet spoke (10.3.0.0/24)"),
        Case(
            name: "a VNet's own address spaces overlap",
            text: ExampleTopology.replacing(
                "[\"10.2.0.0/16\", \"10.3.0.0/24\"]", with: "[\"10.2.0.0/16\", \"10.2.3.0/24\"]"),
            entry: "vnet spoke", message: "address space 10.2.3.0/24 overlaps its own 10.2.0.0/16"),
        Case(
            name: "subnet outside its VNet",
            text: ExampleTopology.replacing("prefix = \"10.2.1.0/24\"", with: "prefix = \"10.9.1.0/24\""),
            entry: "vnet spoke subnet db", message: "prefix 10.9.1.0/24 is outside the address space of vnet spoke"),
        Case(
            name: "subnet larger than its VNet",
            text: ExampleTopology.replacing("prefix = \"10.2.1.0/24\"", with: "prefix = \"10.2.0.0/15\""),
            entry: "vnet spoke subnet db", message: "prefix 10.2.0.0/15 is outside the address space of vnet spoke"),
        Case(
            name: "subnets overlap",
            text: ExampleTopology.replacing("prefix = \"10.1.1.0/24\"", with: "prefix = \"10.1.255.16/28\""),
            entry: "vnet hub subnet app", message: "prefix 10.1.255.16/28 overlaps subnet GatewaySubnet (10.1.255.0/27)"
        ),
        Case(
            name: "VM outside its subnet",
            text: ExampleTopology.replacing("address = \"10.2.1.5\"", with: "address = \"10.2.2.5\""),
            entry: "vm db2", message: "address 10.2.2.5 is outside its subnet db (10.2.1.0/24)"),
        Case(
            name: "VM on the subnet's default gateway",
            text: ExampleTopology.replacing("address = \"10.2.1.5\"", with: "address = \"10.2.1.1\""),
            entry: "vm db2", message: "address 10.2.1.1 is reserved in subnet db"),
        Case(
            name: "VM on the broadcast address",
            text: ExampleTopology.replacing("address = \"10.2.1.5\"", with: "address = \"10.2.1.255\""),
            entry: "vm db2", message: "address 10.2.1.255 is reserved in subnet db"),
        Case(
            name: "duplicate VM address",
            text: ExampleTopology.replacing("address = \"10.2.1.5\"", with: "address = \"10.2.1.4\""),
            entry: "vm db2", message: "address 10.2.1.4 is already used by vm db1"),
        Case(
            name: "duplicate VM name",
            text: ExampleTopology.replacing("name = \"db2\"", with: "name = \"web1\""),
            entry: "vm web1", message: "duplicate name"),
        Case(
            name: "VM in an unknown subnet",
            text: ExampleTopology.replacing(
                "subnet = \"db\"\naddress = \"10.2.1.5\"", with: "subnet = \"app\"\naddress = \"10.2.1.5\""),
            entry: "vm db2", message: "unknown subnet \"app\" in vnet spoke"),
        Case(
            name: "VM in the GatewaySubnet",
            text: ExampleTopology.replacing(
                "subnet = \"app\"\naddress = \"10.1.1.4\"", with: "subnet = \"GatewaySubnet\"\naddress = \"10.1.255.9\""
            ),
            entry: "vm web1", message: "VMs cannot be placed in the GatewaySubnet"),
        Case(
            name: "pool inside a VNet",
            text: ExampleTopology.replacing("pool = \"172.16.0.0/24\"", with: "pool = \"10.2.200.0/24\""),
            entry: "p2s", message: "pool 10.2.200.0/24 overlaps vnet spoke (10.2.0.0/16)"),
        Case(
            name: "pool containing a VNet",
            text: ExampleTopology.replacing("pool = \"172.16.0.0/24\"", with: "pool = \"10.0.0.0/8\""),
            entry: "p2s", message: "pool 10.0.0.0/8 overlaps vnet hub (10.1.0.0/16)"),
        Case(
            name: "custom route over the pool",
            text: ExampleTopology.replacing("[\"192.168.50.0/24\"]", with: "[\"172.16.0.0/16\"]"),
            entry: "p2s", message: "custom route 172.16.0.0/16 overlaps the pool 172.16.0.0/24"),
        Case(
            name: "peering names an unknown VNet",
            text: ExampleTopology.replacing("vnets = [\"hub\", \"spoke\"]", with: "vnets = [\"hub\", \"nowhere\"]"),
            entry: "peering hub-nowhere", message: "unknown vnet \"nowhere\""),
        Case(
            name: "VNet peered with itself",
            text: ExampleTopology.replacing("vnets = [\"hub\", \"spoke\"]", with: "vnets = [\"hub\", \"hub\"]"),
            entry: "peering hub-hub", message: "a VNet cannot peer with itself"),
        Case(
            name: "the same VNets peered twice",
            text: ExampleTopology.text() + "\n[[peering]]\nname = \"again\"\nvnets = [\"spoke\", \"hub\"]\n",
            entry: "peering again", message: "spoke and hub are already peered"),
        Case(
            name: "no GatewaySubnet in the gateway's VNet",
            text: ExampleTopology.replacing("name = \"GatewaySubnet\"", with: "name = \"gateways\""),
            entry: "gateway", message: "vnet hub has no subnet named GatewaySubnet"),
        Case(
            name: "gateway in an unknown VNet",
            text: ExampleTopology.replacing("vnet = \"hub\"\nnamespace", with: "vnet = \"core\"\nnamespace"),
            entry: "gateway", message: "unknown vnet \"core\""),
        Case(
            name: "gateway address outside the GatewaySubnet",
            text: ExampleTopology.replacing("address = \"10.1.255.4\"", with: "address = \"10.1.1.9\""),
            entry: "gateway", message: "address 10.1.1.9 is outside the GatewaySubnet (10.1.255.0/27)"),
        Case(
            name: "gateway on the GatewaySubnet's default gateway",
            text: ExampleTopology.replacing("address = \"10.1.255.4\"", with: "address = \"10.1.255.1\""),
            entry: "gateway", message: "address 10.1.255.1 is reserved in the GatewaySubnet"),
        Case(
            name: "unknown key",
            text: ExampleTopology.replacing("namespace = \"gw\"", with: "namespace = \"gw\"\ncolour = \"red\""),
            entry: "gateway", message: "unknown key \"colour\""),
        Case(
            name: "unknown section",
            text: ExampleTopology.text() + "\n[vpn]\nsku = \"VpnGw1\"\n",
            entry: "topology", message: "unknown key \"vpn\""),
        Case(
            name: "missing key",
            text: ExampleTopology.replacing("subnet = \"db\"\naddress = \"10.2.1.5\"", with: "subnet = \"db\""),
            entry: "vm db2", message: "missing key \"address\""),
        Case(
            name: "host bits in a prefix",
            text: ExampleTopology.replacing("prefix = \"10.2.1.0/24\"", with: "prefix = \"10.2.1.1/24\""),
            entry: "vnet spoke subnet db", message: "prefix: \"10.2.1.1/24\" is not an IPv4 prefix"),
        Case(
            name: "unknown service",
            text: ExampleTopology.replacing("[\"icmp\", \"tcp-echo\", \"udp-echo\"]", with: "[\"ssh\"]"),
            entry: "vm web2", message: "unknown service \"ssh\""),
        Case(
            name: "gateway transit without the gateway's VNet",
            text: ExampleTopology.text(peering: false)
                + "\n[[vnet]]\nname = \"third\"\naddress_space = [\"10.4.0.0/16\"]\n"
                + "\n[[peering]]\nvnets = [\"spoke\", \"third\"]\nallow_gateway_transit = true\n",
            entry: "peering spoke-third", message: "allow_gateway_transit needs the gateway's vnet hub on one side"),
        Case(
            name: "invalid name",
            text: ExampleTopology.replacing("name = \"db1\"", with: "name = \"db 1\""),
            entry: "vm db 1", message: "invalid name"),
    ]

    @Test(arguments: cases)
    func refusesNamingTheEntry(_ vector: Case) {
        #expect {
            _ = try TopologyFile.parse(vector.text)
        } throws: { error in
            guard let error = error as? TopologyError else { return false }
            #expect(error.entry == vector.entry, "\(error)")
            #expect(error.message.contains(vector.message), "\(error)")
            return error.entry == vector.entry && error.message.contains(vector.message)
        }
    }

    @Test func tomlSyntaxErrorsAreReported() {
        #expect(throws: TopologyError.self) { try TopologyFile.parse("[[vnet]\nname = 1") }
    }

    @Test func overlapIsSymmetric() throws {
        let a = try #require(IPv4Network("10.0.0.0/8"))
        let b = try #require(IPv4Network("10.5.0.0/16"))
        let c = try #require(IPv4Network("11.0.0.0/8"))
        #expect(TopologyValidation.overlap(a, b) && TopologyValidation.overlap(b, a))
        #expect(!TopologyValidation.overlap(a, c) && !TopologyValidation.overlap(c, a))
    }
}
