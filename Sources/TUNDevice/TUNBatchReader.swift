import Glibc
import IPPackets
import NIOCore
import Synchronization

/// Reads a TUN queue in bursts: every packet until EAGAIN (or a full batch) goes into a reusable arena, then the
/// burst is copied into ONE exactly sized buffer and handed on as slices of it, so a burst costs one allocation
/// and one copy whatever its packet count. Used by the dedicated reader thread (``TUNReaderThread``) and by the
/// event-loop reader (``TUNQueueReadHandler``).
///
/// Exactly sized matters: a slice keeps its whole buffer alive, and a fixed 96 KiB slab holding one or two packets
/// made packets queued for slow sessions cost up to 64× their size.
///
/// With offloads (``TUNDevice/offload``) every read starts with a ``VirtioNetHeader``: the reader strips it, finishes
/// partial checksums in place, and cuts TCP super-packets into segments of at most `segmentPacketSize` bytes
/// (``TCPSegmentation``), so the handler sees ordinary IP packets either way. A packet the segmenter refuses is
/// dropped; ``TUNOffloadCounters`` counts all of it.
///
/// Not thread-safe: one reader per queue, used from one thread at a time.
final class TUNBatchReader {
    /// Bytes read into one batch, at most (then the batch is handed on).
    static let batchBytes = 96 * 1024
    /// The largest read a TUN can return whole (a read into less space truncates the packet): a 64 KiB packet, and
    /// room for a virtio header before it.
    static let maximumPacket = 65_536 + 16

    let maxBatchSize: Int
    /// With offloads: the largest IP packet a super-packet is cut into; nil: no virtio header on reads.
    let segmentPacketSize: Int?
    private let counters: TUNOffloadCounters?
    private let arena: UnsafeMutableRawBufferPointer
    private var lengths: [Int] = []
    private var batch: [ByteBuffer] = []

    init(maxBatchSize: Int, segmentPacketSize: Int? = nil, counters: TUNOffloadCounters? = nil) {
        precondition(maxBatchSize > 0)
        self.maxBatchSize = maxBatchSize
        self.segmentPacketSize = segmentPacketSize
        self.counters = counters
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
        if segmentPacketSize != nil { completeChecksumsInArena() }
        var slab = allocator.buffer(capacity: used)
        slab.writeBytes(UnsafeRawBufferPointer(rebasing: arena[0..<used]))
        var offset = slab.readerIndex
        if let segmentPacketSize {
            for length in lengths {
                appendOffloaded(slab: slab, at: offset, length: length, segmentPacketSize: segmentPacketSize, allocator: allocator)
                offset += length
            }
        } else {
            for length in lengths {
                batch.append(slab.getSlice(at: offset, length: length)!)
                offset += length
            }
        }
        lengths.removeAll(keepingCapacity: true)
        if !batch.isEmpty { handler(batch) }
        batch.removeAll(keepingCapacity: true)
        return full
    }

    /// Finishes the partial checksums of the packets that are not super-packets, in the arena (before the copy, so
    /// the slab's slices never need a copy of their own).
    private func completeChecksumsInArena() {
        var offset = 0
        for length in lengths {
            defer { offset += length }
            let read = UnsafeMutableRawBufferPointer(rebasing: arena[offset..<(offset + length)])
            guard length > VirtioNetHeader.length,
                let header = VirtioNetHeader(bytes: UnsafeRawBufferPointer(read)),
                header.gsoType.withoutECN == .none, header.needsChecksumCompletion
            else { continue }
            if TCPSegmentation.completeChecksum(
                in: UnsafeMutableRawBufferPointer(rebasing: read[VirtioNetHeader.length...]), header: header)
            {
                counters?.checksumsCompleted.add(1, ordering: .relaxed)
            } else {
                read[0] = 0xFF  // flags no header has: dropped when sliced
            }
        }
    }

    /// One read with its virtio header (checksums already finished): a plain packet is sliced, a super-packet is
    /// segmented into a buffer of its own.
    private func appendOffloaded(
        slab: ByteBuffer, at offset: Int, length: Int, segmentPacketSize: Int, allocator: ByteBufferAllocator
    ) {
        let headerLength = VirtioNetHeader.length
        guard length > headerLength, let header = try? VirtioNetHeader(parsing: slab.getSlice(at: offset, length: headerLength)!),
            header.flags != 0xFF
        else {
            counters?.dropped.add(1, ordering: .relaxed)
            return
        }
        let start = offset + headerLength
        let packetLength = length - headerLength
        if header.gsoType.withoutECN == .none {
            batch.append(slab.getSlice(at: start, length: packetLength)!)
            return
        }
        guard let segments = try? TCPSegmentation.packets(
            from: slab.getSlice(at: start, length: packetLength)!, header: header,
            maximumPacketSize: segmentPacketSize, allocator: allocator)
        else {
            counters?.dropped.add(1, ordering: .relaxed)
            return
        }
        counters?.superPackets.add(1, ordering: .relaxed)
        counters?.segments.add(segments.count, ordering: .relaxed)
        batch.append(contentsOf: segments)
    }
}
