internal import COpenSSL
import NIOCore

/// The two ciphertext queues between OpenSSL and the transport: what arrived from the peer (not yet consumed by
/// OpenSSL) and what OpenSSL produced (not yet taken by the transport).
///
/// Ownership: the `TLSConnection` owns this object strongly; the BIO only holds an unretained pointer to it
/// (`BIO_set_data`), which is valid because the connection frees the `SSL` (and with it the BIO) in its `deinit`
/// before releasing the storage.
final class BIOStorage {
    /// Ciphertext from the peer, consumed front to back by `read_ex`. Buffers are kept as handed in (no copy).
    var inbound = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    /// Ciphertext OpenSSL wrote: handshake flights, records, alerts.
    var outbound: ByteBuffer
    let allocator: ByteBufferAllocator

    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
        self.outbound = allocator.buffer(capacity: 0)
    }

    /// Bytes of peer ciphertext OpenSSL has not read yet.
    var inboundBytes: Int {
        self.inbound.reduce(0) { $0 + $1.readableBytes }
    }

    /// Hands out everything OpenSSL wrote so far, or `nil` if nothing.
    func takeOutbound() -> ByteBuffer? {
        guard self.outbound.readableBytes > 0 else { return nil }
        let out = self.outbound
        self.outbound = self.allocator.buffer(capacity: 0)
        return out
    }
}

/// A `BIO_METHOD*` that may live in a global: it is created once and never mutated afterwards.
struct BIOMethodBox: @unchecked Sendable {
    let method: OpaquePointer
}

private let retryFlags = Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)

@inline(__always)
private func storage(of bio: OpaquePointer?) -> BIOStorage {
    Unmanaged<BIOStorage>.fromOpaque(BIO_get_data(bio)!).takeUnretainedValue()
}

/// A source/sink BIO whose reads copy straight out of `BIOStorage.inbound` and whose writes append to
/// `BIOStorage.outbound`: one copy per direction, no `BUF_MEM` (measured 8–26 % fewer instructions per record than
/// a pair of memory BIOs, see the spike notes). Writes never fail and never block; an empty inbound queue reads as
/// "retry" (`SSL_ERROR_WANT_READ`), never as EOF.
let byteBufferBIOMethod: BIOMethodBox = {
    guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sstp-bytebuffer") else {
        fatalError("BIO_meth_new failed")
    }
    _ = BIO_meth_set_create(method) { bio in
        BIO_set_init(bio, 1)
        return 1
    }
    _ = BIO_meth_set_destroy(method) { bio in
        BIO_set_data(bio, nil)
        BIO_set_init(bio, 0)
        return 1
    }
    _ = BIO_meth_set_write_ex(method) { bio, data, length, written in
        BIO_clear_flags(bio, retryFlags)
        let st = storage(of: bio)
        if length > 0, let data {
            st.outbound.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
        }
        written?.pointee = length
        return 1
    }
    _ = BIO_meth_set_read_ex(method) { bio, out, length, readBytes in
        BIO_clear_flags(bio, retryFlags)
        let st = storage(of: bio)
        guard let out else { return 0 }
        var copied = 0
        while copied < length, let first = st.inbound.first {
            var head = first
            let n = head.readWithUnsafeReadableBytes { source -> Int in
                let n = min(source.count, length - copied)
                UnsafeMutableRawPointer(out + copied).copyMemory(from: source.baseAddress!, byteCount: n)
                return n
            }
            copied += n
            if head.readableBytes == 0 {
                st.inbound.removeFirst()
            } else {
                st.inbound[st.inbound.startIndex] = head
            }
        }
        guard copied > 0 else {
            // Nothing buffered: ask OpenSSL to retry later (SSL_ERROR_WANT_READ), not EOF.
            BIO_set_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY))
            readBytes?.pointee = 0
            return 0
        }
        readBytes?.pointee = copied
        return 1
    }
    _ = BIO_meth_set_ctrl(method) { bio, command, _, _ in
        switch command {
        case BIO_CTRL_FLUSH: 1
        case BIO_CTRL_PENDING: storage(of: bio).inboundBytes
        case BIO_CTRL_WPENDING: storage(of: bio).outbound.readableBytes
        default: 0
        }
    }
    return BIOMethodBox(method: method)
}()
