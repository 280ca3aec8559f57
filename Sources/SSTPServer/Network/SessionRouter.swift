import AddressPool
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Where packets for one client address go: the session's event loop and a closure that runs there.
public final class SessionEndpoint: Sendable {
    public let sessionID: UInt64
    public let eventLoop: any EventLoop
    /// Runs on `eventLoop` with every packet of one device read batch destined to this session.
    public let deliver: @Sendable ([ByteBuffer]) -> Void
    /// Packets handed to `eventLoop` and not yet delivered.
    let pending = Atomic<Int>(0)

    public init(sessionID: UInt64, eventLoop: any EventLoop, deliver: @escaping @Sendable ([ByteBuffer]) -> Void) {
        self.sessionID = sessionID
        self.eventLoop = eventLoop
        self.deliver = deliver
    }
}

/// Maps client addresses to sessions and demultiplexes device read batches: a session on the loop that read the
/// batch gets its packets at once; every other session gets one hand-off to its event loop per batch (a thread
/// hand-off costs ~4 µs here, so never one per packet).
public final class SessionRouter: Sendable {
    private let table = NIOLockedValueBox<[UInt32: SessionEndpoint]>([:])
    /// Packets from the device with no session for their destination.
    public let droppedNoRoute = Atomic<Int>(0)
    /// Packets from the device that were not IPv4 (IPv6 routing comes with IPV6CP global addresses).
    public let droppedUnroutable = Atomic<Int>(0)
    /// Packets dropped because their session's event loop had `maximumPendingPackets` of its packets not yet
    /// delivered: the reader thread outran the loop (a bounded hand-off; the task queue must not grow without limit).
    public let droppedBacklog = Atomic<Int>(0)
    /// Per session: packets handed to its event loop and not yet delivered, at most (≈ 0.7 MiB of 1400-byte
    /// packets; ~6 ms of a busy loop).
    public static let maximumPendingPackets = 512

    /// Where drops are also counted for Prometheus (`no_session`, and `cap` for a full hand-off backlog).
    private let metrics: GatewayMetrics?

    public init(metrics: GatewayMetrics? = nil) {
        self.metrics = metrics
    }

    public func register(address: UInt32, endpoint: SessionEndpoint) {
        table.withLockedValue { $0[address] = endpoint }
    }

    /// Removes the route only if it still belongs to `sessionID` (a new session may already hold the address).
    public func unregister(address: UInt32, sessionID: UInt64) {
        table.withLockedValue { table in
            if table[address]?.sessionID == sessionID { table.removeValueAndShrink(forKey: address) }
        }
    }

    public var count: Int { table.withLockedValue { $0.count } }

    /// Called with one device read batch, on the device's reader thread or (`onEventLoop`) on the event loop that
    /// read it: then the packets of sessions on that loop are delivered at once, with no hand-off and no backlog.
    public func route(_ batch: [ByteBuffer], onEventLoop: Bool = false) {
        var perSession: [UInt64: (SessionEndpoint, [ByteBuffer])] = [:]
        var unroutable = 0
        var noRoute = 0
        table.withLockedValue { table in
            for packet in batch {
                guard let destination = Self.ipv4Destination(packet) else {
                    unroutable += 1
                    continue
                }
                guard let endpoint = table[destination] else {
                    noRoute += 1
                    continue
                }
                perSession[endpoint.sessionID, default: (endpoint, [])].1.append(packet)
            }
        }
        // Counted once per batch, not per packet (the counters are shared with every reader of the status).
        if unroutable > 0 { droppedUnroutable.add(unroutable, ordering: .relaxed) }
        if noRoute > 0 {
            droppedNoRoute.add(noRoute, ordering: .relaxed)
            metrics?.tunDropped(reason: .noSession, count: noRoute)
        }
        for (_, (endpoint, packets)) in perSession {
            if onEventLoop && endpoint.eventLoop.inEventLoop {
                endpoint.deliver(packets)
                continue
            }
            let count = packets.count
            guard endpoint.pending.add(count, ordering: .relaxed).newValue <= Self.maximumPendingPackets else {
                endpoint.pending.subtract(count, ordering: .relaxed)
                droppedBacklog.add(count, ordering: .relaxed)
                metrics?.tunDropped(reason: .cap, count: count)
                continue
            }
            endpoint.eventLoop.execute {
                endpoint.pending.subtract(count, ordering: .relaxed)
                endpoint.deliver(packets)
            }
        }
    }

    /// The destination of an IPv4 packet, or nil for anything else.
    @inline(__always)
    static func ipv4Destination(_ packet: ByteBuffer) -> UInt32? {
        guard packet.readableBytes >= 20,
            let first = packet.getInteger(at: packet.readerIndex, as: UInt8.self), first >> 4 == 4
        else { return nil }
        return packet.getInteger(at: packet.readerIndex + 16, as: UInt32.self)
    }
}
