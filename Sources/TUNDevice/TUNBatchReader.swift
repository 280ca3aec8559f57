import Glibc
import NIOCore

/// Reads a TUN queue in bursts: every packet until EAGAIN (or a full batch) goes into a reusable arena, then the
/// burst is copied into ONE exactly sized buffer and handed on as slices of it, so a burst costs one allocation
/// and one copy whatever its packet count. Used by the dedicated reader thread (``TUNReaderThread``) and by the
/// event-loop reader (``TUNQueueReadHandler``).
///
/// Exactly sized matters: a slice keeps its whole buffer alive, and a fixed 96 KiB slab holding one or two packets
/// made packets queued for slow sessions cost up to 64× their size.
///
/// Not thread-safe: one reader per queue, used from one thread at a time.
final class TUNBatchReader {
    /// Bytes read into one batch, at most (then the batch is handed on).
    static let batchBytes = 96 * 1024
    /// The largest packet a TUN read can return whole (a read into less space truncates the packet).
    static let maximumPacket = 65_536

    let maxBatchSize: Int
    private let arena: UnsafeMutableRawBufferPointer
    private var lengths: [Int] = []
    private var batch: [ByteBuffer] = []

    init(maxBatchSize: Int) {
        precondition(maxBatchSize > 0)
        self.maxBatchSize = maxBatchSize
        // The arena always has `maximumPacket` bytes free before a read.
        arena = .allocate(byteCount: Self.batchBytes + Self.maximumPacket, alignment: 16)
        lengths.reserveCapacity(maxBatchSize)
        batch.reserveCapacity(maxBatchSize)
    }

    deinit {
        arena.deallocate()
    }

    /// Reads `fd` until EAGAIN or a full batch, after `first` (a packet already read by someone else, copied in
    /// first). Calls `handler` once with the whole batch unless nothing was read. Returns true if the batch ended
    /// because it was full (the queue may hold more: read again before waiting).
    func drain(
        fd: CInt, first: ByteBuffer? = nil, allocator: ByteBufferAllocator, handler: ([ByteBuffer]) -> Void
    ) -> Bool {
        var used = 0
        if let first, first.readableBytes > 0 {
            let count = min(first.readableBytes, Self.maximumPacket)
            first.withUnsafeReadableBytes { bytes in
                arena.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            lengths.append(count)
            used = count
        }
        var full = false
        while true {
            guard lengths.count < maxBatchSize && used <= Self.batchBytes else {
                full = true
                break
            }
            let count = Glibc.read(fd, arena.baseAddress! + used, arena.count - used)
            if count > 0 {
                lengths.append(count)
                used += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break  // EAGAIN: drained; other errors: the poller reports them next time
            }
        }
        guard !lengths.isEmpty else { return full }
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
        return full
    }
}
