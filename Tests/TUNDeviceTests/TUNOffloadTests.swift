import Glibc
import IPPackets
import NIOCore
import Synchronization
import TUNDevice
import Testing

/// A TUN device with offloads (IFF_VNET_HDR + TSO) under a real TCP flow: the kernel's TCP stack hands the device
/// 64 KiB super-packets, the reader cuts them into segments of at most the MTU, and the segments, turned round by a
/// reflector and written back (each behind a "nothing to do" virtio header), carry the flow whole.
@Suite(.serialized) struct TUNOffloadTests {
    static let local: UInt32 = 0xC612_4E01  // 198.18.78.1, the device's address (both sockets live here)
    static let peer: UInt32 = 0xC612_4E02  // 198.18.78.2, what the client connects to
    static let mirror: UInt32 = 0xC612_4E03  // 198.18.78.3, where the server sees the client come from
    static let port: UInt16 = 5001

    /// The reflector's address swap: local → peer becomes mirror → local, local → mirror becomes peer → local.
    static func reflect(_ packet: ByteBuffer) -> ByteBuffer? {
        guard packet.readableBytes >= 40, packet.getInteger(at: 0, as: UInt8.self) == 0x45,
            packet.getInteger(at: 9, as: UInt8.self) == 6,
            packet.getInteger(at: 12, as: UInt32.self) == local
        else { return nil }
        let source: UInt32
        switch packet.getInteger(at: 16, as: UInt32.self) {
        case peer: source = mirror
        case mirror: source = peer
        default: return nil
        }
        var copy = ByteBuffer()
        copy.writeImmutableBuffer(packet)
        copy.setInteger(source, at: 12)
        copy.setInteger(local, at: 16)
        copy.setInteger(UInt16(0), at: 10)
        copy.setInteger(InternetChecksum.checksum(of: copy.getSlice(at: 0, length: 20)!), at: 10)
        copy.setInteger(UInt16(0), at: 36)
        var tcp = InternetChecksum()
        tcp.add(copy.getSlice(at: 12, length: 8)!)
        tcp.add(word: 6)
        tcp.add(word: UInt16(copy.readableBytes - 20))
        tcp.add(copy.getSlice(at: 20, length: copy.readableBytes - 20)!)
        copy.setInteger(tcp.checksum, at: 36)
        return copy
    }

    @Test("8 MiB of TCP through an offloading TUN: super-packets arrive, are cut to the MTU, and the flow is whole")
    func tcpFlowThroughOffloadingDevice() throws {
        let seen = SeenPackets()
        let total = 8 << 20
        let (received, digest, counters) = try onDedicatedThread {
            () throws(TestFailure) -> (Int, UInt64, TUNOffloadCounters) in
            let device: TUNDevice
            let namespace: CInt
            do {
                try NetworkNamespace.unshareCurrentThread()
                namespace = try NetworkNamespace.openCurrent()
                device = try TUNDevice.create(name: "sstpo%d", offload: true)
                try device.setIPv4(address: Self.local, prefixLength: 24)
                try device.setMTU(1400)
                try device.setUp()
            } catch {
                throw TestFailure("setup: \(error)")
            }
            defer {
                device.close()
                close(namespace)
            }
            #expect(device.offload)
            do {
                try device.startReading { [device] batch in
                    for packet in batch {
                        seen.largest.max(packet.readableBytes, ordering: .relaxed)
                        // Every segment handed on is complete: its IPv4 and TCP checksums verify as they are.
                        if packet.getInteger(at: 9, as: UInt8.self) == 6 {
                            var tcp = InternetChecksum()
                            tcp.add(packet.getSlice(at: 12, length: 8)!)
                            tcp.add(word: 6)
                            tcp.add(word: UInt16(packet.readableBytes - 20))
                            tcp.add(packet.getSlice(at: 20, length: packet.readableBytes - 20)!)
                            if tcp.checksum != 0
                                || InternetChecksum.checksum(of: packet.getSlice(at: 0, length: 20)!) != 0
                            {
                                seen.badChecksums.add(1, ordering: .relaxed)
                            }
                        }
                        if let reflected = Self.reflect(packet) { _ = device.write(reflected) }
                    }
                }
            } catch {
                throw TestFailure("startReading: \(error)")
            }
            let (server, client) = try Self.connectedPair()
            defer {
                close(server)
                close(client)
            }
            // The client writes on a thread of its own; this one reads until the client shuts down its side.
            let sender = try SenderThread.start(fd: client, total: total)
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var count = 0
            var digest: UInt64 = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(server, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                for byte in buffer[0..<n] { digest = digest &* 31 &+ UInt64(byte) }
                count += n
            }
            sender.join()
            return (count, digest, device.offloadCounters)
        }
        var expected: UInt64 = 0
        for index in 0..<total { expected = expected &* 31 &+ UInt64(SenderThread.byte(index)) }
        #expect(received == total)
        #expect(digest == expected, "the bytes arrived in order and unchanged")
        let superPackets = counters.superPackets.load(ordering: .relaxed)
        #expect(superPackets > 0, "the kernel handed over TCP super-packets")
        #expect(counters.segments.load(ordering: .relaxed) > 2 * superPackets)
        #expect(counters.dropped.load(ordering: .relaxed) == 0)
        #expect(seen.largest.load(ordering: .relaxed) <= 1400, "no packet handed on is larger than the MTU")
        #expect(seen.badChecksums.load(ordering: .relaxed) == 0)
    }

