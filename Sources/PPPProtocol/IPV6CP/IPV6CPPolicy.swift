/// IPV6CP's option policy (RFC 5072 §4.1); the negotiation is symmetric, so one policy serves both roles.
///
/// We request our Interface-Identifier and adopt a Nak's non-zero suggestion. The peer's identifier must be
/// non-zero and differ from ours — RFC 5072 §4.1: "If the two Interface-Identifiers are equal ... a
/// Configure-Nak ... with a different ... value" — else it is Nak'd with the suggestion; other options are
/// Rejected.
public struct IPV6CPPolicy: OptionNegotiationPolicy {
    public static let isLinkControlProtocol = false

    public let parameters: IPV6CPParameters
    public private(set) var localInterfaceIdentifier: IPV6CPInterfaceIdentifier
    public private(set) var peerInterfaceIdentifier: IPV6CPInterfaceIdentifier?
    private var requestsIdentifier = true

    public init(parameters: IPV6CPParameters) {
        self.parameters = parameters
        self.localInterfaceIdentifier = parameters.localInterfaceIdentifier
    }

    public var result: IPV6CPResult {
        IPV6CPResult(localInterfaceIdentifier: self.localInterfaceIdentifier, peerInterfaceIdentifier: self.peerInterfaceIdentifier)
    }

    public func configureRequestOptions() -> [ConfigurationOption] {
        self.requestsIdentifier ? [.interfaceIdentifier(self.localInterfaceIdentifier)] : []
    }

    public mutating func judgeConfigureRequest(_ options: [ConfigurationOption]) -> ConfigureRequestVerdict {
        var naks: [ConfigurationOption] = []
        var rejects: [ConfigurationOption] = []
        var peer: IPV6CPInterfaceIdentifier?
        for option in options {
            guard option.type == IPV6CPOptionType.interfaceIdentifier.rawValue,
                let value = option.integer(as: UInt64.self).map(IPV6CPInterfaceIdentifier.init(rawValue:))
            else {
                rejects.append(option)
                continue
            }
            if value == .zero || value == self.localInterfaceIdentifier {
                naks.append(.interfaceIdentifier(self.parameters.suggestedPeerInterfaceIdentifier))
            } else {
                peer = value
            }
        }
        if !rejects.isEmpty { return .reject(rejects) }
        if !naks.isEmpty { return .nak(naks) }
        self.peerInterfaceIdentifier = peer
        return .ack
    }

    public mutating func receiveConfigureAck(_ options: [ConfigurationOption]) {}

    public mutating func receiveConfigureNak(
        _ options: [ConfigurationOption],
        consecutiveNaks: Int
    ) -> NegotiationProgress {
        for option in options where option.type == IPV6CPOptionType.interfaceIdentifier.rawValue {
            if let value = option.integer(as: UInt64.self), value != 0, value != self.peerInterfaceIdentifier?.rawValue {
                self.localInterfaceIdentifier = IPV6CPInterfaceIdentifier(value)
            }
        }
        return .retry
    }

    public mutating func receiveConfigureReject(_ options: [ConfigurationOption]) -> NegotiationProgress {
        if options.contains(where: { $0.type == IPV6CPOptionType.interfaceIdentifier.rawValue }) {
            self.requestsIdentifier = false
        }
        return .retry
    }
}
