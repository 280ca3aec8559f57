/// Short, deterministic interface names (Linux allows 15 characters, IFNAMSIZ - 1).
///
/// Each name is a two-letter role, a dash and the 8 lower-case hex digits of the 32-bit FNV-1a hash of the name it
/// stands for, 11 characters in all; names only need to be unique within one namespace:
///
/// | name | where | stands for |
/// |---|---|---|
/// | `br-<h(subnet)>` | VNet router | the bridge of a subnet |
/// | `vm-<h(vm)>` | VNet router | the bridge port of a VM's veth |
/// | `gw-<h(gateway namespace)>` | gateway VNet router | the GatewaySubnet bridge port of the gateway's veth |
/// | `pr-<h(peer vnet)>` | VNet router | the veth to a peered VNet's router |
/// | `vn-<h(vnet)>` | gateway namespace | the gateway's leg in its VNet's GatewaySubnet |
/// | `eth0` | VM | the VM's only interface |
public enum InterfaceName {
    /// The longest interface name Linux accepts.
    public static let maximumLength = 15
    /// The interface inside each VM namespace.
    public static let vmInterface = "eth0"

    public static func bridge(subnet: String) -> String { "br-" + hash(subnet) }
    public static func vmPort(vm: String) -> String { "vm-" + hash(vm) }
    public static func gatewayPort(gatewayNamespace: String) -> String { "gw-" + hash(gatewayNamespace) }
    public static func peeringPort(peer vnet: String) -> String { "pr-" + hash(vnet) }
    public static func gatewayInterface(vnet: String) -> String { "vn-" + hash(vnet) }

    /// 32-bit FNV-1a of the UTF-8 bytes, as 8 lower-case hex digits.
    public static func hash(_ name: String) -> String {
        var h: UInt32 = 0x811C_9DC5
        for byte in name.utf8 {
            h ^= UInt32(byte)
            h = h &* 0x0100_0193
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
