import NIOCore

/// The gateway's side of the network: where client packets are written and where packets for clients come from.
/// In production a TUN device; in tests an in-memory host that answers pings.
public protocol PacketDevice: AnyObject, Sendable {
    /// Writes one IP packet. Returns false if the device refused it (counted as a drop).
    func write(_ packet: ByteBuffer) -> Bool
    /// Starts delivering packets read from the device, in batches, on a device-owned thread or on `eventLoops`.
    ///
    /// `onPackets`'s second argument says whether the call runs on one of `eventLoops` (then a session on that loop
    /// may take its packets at once, with no hand-off).
    func start(
        eventLoops: [any EventLoop], onPackets: @escaping @Sendable ([ByteBuffer], _ onEventLoop: Bool) -> Void
    ) async throws
    /// The queue a session on `eventLoop` writes its packets to (`write(_:queue:)`); 0 for a single-queue device.
    func queue(for eventLoop: any EventLoop) -> Int
    /// Writes one IP packet on queue `queue`.
    func write(_ packet: ByteBuffer, queue: Int) -> Bool
    /// Stops reading and releases the device.
    func close()
}

extension PacketDevice {
    public func queue(for eventLoop: any EventLoop) -> Int { 0 }
    public func write(_ packet: ByteBuffer, queue: Int) -> Bool { write(packet) }
}
