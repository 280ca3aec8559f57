internal import CTUNShims
import Glibc
import NIOCore

/// The dedicated reader thread of a ``TUNDevice``: poll(fd, wakeFD) → read until EAGAIN or a full batch → handler.
///
/// Owns `wakeFD`; does not own the TUN fd. The thread holds a retained reference to its `TUNReaderThread` for its
/// lifetime (passed through `pthread_create`'s argument with `Unmanaged.passRetained`).
final class TUNReaderThread: @unchecked Sendable {
    private let fd: CInt
    private let wakeFD: CInt
    private let maxBatchSize: Int
    private let allocator: ByteBufferAllocator
    private let handler: @Sendable ([ByteBuffer]) -> Void
    // Written once by `start` before any other thread can see the object, then only read by `stopAndJoin`.
    private var thread = pthread_t()

    private init(
        fd: CInt, wakeFD: CInt, maxBatchSize: Int, allocator: ByteBufferAllocator,
        handler: @escaping @Sendable ([ByteBuffer]) -> Void
    ) {
        self.fd = fd
        self.wakeFD = wakeFD
        self.maxBatchSize = maxBatchSize
        self.allocator = allocator
        self.handler = handler
    }

    static func start(
        fd: CInt, wakeFD: CInt, maxBatchSize: Int, allocator: ByteBufferAllocator,
        handler: @escaping @Sendable ([ByteBuffer]) -> Void
    ) throws(TUNError) -> TUNReaderThread {
        let reader = TUNReaderThread(
            fd: fd, wakeFD: wakeFD, maxBatchSize: maxBatchSize, allocator: allocator, handler: handler)
        let argument = Unmanaged.passRetained(reader).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                let reader = Unmanaged<TUNReaderThread>.fromOpaque(argument!).takeRetainedValue()
                reader.run()
                return nil
            }, argument)
        guard result == 0 else {
            Unmanaged<TUNReaderThread>.fromOpaque(argument).release()
            throw TUNError(operation: "pthread_create", errno: result)
        }
        reader.thread = thread
        return reader
    }

    /// Wakes the thread, waits for it to finish, and closes the eventfd.
    func stopAndJoin() {
        precondition(pthread_equal(pthread_self(), thread) == 0, "TUNDevice.close() called from its read handler")
        _ = ctun_eventfd_signal(wakeFD)
        pthread_join(thread, nil)
        Glibc.close(wakeFD)
    }

    /// Bytes of one batch slab: every packet of a batch is copied into one buffer and handed on as a slice of it, so
    /// a batch costs one allocation instead of one per packet. Below glibc's mmap threshold (128 KiB), so the slab
    /// comes from the heap and not from mmap/munmap per batch.
    static let slabCapacity = 96 * 1024

    private func run() {
        // One scratch buffer big enough for any packet (a read into less would truncate it); each packet is then
        // copied into the batch slab (a ~1500-byte memcpy, the only copy on this side).
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { scratch.deallocate() }
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
        ]
        var lengths: [Int] = []
        lengths.reserveCapacity(maxBatchSize)
        var batch: [ByteBuffer] = []
        batch.reserveCapacity(maxBatchSize)
        // A packet read that did not fit the previous slab, carried into the next batch.
        var carried = 0
        while true {
            if carried == 0 {
                let ready = poll(&fds, 2, -1)
                if ready < 0 {
                    if errno == EINTR { continue }
                    return
                }
                if fds[1].revents != 0 {
                    return
                }
                if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && fds[0].revents & Int16(POLLIN) == 0 {
                    return
                }
            }
            // All writes into the slab happen before any slice of it exists: a write to a shared ByteBuffer would
            // copy it.
            var slab = allocator.buffer(capacity: Self.slabCapacity)
            if carried > 0 {
                slab.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[0..<carried]))
                lengths.append(carried)
                carried = 0
            }
            while lengths.count < maxBatchSize {
                let count = Glibc.read(fd, scratch.baseAddress, scratch.count)
                if count > 0 {
                    guard count <= slab.writableBytes else {
                        carried = count  // the slab is full: this packet opens the next batch
                        break
                    }
                    slab.writeBytes(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                    lengths.append(count)
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break  // EAGAIN: drained; other errors: poll reports them next time
                }
            }
            guard !lengths.isEmpty else { continue }
            var offset = slab.readerIndex
            for length in lengths {
                batch.append(slab.getSlice(at: offset, length: length)!)
                offset += length
            }
            lengths.removeAll(keepingCapacity: true)
            handler(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
}
