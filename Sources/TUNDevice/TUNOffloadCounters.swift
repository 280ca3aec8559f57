import Synchronization

/// What a queue with offloads (``TUNDevice/offload``) did to the packets it read: shared by the readers of a device,
/// read by anyone (metrics, tests).
public final class TUNOffloadCounters: Sendable {
    /// TCP super-packets cut into segments.
    public let superPackets = Atomic<Int>(0)
    /// Segments those super-packets became.
    public let segments = Atomic<Int>(0)
    /// Partial checksums finished (packets that were not cut).
    public let checksumsCompleted = Atomic<Int>(0)
    /// Reads dropped because their virtio header or headers could not be handled.
    public let dropped = Atomic<Int>(0)

    public init() {}
}
