/// Gateway size profiles modelled on Azure VPN Gateway SKUs, so a lab gateway behaves like the product it imitates:
/// all tunnels of one gateway share its aggregate throughput, and SSTP connections are capped.
///
/// Sources (Azure documentation, MicrosoftDocs/azure-docs):
/// - "SSTP supports up to 128 concurrent connections only regardless of the gateway SKU"
///   (articles/vpn-gateway/ikev2-openvpn-from-sstp.md; about-gateway-skus.md lists 128 SSTP connections per SKU).
/// - Aggregate throughput benchmark, S2S + P2S combined: Basic 100 Mbps, VpnGw1 650 Mbps, VpnGw2 1 Gbps,
///   VpnGw3 1.25 Gbps (includes/vpn-gateway-table-gwtype-aggtput-include.md).
public enum GatewaySKU: String, Sendable, CaseIterable {
    case basic = "Basic"
    case vpnGw1 = "VpnGw1"
    case vpnGw2 = "VpnGw2"
    case vpnGw3 = "VpnGw3"

    /// Maximum concurrent SSTP connections.
    public var maximumSSTPConnections: Int { 128 }

    /// Aggregate throughput in bits per second.
    public var aggregateBitsPerSecond: UInt64 {
        switch self {
        case .basic: 100_000_000
        case .vpnGw1: 650_000_000
        case .vpnGw2: 1_000_000_000
        case .vpnGw3: 1_250_000_000
        }
    }

    /// Looks a profile up by name, ignoring letter case ("vpngw1").
    public init?(name: String) {
        guard let sku = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = sku
    }
}
