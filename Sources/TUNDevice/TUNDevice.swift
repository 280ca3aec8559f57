internal import CTUNShims
import Glibc
import IPPackets
import NIOCore
import Synchronization
import struct NIOConcurrencyHelpers.NIOLockedValueBox

/// A Linux TUN interface (IFF_TUN | IFF_NO_PI: every read and write is exactly one IP packet, no header; with
/// ``offload``, one IP packet behind a virtio header, the reader cutting TCP super-packets into segments).
///
/// Writes are one `write(2)` per packet from the caller's thread; never gather several packets into one `writev`,
/// because the TUN driver treats one `writev` as one packet and IP would silently drop the rest (measured: 97 %
/// loss through NIOPipeBootstrap). Reads happen on a dedicated thread started by
/// ``startReading(maxBatchSize:handler:)``, which polls the fd and reads until EAGAIN (up to a batch) before
/// calling back, instead of NIO's one-packet-per-event-loop-iteration pipe channel.
///
/// Ownership: the device owns its fd. Call ``close()`` exactly when no other thread is writing any more; it
/// stops the reader thread, closes the fd, and the kernel deletes the interface (it is not persistent).
/// `deinit` asserts that `close()` was called.
public final class TUNDevice: Sendable {
    /// The interface name the kernel chose (e.g. "sstp0" for "sstp%d").
    public let name: String
    /// The TUN file descriptor (non-blocking, close-on-exec). Valid until ``close()``.
    public let fd: CInt
    /// Opened with offloads (`IFF_VNET_HDR` + TSO and checksum offload): reads carry a ``VirtioNetHeader`` that the
    /// reader removes (segmenting TCP super-packets), and ``write(_:)`` puts one before each packet.
    public let offload: Bool
    /// What this device's reader did with offloaded reads (zero without ``offload``).
    public let offloadCounters = TUNOffloadCounters()

    private let closed = Atomic<Bool>(false)
    /// The MTU last set with ``setMTU(_:)`` (0: never): what the reader cuts super-packets to. Kept here because
    /// reading it back is an ioctl by name, in the calling thread's namespace, which may not be the device's.
    private let configuredMTU = Atomic<Int>(0)
    private let reader = NIOLockedValueBox<TUNReaderThread?>(nil)

    private init(name: String, fd: CInt, offload: Bool) {
        self.name = name
        self.fd = fd
        self.offload = offload
    }

    deinit {
        assert(closed.load(ordering: .relaxed), "TUNDevice \(name) deinitialised without close()")
    }

