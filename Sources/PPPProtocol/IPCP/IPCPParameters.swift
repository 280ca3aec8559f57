/// Inputs for IPCP, given by the composition at ``PPPSession/authenticationSucceeded(ipcp:ipv6cp:)``.
public struct IPCPParameters: Hashable, Sendable {
    /// Authenticator: our address (sent in our Configure-Request). Peer: the address to request, usually
    /// 0.0.0.0 to be told one.
    public var localAddress: IPCPAddress
    /// Authenticator: the address assigned to the peer from the pool. Peer: ignored (learned).
    public var peerAddress: IPCPAddress?
    /// Authenticator: the RFC 1877 servers to hand out (a `nil` one is Rejected when asked for).
    /// Peer: non-`nil` entries are requested (use 0.0.0.0), see ``peer(requestedAddress:)``.
    public var primaryDNS: IPCPAddress?
    public var secondaryDNS: IPCPAddress?
    public var primaryNBNS: IPCPAddress?
    public var secondaryNBNS: IPCPAddress?

    public init(
        localAddress: IPCPAddress,
        peerAddress: IPCPAddress? = nil,
        primaryDNS: IPCPAddress? = nil,
        secondaryDNS: IPCPAddress? = nil,
        primaryNBNS: IPCPAddress? = nil,
        secondaryNBNS: IPCPAddress? = nil
    ) {
        self.localAddress = localAddress
        self.peerAddress = peerAddress
        self.primaryDNS = primaryDNS
        self.secondaryDNS = secondaryDNS
        self.primaryNBNS = primaryNBNS
        self.secondaryNBNS = secondaryNBNS
    }

    /// The client's usual request: IP-Address, Primary-DNS and Secondary-DNS, all 0.0.0.0.
    public static func peer(requestedAddress: IPCPAddress = .unspecified) -> IPCPParameters {
        IPCPParameters(localAddress: requestedAddress, primaryDNS: .unspecified, secondaryDNS: .unspecified)
    }

    func server(_ type: IPCPOptionType) -> IPCPAddress? {
        switch type {
        case .primaryDNS: return self.primaryDNS
        case .secondaryDNS: return self.secondaryDNS
        case .primaryNBNS: return self.primaryNBNS
        case .secondaryNBNS: return self.secondaryNBNS
        default: return nil
        }
    }
}

/// What IPCP negotiated, reported by ``PPPAction/networkLayerUp(_:)``.
public struct IPCPResult: Hashable, Sendable {
    public var localAddress: IPCPAddress
    /// The peer's address; for the authenticator, the assigned one even when the peer did not ask for it.
    public var peerAddress: IPCPAddress
    /// DNS servers: those handed out (authenticator) or learned (peer), primary first.
    public var dnsServers: [IPCPAddress]
    /// NBNS (WINS) servers, primary first.
    public var nbnsServers: [IPCPAddress]

    public init(
        localAddress: IPCPAddress,
        peerAddress: IPCPAddress,
        dnsServers: [IPCPAddress] = [],
        nbnsServers: [IPCPAddress] = []
    ) {
        self.localAddress = localAddress
        self.peerAddress = peerAddress
        self.dnsServers = dnsServers
        self.nbnsServers = nbnsServers
    }
}
