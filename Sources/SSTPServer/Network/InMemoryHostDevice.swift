import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// A `PacketDevice` with no kernel behind it: a set of simulated hosts that answer ICMP echo requests.
/// Used by in-process tests and benchmarks where a TUN device (root) is not wanted; the system tests use a real
/// TUN device and a host in a network namespace instead.
public final class InMemoryHostDevice: PacketDevice, Sendable {
    private let hosts: Set<UInt32>
    private let sink = NIOLockedValueBox<(@Sendable ([ByteBuffer]) -> Void)?>(nil)
    /// Every packet written to the device, counted.
    public let packetsWritten = Atomic<Int>(0)
    /// Packets that were not an echo request to one of the hosts.
    public let packetsIgnored = Atomic<Int>(0)

    /// - Parameter hosts: IPv4 addresses (host byte order values) that answer pings.
    public init(hosts: [UInt32]) {
        self.hosts = Set(hosts)
    }

    public func start(onPackets: @escaping @Sendable ([ByteBuffer]) -> Void) throws {
        sink.withLockedValue { $0 = onPackets }
    }

    public func close() {
        sink.withLockedValue { $0 = nil }
    }

    public func write(_ packet: ByteBuffer) -> Bool {
        packetsWritten.add(1, ordering: .relaxed)
        guard let reply = echoReply(to: packet) else {
            packetsIgnored.add(1, ordering: .relaxed)
            return true
        }
        if let deliver = sink.withLockedValue({ $0 }) {
            deliver([reply])
        }
        return true
    }

    /// Builds the echo reply for an IPv4 ICMP echo request addressed to one of the hosts.
    private func echoReply(to packet: ByteBuffer) -> ByteBuffer? {
        let start = packet.readerIndex
        guard packet.readableBytes >= 28,
            let versionIHL = packet.getInteger(at: start, as: UInt8.self), versionIHL >> 4 == 4,
            let totalLength = packet.getInteger(at: start + 2, as: UInt16.self),
            let proto = packet.getInteger(at: start + 9, as: UInt8.self), proto == 1,
            let source = packet.getInteger(at: start + 12, as: UInt32.self),
            let destination = packet.getInteger(at: start + 16, as: UInt32.self),
            hosts.contains(destination)
        else { return nil }
        let headerLength = Int(versionIHL & 0x0F) * 4
        guard headerLength >= 20, Int(totalLength) <= packet.readableBytes, Int(totalLength) >= headerLength + 8,
            packet.getInteger(at: start + headerLength, as: UInt8.self) == 8
        else { return nil }
        var reply = ByteBuffer(buffer: packet.getSlice(at: start, length: Int(totalLength))!)
        reply.setInteger(destination, at: 12)
        reply.setInteger(source, at: 16)
        reply.setInteger(UInt8(64), at: 8)  // TTL
        reply.setInteger(UInt16(0), at: 10)
        reply.setInteger(Self.checksum(reply, from: 0, count: headerLength), at: 10)
        reply.setInteger(UInt8(0), at: headerLength)  // echo reply
        reply.setInteger(UInt16(0), at: headerLength + 2)
        reply.setInteger(Self.checksum(reply, from: headerLength, count: Int(totalLength) - headerLength), at: headerLength + 2)
        return reply
    }

    /// RFC 1071 internet checksum over `count` bytes at `from`.
    static func checksum(_ buffer: ByteBuffer, from: Int, count: Int) -> UInt16 {
        var sum: UInt32 = 0
        buffer.withUnsafeReadableBytes { bytes in
            var i = from
            while i + 1 < from + count {
                sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
                i += 2
            }
            if i < from + count { sum += UInt32(bytes[i]) << 8 }
        }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
