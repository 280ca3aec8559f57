import AddressPool
import CUDPShims
import Foundation
import Synchronization
import TUNDevice

#if canImport(Glibc)
import Glibc
import struct NIOConcurrencyHelpers.NIOLockedValueBox
#endif

/// The host behind the gateway in a traffic bench: one UDP socket, bound to the peer address, that sinks the
/// sessions' uplink and sources their downlink.
///
/// The socket is created on a dedicated thread that first moves itself into the peer's network namespace
/// (`setns(fd, CLONE_NEWNET)` affects only the calling thread); a socket keeps the namespace it was created in, so
/// the receive and send loops can run on their own dedicated threads afterwards. Both loops use blocking batched
/// syscalls (recvmmsg / sendmmsg) with SO_RCVTIMEO / SO_SNDTIMEO so they notice a stop within 100 ms; none of them
/// runs on Swift concurrency's cooperative threads.
final class BenchPeer: Sendable {
    /// Datagrams per recvmmsg / sendmmsg call.
    static let batch = Int(CUDP_MAX_BATCH)
    /// Receive buffer per datagram (more than the largest packet the bench sends).
    static let receiveBufferSize = 2048
    /// IPv4 + UDP header bytes the kernel strips: received IP size = UDP payload + 28.
    static let headerBytes = 28

    private let fd: CInt
    /// Uplink datagrams the socket received, and their IP size in bytes.
    let uplinkReceived = Atomic<Int>(0)
    let uplinkReceivedBytes = Atomic<Int>(0)
    /// Downlink datagrams sendmmsg accepted.
    let downlinkSent = Atomic<Int>(0)
    /// Downlink sends the kernel refused with anything but "try again" (the last errno is kept for the report).
    let downlinkSendErrors = Atomic<Int>(0)
    let lastSendErrno = Atomic<Int32>(0)
    private let receiving = Atomic<Bool>(true)
    private let sending = Atomic<Bool>(true)
    private let senderStarted = Atomic<Bool>(false)
    private let receiverDone = BenchThreadCompletion()
    private let senderDone = BenchThreadCompletion()

    private init(fd: CInt) {
        self.fd = fd
    }

