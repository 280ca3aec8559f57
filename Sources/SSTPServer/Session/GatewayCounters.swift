import Synchronization

/// Gateway-wide refusal and drop counters (every bad input is logged and counted).
public final class GatewayCounters: Sendable {
    public let framingErrors = Atomic<Int>(0)
    public let invalidMessages = Atomic<Int>(0)
    public let authenticationFailures = Atomic<Int>(0)
    public let poolExhausted = Atomic<Int>(0)
    public let spoofedDropped = Atomic<Int>(0)
    public let handshakeTimeouts = Atomic<Int>(0)
    public let sessionLimitRefusals = Atomic<Int>(0)
    /// Calls we aborted (MS-SSTP §3.1.5.1), e.g. for a crypto binding that did not verify.
    public let callAborts = Atomic<Int>(0)
    /// Network → client packets dropped because a session's connection queue was full.
    public let downlinkQueueDropped = Atomic<Int>(0)
    /// Connections refused at accept: their address already held `limits.max_unauthenticated_per_address`
    /// connections that had not reached Call Connected.
    public let unauthenticatedPerAddressRefusals = Atomic<Int>(0)
    /// Unauthenticated connections closed to make room for a new one (`limits.max_unauthenticated` reached).
    public let unauthenticatedEvictions = Atomic<Int>(0)
    /// Echo Responses not sent because the client's connection queue was full (an Echo Request flood).
    public let echoResponsesDropped = Atomic<Int>(0)

    public init() {}
}
