/// Why a topology was refused. `entry` names the offending entry ("vnet hub", "vnet hub subnet app",
/// "vm web1", "peering hub-spoke", "gateway", "p2s", or a TOML key), so the operator can find it in the file.
public struct TopologyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The entry the problem is in.
    public let entry: String
    /// What is wrong with it.
    public let message: String

    public init(_ entry: String, _ message: String) {
        self.entry = entry
        self.message = message
    }

    public var description: String { "\(entry): \(message)" }
}