    /// Creates and binds the socket (in `/var/run/netns/NAME` if `netns` is given) on a thread of its own and starts
    /// the receive loop. Throws `BenchError` if the namespace cannot be entered or the address cannot be bound.
    static func open(address: IPv4Address, port: UInt16, netns: String?) async throws -> BenchPeer {
        // Only the descriptor crosses from the setup thread; the object is made here. (A continuation resumed before
        // its task suspends is ordered by an atomic in the Swift runtime that ThreadSanitizer does not see, so an
        // object built on the other thread is reported as a race.)
        let fd: CInt = try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try makeSocket(address: address, port: port, netns: netns))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "bench-peer-setup"
            thread.start()
        }
        let peer = BenchPeer(fd: fd)
        peer.startReceiving()
        return peer
    }

    /// Runs on the setup thread: enter the namespace, make the socket, size its buffers, bind.
    private static func makeSocket(address: IPv4Address, port: UInt16, netns: String?) throws -> CInt {
        if let netns {
            let path = "/var/run/netns/\(netns)"
            let nsFD = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard nsFD >= 0 else { throw BenchError("--peer-netns: cannot open \(path): \(errnoText(errno))") }
            defer { Glibc.close(nsFD) }
            do {
                try NetworkNamespace.enter(nsFD)
            } catch {
                throw BenchError("--peer-netns: cannot enter \(netns): \(error)")
            }
        }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("peer socket: \(errnoText(errno))") }
        // Large buffers so a burst of uplink is not lost in the peer's own socket (FORCE works as root; otherwise
        // the kernel caps the plain option at net.core.rmem_max).
        for (force, plain) in [(SO_RCVBUFFORCE, SO_RCVBUF), (SO_SNDBUFFORCE, SO_SNDBUF)] {
            var size: CInt = 16 << 20
            if setsockopt(fd, SOL_SOCKET, force, &size, socklen_t(MemoryLayout<CInt>.size)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, plain, &size, socklen_t(MemoryLayout<CInt>.size))
            }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
            _ = setsockopt(fd, SOL_SOCKET, option, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = port.bigEndian
        local.sin_addr.s_addr = address.value.bigEndian
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let error = errno
            Glibc.close(fd)
            throw BenchError(
                "--traffic-peer: cannot bind \(address):\(port)\(netns.map { " in namespace \($0)" } ?? ""): "
                    + errnoText(error))
        }
        return fd
    }

    /// The receive loop: counts every datagram until `stopReceiving()`.
    private func startReceiving() {
        let thread = Thread { [self] in
            let buffers = UnsafeMutableRawPointer.allocate(
                byteCount: Self.batch * Self.receiveBufferSize, alignment: 16)
            let lengths = UnsafeMutablePointer<CInt>.allocate(capacity: Self.batch)
            defer {
                buffers.deallocate()
                lengths.deallocate()
                receiverDone.finish()
            }
            while receiving.load(ordering: .relaxed) {
                let count = Int(cudp_recv_batch(fd, buffers, CInt(Self.receiveBufferSize), CInt(Self.batch), lengths))
                guard count > 0 else {
                    // -EAGAIN: the 100 ms timeout (look at the stop flag again); -EINTR: a signal.
                    if count != -Int(EAGAIN) && count != -Int(EINTR) { usleep(1000) }
                    continue
                }
                var bytes = 0
                for index in 0..<count { bytes += Int(lengths[index]) + Self.headerBytes }
                uplinkReceived.add(count, ordering: .relaxed)
                uplinkReceivedBytes.add(bytes, ordering: .relaxed)
            }
        }
        thread.name = "bench-peer-receive"
        thread.start()
    }

    /// The send loop: UDP datagrams of `packetSize` IP bytes to each address in turn, all on `port`, at
    /// `packetsPerSecond` in all (0 = as fast as sendmmsg goes), until `stopSending()`.
    func startSending(to addresses: [IPv4Address], port: UInt16, packetSize: Int, packetsPerSecond: Double) {
        senderStarted.store(true, ordering: .relaxed)
        guard !addresses.isEmpty else {
            senderDone.finish()
            return
        }
        let thread = Thread { [self] in
            defer { senderDone.finish() }
            let payload = [UInt8](repeating: 0, count: packetSize - Self.headerBytes)
            // The addresses twice over (plus a batch): any `batch` consecutive destinations starting anywhere in the
            // first copy are contiguous, so each call takes a pointer into this array and nothing is built per batch.
            let ring = (0..<(addresses.count + Self.batch)).map { addresses[$0 % addresses.count].value }
            let clock = ContinuousClock()
            let start = clock.now
            var sent = 0
            var offset = 0
            while sending.load(ordering: .relaxed) {
                var budget = Self.batch
                if packetsPerSecond > 0 {
                    let elapsed = (clock.now - start) / .seconds(1)
                    let due = Int(elapsed * packetsPerSecond)
                    budget = min(budget, due - sent)
                    if budget <= 0 {
                        // Pacing: until the next packet is due, at most 1 ms (to notice a stop).
                        let wait = (Double(sent + 1) / packetsPerSecond - elapsed) * 1e6
                        usleep(useconds_t(min(max(wait, 20), 1000)))
                        continue
                    }
                }
                let result = payload.withUnsafeBytes { bytes in
                    ring.withUnsafeBufferPointer { destinations in
                        cudp_send_batch(
                            fd, bytes.baseAddress, CInt(bytes.count), destinations.baseAddress! + offset, port,
                            CInt(budget))
                    }
                }
                if result > 0 {
                    sent += Int(result)
                    offset = (offset + Int(result)) % addresses.count
                    downlinkSent.store(sent, ordering: .relaxed)
                } else if result == -EAGAIN || result == -ENOBUFS || result == -EINTR {
                    sched_yield()  // the device queue is full: let the gateway drain it
                } else {
                    downlinkSendErrors.add(1, ordering: .relaxed)
                    lastSendErrno.store(-result, ordering: .relaxed)
                    usleep(1000)
                }
            }
        }
        thread.name = "bench-peer-send"
        thread.start()
    }

    /// Stops the send loop and waits for it to end (at most ~100 ms: the send timeout).
    func stopSending() async {
        sending.store(false, ordering: .relaxed)
        if senderStarted.load(ordering: .relaxed) { await senderDone.wait() }
    }

    /// Stops both loops, waits for them and closes the socket.
    func close() async {
        sending.store(false, ordering: .relaxed)
        receiving.store(false, ordering: .relaxed)
        if senderStarted.load(ordering: .relaxed) { await senderDone.wait() }
        await receiverDone.wait()
        Glibc.close(fd)
    }

    static func errnoText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// Lets async code wait for a dedicated thread to finish without blocking a cooperative thread.
final class BenchThreadCompletion: Sendable {
    private let state = NIOLockedValueBox<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init() {}

    func finish() {
        let waiters = state.withLockedValue { state in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if resumeNow { continuation.resume() }
        }
    }
}
