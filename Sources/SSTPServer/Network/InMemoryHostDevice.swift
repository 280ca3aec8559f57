import NIOConcurrencyHelpers
import IPPackets
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

    /// Replies are delivered on the writer's thread, inside its write: reported as not on an event loop, so the
    /// router hands them to the session's loop as a separate task instead of re-entering the writer.
    public func start(
        eventLoops: [any EventLoop], onPackets: @escaping @Sendable ([ByteBuffer], _ onEventLoop: Bool) -> Void
    ) async throws {
        sink.withLockedValue { $0 = { batch in onPackets(batch, false) } }
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
        guard let (header, echo) = try? ICMPEcho.parseIPv4(packet), echo.kind == .echoRequest,
            hosts.contains(header.destination)
        else { return nil }
        var reply = echo
        reply.kind = .echoReply
        return reply.makeIPv4Packet(source: header.destination, destination: header.source)
    }
}
