import NIOCore

/// The gateway's side of the network: where client packets are written and where packets for clients come from.
/// In production a TUN device; in tests an in-memory host that answers pings.
public protocol PacketDevice: AnyObject, Sendable {
    /// Writes one IP packet. Returns false if the device refused it (counted as a drop).
    func write(_ packet: ByteBuffer) -> Bool
    /// Starts delivering packets read from the device, in batches, on a device-owned thread.
    func start(onPackets: @escaping @Sendable ([ByteBuffer]) -> Void) throws
    /// Stops reading and releases the device.
    func close()
}
