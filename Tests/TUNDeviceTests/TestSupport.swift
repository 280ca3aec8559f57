import Glibc
import NIOCore

/// Runs `body` on a new, dedicated pthread and waits for it: network namespace changes (`unshare`, `setns`) stay
/// on that thread instead of leaking into the test runner's thread pool.
func onDedicatedThread<T>(_ body: @escaping () throws(TestFailure) -> T) throws(TestFailure) -> T {
    var result: Result<T, TestFailure>?
    let job = ThreadJob {
        do throws(TestFailure) {
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
    }
    var thread = pthread_t()
    let argument = Unmanaged.passRetained(job).toOpaque()
    let created = pthread_create(
        &thread, nil,
        { argument in
            Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().work()
            return nil
        }, argument)
    guard created == 0 else {
        Unmanaged<ThreadJob>.fromOpaque(argument).release()
        throw TestFailure("pthread_create failed: \(created)")
    }
    pthread_join(thread, nil)
    return try result!.get()
}

/// The closure a dedicated thread runs (passed through pthread_create's argument, retained once).
final class ThreadJob {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Fails with `TestFailure` if `body` does not finish within `duration` (the only clock in these tests: a
/// deadline, never a synchronisation sleep).
func withTimeout<T: Sendable>(
    _ duration: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TestFailure("timed out after \(duration)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Minimal IPv4 + ICMP echo builder for this test target (which depends only on TUNDevice and NIOCore; the
/// production builder is IPPackets.ICMPEcho). RFC 791 header without options, RFC 792 echo, RFC 1071 checksums.
enum Ping {
    static func checksum(_ bytes: some Collection<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var iterator = bytes.makeIterator()
        while let high = iterator.next() {
            sum += UInt32(high) << 8 | UInt32(iterator.next() ?? 0)
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func echoRequest(
        source: UInt32, destination: UInt32, identifier: UInt16, sequence: UInt16, payload: [UInt8]
    ) -> ByteBuffer {
        var icmp: [UInt8] =
            [
                8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xFF), UInt8(sequence >> 8),
                UInt8(sequence & 0xFF),
            ] + payload
        let icmpChecksum = checksum(icmp)
        icmp[2] = UInt8(icmpChecksum >> 8)
        icmp[3] = UInt8(icmpChecksum & 0xFF)
        let total = 20 + icmp.count
        var header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 1, 0, 0]
        for address in [source, destination] {
            header += [
                UInt8(address >> 24), UInt8(address >> 16 & 0xFF), UInt8(address >> 8 & 0xFF), UInt8(address & 0xFF),
            ]
        }
        let headerChecksum = checksum(header)
        header[10] = UInt8(headerChecksum >> 8)
        header[11] = UInt8(headerChecksum & 0xFF)
        return ByteBuffer(bytes: header + icmp)
    }
}
