import NIOCore
import SSTPNIO
import Synchronization
import TLSEngine

/// Deterministic test payload (an LCG; no randomness in tests).
func pattern(count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        for index in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            buffer[index] = UInt8(truncatingIfNeeded: state >> 24)
        }
        initialized = count
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return b < 16 ? "0" + s : s
    }.joined()
}

/// Records what happened on server-side channels (Sendable: only promises and a lock).
final class ChannelObserver: Sendable {
    let handshake: EventLoopPromise<TLSHandshakeCompleted>
    let closed: EventLoopPromise<Void>
    private let errorList = Mutex<[TLSError]>([])

    init(eventLoop: any EventLoop) {
        self.handshake = eventLoop.makePromise()
        self.closed = eventLoop.makePromise()
    }

    func record(_ error: any Error) {
        if let error = error as? TLSError { self.errorList.withLock { $0.append(error) } }
    }

    /// Errors seen so far (read after `closed`).
    var errors: EventLoopFuture<[TLSError]> {
        self.closed.futureResult.map { self.errorList.withLock { $0 } }
    }
}

/// Echoes plaintext back, flushing once per read batch; optionally closes after `closeAfterBytes`.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let observer: ChannelObserver
    private let closeAfterBytes: Int?
    private var seen = 0

    init(observer: ChannelObserver, closeAfterBytes: Int?) {
        self.observer = observer
        self.closeAfterBytes = closeAfterBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        self.seen += buffer.readableBytes
        context.write(Self.wrapOutboundOut(buffer), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        if let limit = self.closeAfterBytes, self.seen >= limit {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted { self.observer.handshake.succeed(event) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.observer.record(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.observer.handshake.fail(ChannelError.ioOnClosedChannel)
        self.observer.closed.succeed(())
    }
}

/// Client side: collects `expectedBytes` of plaintext.
final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let done: EventLoopPromise<[UInt8]>
    let handshake: EventLoopPromise<TLSHandshakeCompleted>
    private let closed: EventLoopPromise<Void>
    private let expectedBytes: Int
    private let state = Mutex<(received: ByteBuffer, errors: [TLSError])>((ByteBuffer(), []))

    init(expectedBytes: Int, eventLoop: any EventLoop) {
        self.expectedBytes = expectedBytes
        self.done = eventLoop.makePromise()
        self.handshake = eventLoop.makePromise()
        self.closed = eventLoop.makePromise()
        self.state.withLock { $0.received.reserveCapacity(expectedBytes) }
    }

    /// Fails `done` if it has not completed in time (so a broken handler fails the test instead of hanging it).
    func timeOut(after delay: TimeAmount) {
        let done = self.done
        self.done.futureResult.eventLoop.scheduleTask(in: delay) {
            done.fail(ChannelError.connectTimeout(delay))
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        let count = self.state.withLock { state in
            state.received.writeBuffer(&buffer)
            return state.received.readableBytes
        }
        if count >= self.expectedBytes {
            self.done.succeed(self.state.withLock { Array($0.received.readableBytesView) })
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSHandshakeCompleted { self.handshake.succeed(event) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? TLSError { self.state.withLock { $0.errors.append(error) } }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.handshake.fail(ChannelError.ioOnClosedChannel)
        self.done.fail(ChannelError.ioOnClosedChannel)
        self.closed.succeed(())
    }

    /// TLS errors seen, once the channel closed.
    func errorsSeen() async throws -> [TLSError] {
        try await self.closed.futureResult.get()
        return self.state.withLock { $0.errors }
    }
}

/// Placed below `TLSHandler`: counts the ciphertext writes and flushes that reach the socket, and splits each write
/// into TLS record lengths (header included).
final class WriteRecorder: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let state = Mutex<(writes: Int, flushes: Int, records: [Int])>((0, 0, []))

    var writes: Int { self.state.withLock { $0.writes } }
    var flushes: Int { self.state.withLock { $0.flushes } }
    var recordLengths: [Int] { self.state.withLock { $0.records } }

    func reset() { self.state.withLock { $0 = (0, 0, []) } }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = Self.unwrapOutboundIn(data)
        var lengths: [Int] = []
        while let header = buffer.readSlice(length: 5) {
            let length = Int(header.getInteger(at: header.readerIndex + 3, as: UInt16.self)!)
            lengths.append(5 + length)
            buffer.moveReaderIndex(forwardBy: min(length, buffer.readableBytes))
        }
        self.state.withLock {
            $0.writes += 1
            $0.records += lengths
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        self.state.withLock { $0.flushes += 1 }
        context.flush()
    }
}
