import AddressPool
import Foundation
import CNIOLinux
import Glibc
import IPPackets
import NIOCore
import NIOPosix
import SSTPServer
import TUNDevice
import Testing

/// The multi-queue TUN layout on a real device (root): one queue per event loop, read by that loop in bursts, and
/// the kernel steering each flow's replies to the queue its first packet was written on — what lets a downlink
/// packet reach its session's TLS connection without a thread hand-off.
@Suite(.serialized) struct TUNMultiQueueTests {
    static var canCreateNamespaces: Bool { BenchTrafficTests.canCreateNamespaces }

    /// One read: the loop it ran on (-1 if not on a loop), whether the device said so, and the UDP packets' ports.
    struct Read: Sendable {
        let loop: Int
        let onEventLoop: Bool
        let destinationPorts: [UInt16]
    }

    @Test("replies to packets written on queue i are read on event loop i, in one burst per readable event")
    func repliesComeBackOnTheWritersLoop() async throws {
        try #require(Self.canCreateNamespaces, "run the system tests as root with /dev/net/tun and ip")
        let namespace = "smq\(getpid() % 100_000)"
        _ = try? Command.run(["ip", "netns", "del", namespace], allowFailure: true)
        try Command.run(["ip", "netns", "add", namespace])
        defer { _ = try? Command.run(["ip", "netns", "del", namespace], allowFailure: true) }
        try Command.run(["ip", "-n", namespace, "link", "set", "lo", "up"])

        let gateway = IPv4Address(10, 77, 0, 1).value
        let echoPort: UInt16 = 7000
        let flowsPerQueue = 24
        // The device and an echo socket are created by a thread inside the namespace; the socket echoes every
        // datagram back to its sender (through the TUN: the senders are pool addresses).
        let (device, echoSocket) = try await inNamespace(namespace) { () throws -> (TUNPacketDevice, CInt) in
            let device = try TUNPacketDevice(name: "sstp0", gateway: gateway, prefixLength: 24, mtu: 1500, queues: 2)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = echoPort.bigEndian
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard socket >= 0, bound == 0 else {
                device.close()
                throw Command.Failure(description: "echo socket: errno \(errno)")
            }
            return (device, socket)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let (reads, continuation) = AsyncStream.makeStream(of: Read.self)
        try await device.start(eventLoops: loops) { batch, onEventLoop in
            let loop = loops.firstIndex { $0.inEventLoop } ?? -1
            let ports = batch.compactMap { packet in (try? UDPDatagram.parseIPv4(packet))?.datagram.destinationPort }
            continuation.yield(Read(loop: loop, onEventLoop: onEventLoop, destinationPorts: ports))
        }
        #expect(device.queue(for: loops[0]) == 0)
        #expect(device.queue(for: loops[1]) == 1)

        // Flow k: 10.77.0.(10+k):(20000+k) → gateway:7000, written on queue k % 2.
        var expectedLoop: [UInt16: Int] = [:]
        for k in 0..<(2 * flowsPerQueue) {
            let port = UInt16(20000 + k)
            let queue = k % 2
            expectedLoop[port] = queue
            let packet = UDPDatagram(sourcePort: port, destinationPort: echoPort, payload: ByteBuffer(string: "flow \(k)"))
                .makeIPv4Packet(source: IPv4Address(10, 77, 0, UInt8(10 + k)).value, destination: gateway)
            #expect(device.write(packet, queue: queue))
        }
        // Echo them all (the replies leave through the TUN, on the queue the kernel picks).
        let expected = expectedLoop
        let echoed = try await echo(socket: echoSocket, count: expected.count)
        #expect(echoed == expected.count)

        let seen = try await withTimeout(20, "the echoed replies read from the TUN") {
            var seen: [UInt16: Int] = [:]
            var allOnLoops = true
            for await read in reads {
                allOnLoops = allOnLoops && read.onEventLoop && read.loop >= 0
                for port in read.destinationPorts where port >= 20000 { seen[port] = read.loop }
                if seen.count == expected.count { break }
            }
            return (seen, allOnLoops)
        }
        #expect(seen.1, "every read ran on one of the device's event loops")
        #expect(seen.0 == expected, "each reply on the loop whose queue wrote its flow")

        continuation.finish()
        close(echoSocket)
        device.close()
        try await group.shutdownGracefully()
    }

    /// Echoes `count` datagrams on a thread (blocking socket with a receive timeout); returns how many it echoed.
    private func echo(socket: CInt, count: Int) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                var echoed = 0
                var buffer = [UInt8](repeating: 0, count: 2048)
                while echoed < count {
                    var from = sockaddr_storage()
                    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let received = withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(socket, &buffer, buffer.count, 0, $0, &length)
                        }
                    }
                    guard received > 0 else { break }  // the 10 s receive timeout: report what was echoed
                    let sent = withUnsafePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(socket, buffer, received, 0, $0, length)
                        }
                    }
                    guard sent == received else { break }
                    echoed += 1
                }
                continuation.resume(returning: echoed)
            }.start()
        }
    }
}