    /// A listening socket on local:port and a client connected to peer:port through the device (10 s timeouts).
    static func connectedPair() throws(TestFailure) -> (server: CInt, client: CInt) {
        func address(_ value: UInt32, _ port: UInt16) -> sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = value.bigEndian
            return address
        }
        func withSockaddr<R>(_ address: sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
            withUnsafePointer(to: address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0, client >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(listener) }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard withSockaddr(address(local, port), { bind(listener, $0, $1) }) == 0, listen(listener, 1) == 0 else {
            close(client)
            throw TestFailure("bind/listen: \(errno)")
        }
        for fd in [listener, client] {
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        guard withSockaddr(address(peer, port), { connect(client, $0, $1) }) == 0 else {
            close(client)
            throw TestFailure("connect through the device: errno \(errno)")
        }
        let server = accept(listener, nil, nil)
        guard server >= 0 else {
            close(client)
            throw TestFailure("accept: \(errno)")
        }
        setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return (server, client)
    }
}

/// What the reader handed on: the largest packet, and packets whose checksums did not verify.
final class SeenPackets: Sendable {
    let largest = Atomic<Int>(0)
    let badChecksums = Atomic<Int>(0)
}

/// Writes `total` bytes of a fixed pattern to a socket in 256 KiB writes on its own pthread, then shuts down the
/// sending side.
final class SenderThread {
    private var thread = pthread_t()

    static func byte(_ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 7 &+ index >> 13) }

    static func start(fd: CInt, total: Int) throws(TestFailure) -> SenderThread {
        let sender = SenderThread()
        let job = ThreadJob {
            let chunk = 256 << 10
            var offset = 0
            var bytes = [UInt8](repeating: 0, count: chunk)
            while offset < total {
                let count = min(chunk, total - offset)
                for index in 0..<count { bytes[index] = byte(offset + index) }
                var sent = 0
                while sent < count {
                    let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                    if n <= 0 { break }
                    sent += n
                }
                guard sent == count else { break }
                offset += count
            }
            shutdown(fd, Int32(SHUT_WR))
        }
        let argument = Unmanaged.passRetained(job).toOpaque()
        let created = pthread_create(
            &sender.thread, nil,
            { argument in
                Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().work()
                return nil
            }, argument)
        guard created == 0 else {
            Unmanaged<ThreadJob>.fromOpaque(argument).release()
            throw TestFailure("pthread_create: \(created)")
        }
        return sender
    }

    func join() { pthread_join(thread, nil) }
}
