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

    /// Bytes read into one batch, at most (then the batch is handed on): every packet of a batch is read into a
    /// reusable arena and the batch is copied into ONE exactly sized buffer, handed on as slices of it, so a batch
    /// costs one allocation and one copy. Exactly sized matters: a slice keeps its whole buffer alive, and a fixed
    /// 96 KiB slab holding one or two packets made packets queued for slow sessions cost up to 64× their size.
    static let batchBytes = 96 * 1024

    private func run() {
        // The arena always has 64 KiB free before a read (a read into less could truncate a packet).
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.batchBytes + 65_536, alignment: 16)
        defer { arena.deallocate() }
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
        ]
        var lengths: [Int] = []
        lengths.reserveCapacity(maxBatchSize)
        var batch: [ByteBuffer] = []
        batch.reserveCapacity(maxBatchSize)
        // Set when the last batch ended because it was full, not drained: read again without polling.
        var more = false
        while true {
            if !more {
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
            more = false
            var used = 0
            while true {
                guard lengths.count < maxBatchSize && used <= Self.batchBytes else {
                    more = true
                    break
                }
                let count = Glibc.read(fd, arena.baseAddress! + used, arena.count - used)
                if count > 0 {
                    lengths.append(count)
                    used += count
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break  // EAGAIN: drained; other errors: poll reports them next time
                }
            }
            guard !lengths.isEmpty else { continue }
            var slab = allocator.buffer(capacity: used)
            slab.writeBytes(UnsafeRawBufferPointer(rebasing: arena[0..<used]))
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
