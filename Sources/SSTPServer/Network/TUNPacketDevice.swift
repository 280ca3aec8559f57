import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TUNDevice

/// The production `PacketDevice`: a Linux TUN interface holding the gateway address, with the client pool routed
/// through it. Each write is one `write(2)`.
///
/// Two layouts (docs/architecture.md, "TUN layout", has the measurements behind the default):
/// - **single queue** (default): one queue read by a dedicated thread that hands each burst to the owning loops.
/// - **multi-queue**: one queue (IFF_MULTI_QUEUE) per event loop, read by that loop in bursts
///   (`TUNQueueReadHandler`); a session writes its uplink packets to its own loop's queue, and the kernel's
///   automatic flow steering sends the replies of a flow back to the queue that wrote it, so most downlink packets
///   are read on the loop that owns their session and reach its TLS connection with no thread hand-off.
public final class TUNPacketDevice: PacketDevice {
    /// The first queue (the interface's name and configuration ioctls go through it).
    public let tun: TUNDevice
    /// Every queue, `tun` first.
    public let queues: [TUNDevice]
    /// The interface's MTU (with offloads, what TCP super-packets are cut to).
    public let mtu: Int
    /// Event loop → queue index, set by `start`.
    private let loopQueues = NIOLockedValueBox<[ObjectIdentifier: Int]>([:])
    /// The pipe channels reading the queues in multi-queue mode.
    private let readers = NIOLockedValueBox<[any Channel]>([])

    /// Packets each queue's ring holds for its reader before the kernel drops (the TUN default is 500). A loop
    /// reading its queue also decrypts its sessions' uplink, and the ring absorbs the packets that arrive meanwhile
    /// (docs/architecture.md, "TUN layout").
    static let txQueueLength = 1000

    /// Creates the interface, gives it `gateway/prefixLength`, sets the MTU and brings it up.
    ///
    /// - Parameter queues: 1 for the single-queue layout (a reader thread); more attaches that many queues, to be
    ///   read by as many event loops (`start(eventLoops:onPackets:)`).
    ///   - offload: IFF_VNET_HDR with TSO and checksum offload on every queue (``TUNDevice/offload``).
    public init(
        name: String, gateway: UInt32, prefixLength: Int, mtu: Int, queues queueCount: Int = 1, offload: Bool = false
    ) throws {
        precondition(queueCount >= 1)
        let multiQueue = queueCount > 1
        let tun = try TUNDevice.create(name: name, multiQueue: multiQueue, offload: offload)
        var queues = [tun]
        do {
            for _ in 1..<queueCount {
                queues.append(try TUNDevice.create(name: tun.name, multiQueue: true, offload: offload))
            }
            try tun.setIPv4(address: gateway, prefixLength: prefixLength)
            try tun.setMTU(mtu)
            try tun.setTxQueueLength(Self.txQueueLength)
            try tun.setUp()
        } catch {
            for queue in queues { queue.close() }
            throw error
        }
        self.tun = tun
        self.queues = queues
        self.mtu = mtu
    }

    public func write(_ packet: ByteBuffer) -> Bool {
        tun.write(packet)
    }

    public func write(_ packet: ByteBuffer, queue: Int) -> Bool {
        queues[queue].write(packet)
    }

    public func queue(for eventLoop: any EventLoop) -> Int {
        loopQueues.withLockedValue { $0[ObjectIdentifier(eventLoop)] } ?? 0
    }

    public func start(
        eventLoops: [any EventLoop], onPackets: @escaping @Sendable ([ByteBuffer], _ onEventLoop: Bool) -> Void
    ) async throws {
        guard queues.count > 1 else {
            try tun.startReading { batch in onPackets(batch, false) }
            return
        }
        precondition(!eventLoops.isEmpty)
        let segmentPacketSize = tun.offload ? mtu : nil
        let counters = tun.offloadCounters
        var channels: [any Channel] = []
        do {
            for (index, queue) in queues.enumerated() {
                let loop = eventLoops[index % eventLoops.count]
                let fd = dup(queue.fd)
                guard fd >= 0 else { throw TUNError(operation: "dup", errno: errno) }
                let queueFD = queue.fd
                let channel = try await NIOPipeBootstrap(group: loop)
                    .channelOption(.maxMessagesPerRead, value: 1)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536 + 16))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                TUNQueueReadHandler(
                                    fd: queueFD, segmentPacketSize: segmentPacketSize, counters: counters
                                ) { batch in
                                    onPackets(batch, true)
                                })
                        }
                    }
                    .takingOwnershipOfDescriptor(input: fd)
                    .get()
                channels.append(channel)
                loopQueues.withLockedValue { table in
                    // A loop serving several queues writes to the first of them.
                    if table[ObjectIdentifier(loop)] == nil { table[ObjectIdentifier(loop)] = index }
                }
            }
        } catch {
            for channel in channels { channel.close(promise: nil) }
            throw error
        }
        readers.withLockedValue { $0 = channels }
    }

    /// Stops the readers and closes every queue (the kernel deletes the interface with the last one). Must not be
    /// called on an event loop that reads a queue (it waits for the readers to close).
    public func close() {
        let channels = readers.withLockedValue { current in
            defer { current = [] }
            return current
        }
        for channel in channels {
            if channel.eventLoop.inEventLoop {
                channel.close(promise: nil)
            } else {
                try? channel.close().wait()
            }
        }
        for queue in queues { queue.close() }
    }
}
