import AddressPool
import Synchronization

/// Traffic counters of one session, updated on its event loop and read by status queries from anywhere.
public final class SessionCounters: Sendable {
    public let bytesIn = Atomic<Int>(0)
    public let bytesOut = Atomic<Int>(0)
    public let packetsIn = Atomic<Int>(0)
    public let packetsOut = Atomic<Int>(0)
    /// Packets from the client whose source address was not the session's (anti-spoofing, counted and dropped).
    public let spoofedDropped = Atomic<Int>(0)
    /// Frames dropped for any other reason (data before Call Connected, unsupported protocol, device refusal).
    public let otherDropped = Atomic<Int>(0)
    /// Of those: network → client packets dropped because the connection's queue was full (the client is slower than
    /// the traffic sent to it).
    public let queueDropped = Atomic<Int>(0)

    public init() {}
}

/// What an operator sees of one live session.
public struct SessionInfo: Sendable {
    public var id: UInt64
    public var correlationID: String?
    public var peer: String
    public var user: String?
    public var address: IPv4Address?
    /// "MS-CHAPv2" or "EAP-TLS" once authenticated.
    public var method: String?
    /// "sha256" or "sha1" once the crypto binding was verified.
    public var cryptoBinding: String?
    public var phase: String
    /// Seconds since the epoch when the TCP connection was accepted.
    public var since: Double
    public var counters: SessionCounters
}
