import AddressPool
import IPPackets
import NIOCore
import Synchronization

/// Which way `sstp-dial bench --traffic-peer` pushes packets: `up` is client → peer (the sessions send, sstpd writes
/// its TUN), `down` is peer → client (the peer sends, sstpd reads its TUN).
public enum BenchTrafficDirection: String, Sendable, Codable, CaseIterable {
    case up, down, both

    var uplink: Bool { self != .down }
    var downlink: Bool { self != .up }
}

/// The traffic phase of a bench: UDP between every session and one host behind the gateway (the peer), which sinks
/// the uplink and sources the downlink. Nil in `BenchConfiguration` = no traffic (idle sessions only).
public struct BenchTrafficConfiguration: Sendable, Equatable {
    /// IP packet sizes accepted (IPv4 header + UDP header + payload). The gateway's MRU (1400 by default) and TUN
    /// MTU bound what actually passes.
    public static let packetSizes = 64...1500
    /// The UDP port of every session's end: the source port of uplink packets, the destination port of downlink
    /// packets (the sessions count only these).
    public static let sessionPort: UInt16 = 40_000

    /// The host behind the gateway: the peer socket binds it and the sessions send to it.
    public var peerAddress: IPv4Address
    public var peerPort: UInt16
    /// The network namespace (`/var/run/netns/NAME`) the peer socket is created in; nil = this process's.
    public var peerNetns: String?
    /// IP packet size in bytes, the same both ways.
    public var packetSize: Int
    /// Packets per second per session per direction; 0 = as fast as they go.
    public var packetRate: Double
    public var direction: BenchTrafficDirection
    /// How long the senders run.
    public var durationSeconds: Double

    public init(
        peerAddress: IPv4Address, peerPort: UInt16, peerNetns: String? = nil, packetSize: Int = 1400,
        packetRate: Double = 0, direction: BenchTrafficDirection = .both, durationSeconds: Double = 10
    ) {
        self.peerAddress = peerAddress
        self.peerPort = peerPort
        self.peerNetns = peerNetns
        self.packetSize = packetSize
        self.packetRate = packetRate
        self.direction = direction
        self.durationSeconds = durationSeconds
    }

    /// Parses `A.B.C.D:PORT` (port 1–65535); nil otherwise.
    public static func parsePeer(_ text: String) -> (address: IPv4Address, port: UInt16)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let port = UInt16(parts[1]), port > 0
        else { return nil }
        return (address, port)
    }

    /// What is wrong with the settings, or nil if they are usable.
    public var problem: String? {
        if !Self.packetSizes.contains(packetSize) {
            return "--packet-size must be \(Self.packetSizes.lowerBound)–\(Self.packetSizes.upperBound) bytes"
        }
        if !(packetRate >= 0 && packetRate.isFinite) { return "--packet-rate must be 0 (flat out) or more" }
        if !(durationSeconds > 0 && durationSeconds.isFinite) { return "--duration must be more than 0 seconds" }
        if peerPort == 0 { return "--traffic-peer needs a port (1–65535)" }
        if let name = peerNetns, !Self.isNamespaceName(name) {
            return "--peer-netns must be a namespace name (as `ip netns add` takes), not \"\(name)\""
        }
        return nil
    }

    /// A name `ip netns add` would create under /var/run/netns: not empty, no "/", not "." or "..".
    static func isNamespaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count < 256 && !name.contains("/") && name != "." && name != ".."
    }
}

