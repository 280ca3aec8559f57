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
    private let segmentPacketSize: Int?
    private let counters: TUNOffloadCounters
    private let allocator: ByteBufferAllocator
    private let handler: @Sendable ([ByteBuffer]) -> Void
    // Written once by `start` before any other thread can see the object, then only read by `stopAndJoin`.
    private var thread = pthread_t()

    private init(
        fd: CInt, wakeFD: CInt, maxBatchSize: Int, segmentPacketSize: Int?, counters: TUNOffloadCounters,
        allocator: ByteBufferAllocator, handler: @escaping @Sendable ([ByteBuffer]) -> Void
    ) {
        self.counters = counters
        self.fd = fd
        self.wakeFD = wakeFD
        self.maxBatchSize = maxBatchSize
        self.segmentPacketSize = segmentPacketSize
        self.allocator = allocator
        self.handler = handler
    }

    static func start(
        fd: CInt, wakeFD: CInt, maxBatchSize: Int, segmentPacketSize: Int?, counters: TUNOffloadCounters,
        allocator: ByteBufferAllocator, handler: @escaping @Sendable ([ByteBuffer]) -> Void
    ) throws(TUNError) -> TUNReaderThread {
        let reader = TUNReaderThread(
            fd: fd, wakeFD: wakeFD, maxBatchSize: maxBatchSize, segmentPacketSize: segmentPacketSize,
            counters: counters, allocator: allocator, handler: handler)
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

    private func run() {
        let reader = TUNBatchReader(
            maxBatchSize: maxBatchSize, segmentPacketSize: segmentPacketSize, counters: counters)
        var fds = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
        ]
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
            more = reader.drain(fd: fd, allocator: allocator, handler: handler)
        }
    }
}
