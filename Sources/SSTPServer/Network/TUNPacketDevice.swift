import NIOCore
import TUNDevice

/// The production `PacketDevice`: a Linux TUN interface holding the gateway address, with the client pool routed
/// through it. Reads come in batches from the device's reader thread; each write is one `write(2)`.
public final class TUNPacketDevice: PacketDevice {
    public let tun: TUNDevice

    /// Creates the interface, gives it `gateway/prefixLength`, sets the MTU and brings it up.
    public init(name: String, gateway: UInt32, prefixLength: Int, mtu: Int) throws {
        let tun = try TUNDevice.create(name: name)
        do {
            try tun.setIPv4(address: gateway, prefixLength: prefixLength)
            try tun.setMTU(mtu)
            try tun.setUp()
        } catch {
            tun.close()
            throw error
        }
        self.tun = tun
    }

    public func write(_ packet: ByteBuffer) -> Bool {
        tun.write(packet)
    }

    public func start(onPackets: @escaping @Sendable ([ByteBuffer]) -> Void) throws {
        try tun.startReading(handler: onPackets)
    }

    public func close() {
        tun.close()
    }
}