/// The packets the traffic generator sends.
public enum BenchPacket {
    /// An IPv4/UDP packet of `size` bytes (20-byte header without options, 8-byte UDP header, zero payload): DF set,
    /// TTL 64, identification 0, a correct header checksum (the kernel verifies it; IPPackets' `writeIPv4Header`),
    /// UDP checksum 0 ("none", which IPv4 allows, RFC 768). Built once per session and sent over and over.
    public static func udp(
        source: IPv4Address, sourcePort: UInt16, destination: IPv4Address, destinationPort: UInt16, size: Int,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        precondition(size >= 28 && size <= 65535, "an IPv4/UDP packet is 28 to 65535 bytes")
        var packet = allocator.buffer(capacity: size)
        packet.writeIPv4Header(
            IPv4Header(
                totalLength: UInt16(size), dontFragment: true, protocol: .udp, source: source.value,
                destination: destination.value))
        packet.writeInteger(sourcePort)
        packet.writeInteger(destinationPort)
        packet.writeInteger(UInt16(size - 20))
        packet.writeInteger(UInt16(0))  // no UDP checksum
        packet.writeRepeatingByte(0, count: size - 28)
        return packet
    }

    /// The RFC 1071 checksum of the first 20 readable bytes (an IPv4 header without options, its checksum field
    /// zero when computing it; a header that carries its checksum gives 0).
    public static func headerChecksum(_ header: ByteBuffer) -> UInt16 {
        InternetChecksum.checksum(of: header.getSlice(at: header.readerIndex, length: 20) ?? header)
    }

    /// Whether `packet` is an IPv4/UDP packet (no IP options, as the kernel sends them) to `port`.
    @inline(__always)
    static func isUDP(_ packet: ByteBuffer, toPort port: UInt16) -> Bool {
        let start = packet.readerIndex
        guard packet.readableBytes >= 28, packet.getInteger(at: start, as: UInt8.self) == 0x45,
            packet.getInteger(at: start + 9, as: UInt8.self) == IPProtocol.udp.rawValue
        else { return false }
        return packet.getInteger(at: start + 22, as: UInt16.self) == port
    }
}

/// One session's uplink sender, on the session's event loop: every millisecond it sends what the rate allows since
/// it started (paced), or batches of `batch` packets for as long as the channel stays writable (flat out), so the
/// client never queues more than NIO's write buffer. The packet is the session's template, sent again each time.
final class BenchUplinkSender {
    /// Packets per write (one SSTP write and flush each).
    static let batch = 32
    /// At most this many batches per tick, so one session cannot starve the others on its event loop.
    static let maxBatchesPerTick = 16

    private let tunnel: TunnelConnection
    private let packet: ByteBuffer
    private let rate: Double
    private let probe: BenchSessionProbe
    private let start = NIODeadline.now()
    private var sent = 0

    init(tunnel: TunnelConnection, packet: ByteBuffer, rate: Double, probe: BenchSessionProbe) {
        self.tunnel = tunnel
        self.packet = packet
        self.rate = rate
        self.probe = probe
    }

    /// Starts ticking on the tunnel's event loop; cancel the task to stop (after the cancel promise completes, the
    /// probe's `uplinkSent` is final).
    static func start(
        tunnel: TunnelConnection, packet: ByteBuffer, rate: Double, probe: BenchSessionProbe
    ) -> EventLoopFuture<RepeatedTask> {
        let eventLoop = tunnel.channel.eventLoop
        return eventLoop.submit {
            let sender = NIOLoopBound(
                BenchUplinkSender(tunnel: tunnel, packet: packet, rate: rate, probe: probe), eventLoop: eventLoop)
            return eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(1)) { _ in
                sender.value.tick()
            }
        }
    }

    private func tick() {
        let handler = tunnel.handler.value
        var budget = Self.batch * Self.maxBatchesPerTick
        if rate > 0 {
            let due = Int(Double((NIODeadline.now() - start).nanoseconds) * rate / 1e9)
            budget = min(budget, due - sent)
        }
        var batches = 0
        while budget > 0 && batches < Self.maxBatchesPerTick && tunnel.channel.isWritable {
            let written = handler.sendRepeated(packet, count: min(Self.batch, budget))
            guard written > 0 else { break }
            sent += written
            budget -= written
            batches += 1
        }
        probe.uplinkSent.store(sent, ordering: .relaxed)
    }
}
