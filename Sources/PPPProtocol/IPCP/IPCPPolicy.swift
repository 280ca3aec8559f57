/// IPCP's option policy (RFC 1332, RFC 1877) for both roles.
///
/// Authenticator: requests IP-Address = our address. The peer's IP-Address must be the assigned one (0.0.0.0
/// or anything else is Nak'd with it); a request *without* IP-Address is acceptable (pppd may send one,
/// SoftEther PR 1104) and the peer still gets the assigned address. RFC 1877 server options are Nak'd with
/// ours, or Rejected when we have none; IP-Compression-Protocol (Van Jacobson) and unknown options are
/// Rejected.
///
/// Peer: requests IP-Address and the configured RFC 1877 servers (normally 0.0.0.0, to be Nak'd with the real
/// values), adopts Naks, drops rejected options, and Acks the server's own non-zero IP-Address.
public struct IPCPPolicy: OptionNegotiationPolicy {
    public static let isLinkControlProtocol = false

    public let role: PPPRole
    public let parameters: IPCPParameters
    /// How many Naks of our IP-Address the authenticator sits out before giving up.
    public var maxAddressNaks = 5

    /// Our current request, in order: IP-Address first, then the RFC 1877 options.
    private var request: [(type: IPCPOptionType, address: IPCPAddress)]

    /// Negotiated so far.
    public private(set) var localAddress: IPCPAddress
    public private(set) var peerAddress: IPCPAddress
    private var servers: [IPCPOptionType: IPCPAddress] = [:]

    public init(role: PPPRole, parameters: IPCPParameters) {
        self.role = role
        self.parameters = parameters
        self.localAddress = parameters.localAddress
        self.peerAddress = parameters.peerAddress ?? .unspecified
        self.request = [(.ipAddress, parameters.localAddress)]
        if role == .peer {
            for type in IPCPOptionType.serverAddresses {
                if let address = parameters.server(type) { self.request.append((type, address)) }
            }
        }
    }

    /// The result reported when IPCP opens.
    public var result: IPCPResult {
        IPCPResult(
            localAddress: self.localAddress,
            peerAddress: self.peerAddress,
            dnsServers: [.primaryDNS, .secondaryDNS].compactMap { self.servers[$0] },
            nbnsServers: [.primaryNBNS, .secondaryNBNS].compactMap { self.servers[$0] }
        )
    }

    public func configureRequestOptions() -> [ConfigurationOption] {
        self.request.map { ConfigurationOption($0.type, address: $0.address) }
    }

    public mutating func judgeConfigureRequest(_ options: [ConfigurationOption]) -> ConfigureRequestVerdict {
        var naks: [ConfigurationOption] = []
        var rejects: [ConfigurationOption] = []
        var peerAddress = self.role == .authenticator ? (self.parameters.peerAddress ?? .unspecified) : .unspecified
        var servers: [IPCPOptionType: IPCPAddress] = [:]
        for option in options {
            let type = IPCPOptionType(rawValue: option.type)
            guard let address = option.address else {
                rejects.append(option)  // malformed, or IP-Addresses (RFC 1332 §3.1: 8 bytes)
                continue
            }
            switch (self.role, type) {
            case (.authenticator, .ipAddress):
                if let assigned = self.parameters.peerAddress {
                    // RFC 1332 §3.3: Nak "with a valid IP-Address" when the requested one is unacceptable.
                    if address != assigned { naks.append(ConfigurationOption(.ipAddress, address: assigned)) }
                } else if address == .unspecified {
                    rejects.append(option)
                } else {
                    peerAddress = address
                }
            case (.authenticator, _) where IPCPOptionType.serverAddresses.contains(type):
                // RFC 1877 §1.1: the peer sends 0.0.0.0 and the Nak "returns a valid IP address".
                if let ours = self.parameters.server(type) {
                    if address == ours {
                        servers[type] = ours
                    } else {
                        naks.append(ConfigurationOption(type, address: ours))
                    }
                } else {
                    rejects.append(option)
                }
            case (.peer, .ipAddress):
                // The server announcing its own address; 0.0.0.0 would ask us to assign one, which we cannot.
                if address == .unspecified { rejects.append(option) } else { peerAddress = address }
            default:
                // IP-Compression-Protocol (RFC 1332 §3.2: we do no Van Jacobson compression) and the unknown.
                rejects.append(option)
            }
        }
        if !rejects.isEmpty { return .reject(rejects) }
        if !naks.isEmpty { return .nak(naks) }
        self.peerAddress = peerAddress
        if self.role == .authenticator { self.servers = servers }
        return .ack
    }

    public mutating func receiveConfigureAck(_ options: [ConfigurationOption]) {
        for option in options {
            guard let address = option.address else { continue }
            let type = IPCPOptionType(rawValue: option.type)
            if type == .ipAddress {
                self.localAddress = address
            } else if self.role == .peer {
                self.servers[type] = address
            }
        }
    }

    public mutating func receiveConfigureNak(
        _ options: [ConfigurationOption],
        consecutiveNaks: Int
    ) -> NegotiationProgress {
        for option in options {
            guard let address = option.address,
                let index = self.request.firstIndex(where: { $0.type.rawValue == option.type })
            else { continue }
            switch self.role {
            case .authenticator:
                // Our own address is not negotiable.
                if self.request[index].type == .ipAddress && consecutiveNaks >= self.maxAddressNaks { return .giveUp }
            case .peer:
                if address != .unspecified { self.request[index].address = address }
            }
        }
        return .retry
    }

    public mutating func receiveConfigureReject(_ options: [ConfigurationOption]) -> NegotiationProgress {
        let rejected = Set(options.map(\.type))
        if self.role == .peer && rejected.contains(IPCPOptionType.ipAddress.rawValue)
            && self.parameters.localAddress == .unspecified
        {
            return .giveUp  // the server will not give us an address
        }
        self.request.removeAll { rejected.contains($0.type.rawValue) }
        return .retry
    }
}
