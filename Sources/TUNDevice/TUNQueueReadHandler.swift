import NIOCore

/// Reads one TUN queue on an event loop, in bursts.
///
/// Install it on a NIO pipe channel that owns a duplicate of the queue's fd (`NIOPipeBootstrap`
/// `takingOwnershipOfDescriptor(input: dup(queue.fd))`, `maxMessagesPerRead` 1, a receive buffer of 64 KiB): the
/// channel's read is only the wake-up and the first packet. The handler copies that packet into its batch, reads
/// the rest of the burst itself with `read(2)` until EAGAIN (a pipe channel would otherwise deliver one packet per
/// event-loop iteration), and calls `handler` once per burst, on the event loop. The selector is level-triggered,
/// so a burst cut short by the batch limit is resumed on the next loop iteration, after the loop's other work.
///
/// Why: with the queue read on the loop that owns the sessions its packets belong to, a downlink packet goes from
/// the TUN to the client's TLS connection with no thread hand-off (a wake-up costs ~4 µs here), and a busy loop
/// stops reading its queue instead of reading packets it would then drop.
public final class TUNQueueReadHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer

    private let fd: CInt
    private let reader: TUNBatchReader
    private let maxBatchesPerWake: Int
    private let handler: ([ByteBuffer]) -> Void

    /// - Parameters:
    ///   - fd: the queue's fd (the device's own; the channel reads a duplicate of it, which is the same queue).
    ///   - maxBatchesPerWake: batches read per readable event, at most, before the loop's other channels get their
    ///     turn (16 × 64 drains a 1000-packet ring). The loop shares its time between this queue and the TLS
    ///     connections of its sessions; too small a share overflows the queue's ring (`txqueuelen` packets) while
    ///     the loop decrypts uplink.
    ///   - segmentPacketSize: for a queue with offloads (``TUNDevice/offload``), the largest packet TCP
    ///     super-packets are cut into; nil for a queue without.
    ///   - counters: where a queue with offloads counts its work (the device's ``TUNDevice/offloadCounters``).
    ///   - handler: called on the event loop with the packets of each burst, slices of one buffer (and, with
    ///     offloads, of one buffer per super-packet).
    public init(
        fd: CInt, maxBatchSize: Int = 64, maxBatchesPerWake: Int = 16, segmentPacketSize: Int? = nil,
        counters: TUNOffloadCounters? = nil, handler: @escaping ([ByteBuffer]) -> Void
    ) {
        precondition(maxBatchesPerWake > 0)
        self.fd = fd
        self.reader = TUNBatchReader(
            maxBatchSize: maxBatchSize, segmentPacketSize: segmentPacketSize, counters: counters)
        self.maxBatchesPerWake = maxBatchesPerWake
        self.handler = handler
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let first = unwrapInboundIn(data)
        let allocator = context.channel.allocator
        var full = reader.drain(fd: fd, first: first, allocator: allocator, handler: handler)
        var batches = 1
        while full && batches < maxBatchesPerWake {
            full = reader.drain(fd: fd, allocator: allocator, handler: handler)
            batches += 1
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A TUN read error (the device going away at shutdown) ends this reader; the device's owner closes it.
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension TUNQueueReadHandler: Sendable {}