    /// Creates a TUN interface in the calling thread's network namespace.
    ///
    /// - Parameters:
    ///   - name: the interface name, where "%d" lets the kernel pick a free number ("sstp%d").
    ///   - multiQueue: sets IFF_MULTI_QUEUE so more queues can be attached later by opening the same name.
    ///   - offload: IFF_VNET_HDR with TSO4/TSO6 and checksum offload (``offload``); every queue of a device must
    ///     agree.
    public static func create(
        name: String = "sstp%d", multiQueue: Bool = false, offload: Bool = false
    ) throws(TUNError) -> TUNDevice {
        guard name.utf8.count < 16 else { throw TUNError(operation: "TUNSETIFF", errno: ENAMETOOLONG) }
        var nameOut = [CChar](repeating: 0, count: 16)
        let fd = try TUNError.check(ctun_open(name, &nameOut, multiQueue ? 1 : 0, offload ? 1 : 0), "TUNSETIFF")
        let actualName = String(decoding: nameOut.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return TUNDevice(name: actualName, fd: fd, offload: offload)
    }

    // The ioctls below act on the interface of this name in the *calling thread's* network namespace.

    /// Assigns an IPv4 address (a 32-bit value, most significant octet first) and prefix length
    /// (SIOCSIFADDR + SIOCSIFNETMASK). The kernel adds the connected route for the prefix.
    public func setIPv4(address: UInt32, prefixLength: Int) throws(TUNError) {
        guard (0...32).contains(prefixLength) else { throw TUNError(operation: "SIOCSIFNETMASK", errno: EINVAL) }
        let netmask: UInt32 = prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
        _ = try TUNError.check(ctun_set_ipv4(name, address, netmask), "SIOCSIFADDR/SIOCSIFNETMASK")
    }

    /// Sets the interface MTU (SIOCSIFMTU).
    public func setMTU(_ mtu: Int) throws(TUNError) {
        _ = try TUNError.check(ctun_set_mtu(name, CInt(clamping: mtu)), "SIOCSIFMTU")
        configuredMTU.store(mtu, ordering: .relaxed)
    }

    /// Sets the transmit queue length (SIOCSIFTXQLEN): how many packets each queue's ring holds for its reader
    /// before the kernel drops (default 500).
    public func setTxQueueLength(_ length: Int) throws(TUNError) {
        _ = try TUNError.check(ctun_set_tx_queue_length(name, CInt(clamping: length)), "SIOCSIFTXQLEN")
    }

    /// The interface MTU as the kernel reports it (SIOCGIFMTU). Call from a thread in the device's namespace.
    public func mtu() throws(TUNError) -> Int {
        Int(try TUNError.check(ctun_get_mtu(name), "SIOCGIFMTU"))
    }

    /// Brings the interface up (IFF_UP | IFF_RUNNING).
    public func setUp() throws(TUNError) {
        _ = try TUNError.check(ctun_set_up(name), "SIOCSIFFLAGS")
    }

    /// Writes one packet with exactly one `write(2)` (with offloads, one `writev(2)` of a virtio header and the
    /// packet). Returns false if the packet was not accepted whole (queue
    /// full with EAGAIN, device closed, or an error such as EINVAL for a malformed packet): TUN I/O is lossy by
    /// nature and callers count drops rather than retry.
    @discardableResult
    public func write(_ packet: ByteBuffer) -> Bool {
        guard !closed.load(ordering: .relaxed) else { return false }
        return packet.withUnsafeReadableBytes { bytes in
            guard offload else {
                while true {
                    let written = Glibc.write(fd, bytes.baseAddress, bytes.count)
                    if written < 0 && errno == EINTR { continue }
                    return written == bytes.count
                }
            }
            // One writev is one packet: a virtio header saying "nothing to do" (the client's checksums are
            // complete, and it sends no super-packets), then the packet.
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: VirtioNetHeader.length) { header in
                header.initialize(repeating: 0)
                var vectors = (
                    iovec(iov_base: UnsafeMutableRawPointer(header.baseAddress!), iov_len: header.count),
                    iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                )
                return withUnsafeBytes(of: &vectors) { raw in
                    let iov = raw.bindMemory(to: iovec.self)
                    while true {
                        let written = Glibc.writev(fd, iov.baseAddress, 2)
                        if written < 0 && errno == EINTR { continue }
                        return written == header.count + bytes.count
                    }
                }
            }
        }
    }

    /// Starts the reader thread. `handler` is called on that thread with 1...`maxBatchSize` packets each time the
    /// fd becomes readable; it must return quickly (hand the batch to an event loop). Packets of any size up to
    /// 64 KiB are read whole, each into its own exactly sized `ByteBuffer`.
    ///
    /// Call at most once. `close()` stops the thread.
    public func startReading(
        maxBatchSize: Int = 64,
        allocator: ByteBufferAllocator = ByteBufferAllocator(),
        handler: @escaping @Sendable ([ByteBuffer]) -> Void
    ) throws(TUNError) {
        precondition(maxBatchSize > 0)
        precondition(!closed.load(ordering: .relaxed), "startReading after close")
        let wakeFD = try TUNError.check(ctun_eventfd(), "eventfd")
        // Without a configured MTU, the Ethernet default.
        let configured = configuredMTU.load(ordering: .relaxed)
        let segmentPacketSize = configured > 0 ? configured : 1500
        let thread: TUNReaderThread
        do {
            thread = try TUNReaderThread.start(
                fd: fd, wakeFD: wakeFD, maxBatchSize: maxBatchSize, segmentPacketSize: offload ? segmentPacketSize : nil,
                counters: offloadCounters, allocator: allocator, handler: handler)
        } catch {
            Glibc.close(wakeFD)
            throw error
        }
        reader.withLockedValue { current in
            precondition(current == nil, "startReading called twice")
            current = thread
        }
    }

    /// Stops the reader thread (waking its poll through an eventfd and joining it) and closes the fd, which
    /// deletes the interface. Idempotent. Must not be called from the read handler.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = reader.withLockedValue { current in
            defer { current = nil }
            return current
        }
        thread?.stopAndJoin()
        Glibc.close(fd)
    }
}
