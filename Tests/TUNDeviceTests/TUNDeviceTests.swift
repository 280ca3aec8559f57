import Glibc
import NIOCore
import TUNDevice
import Testing

/// Real TUN devices (needs root). Every device lives in a fresh network namespace created with
/// `unshare(CLONE_NEWNET)` on a dedicated thread, so nothing touches the host's network, and the namespace (and
/// with it anything left in it) disappears once the last TUN fd and namespace fd are closed.
@Suite(.serialized) struct TUNDeviceTests {
    static let gateway: UInt32 = 0xC612_4D01  // 198.18.77.1 (RFC 2544 benchmarking range)
    static let peer: UInt32 = 0xC612_4D02  // 198.18.77.2

    /// Creates a configured TUN inside a new namespace; returns it and a fd keeping the namespace alive.
    private func makeDeviceInFreshNamespace(configure: Bool) throws -> (TUNDevice, CInt) {
        try onDedicatedThread { () throws(TestFailure) -> (TUNDevice, CInt) in
            do {
                try NetworkNamespace.unshareCurrentThread()
                let namespace = try NetworkNamespace.openCurrent()
                do {
                    let device = try TUNDevice.create(name: "sstpt%d")
                    if configure {
                        do {
                            try device.setIPv4(address: Self.gateway, prefixLength: 30)
                            try device.setMTU(1400)
                            try device.setUp()
                            guard try device.mtu() == 1400 else { throw TUNError(operation: "MTU readback", errno: 0) }
                        } catch {
                            device.close()
                            throw error
                        }
                    }
                    return (device, namespace)
                } catch {
                    close(namespace)
                    throw error
                }
            } catch {
                throw TestFailure("setup: \(error)")
            }
        }
    }

    /// Whether an interface called `name` exists in the namespace `namespace`.
    private func interfaceExists(_ name: String, in namespace: CInt) throws -> Bool {
        try onDedicatedThread { () throws(TestFailure) -> Bool in
            do {
                try NetworkNamespace.enter(namespace)
            } catch {
                throw TestFailure("setns: \(error)")
            }
            return if_nametoindex(name) != 0
        }
    }

    @Test func createNamesDeviceAndCloseRemovesIt() throws {
        let (device, namespace) = try makeDeviceInFreshNamespace(configure: false)
        defer {
            device.close()
            close(namespace)
        }
        #expect(device.name.hasPrefix("sstpt"))
        #expect(device.name != "sstpt%d")
        #expect(device.fd >= 0)
        #expect(try interfaceExists(device.name, in: namespace))
        device.close()
        device.close()  // idempotent
        #expect(try !interfaceExists(device.name, in: namespace))
        #expect(!device.write(ByteBuffer(bytes: [0x45])))  // closed: refused, not a write to a stale fd
    }

    @Test func multiQueueDeviceAcceptsASecondQueue() throws {
        let (first, second, namespace) = try onDedicatedThread {
            () throws(TestFailure) -> (TUNDevice, TUNDevice, CInt) in
            do {
                try NetworkNamespace.unshareCurrentThread()
                let namespace = try NetworkNamespace.openCurrent()
                let first = try TUNDevice.create(name: "sstpq%d", multiQueue: true)
                do {
                    return (first, try TUNDevice.create(name: first.name, multiQueue: true), namespace)
                } catch {
                    first.close()
                    close(namespace)
                    throw error
                }
            } catch {
                throw TestFailure("setup: \(error)")
            }
        }
        defer {
            first.close()
            second.close()
            close(namespace)
        }
        #expect(second.name == first.name)
        #expect(second.fd != first.fd)
        first.close()
        #expect(try interfaceExists(first.name, in: namespace))  // still has a queue
        second.close()
        #expect(try !interfaceExists(first.name, in: namespace))
    }

    @Test func rejectsOverlongName() {
        #expect(throws: TUNError(operation: "TUNSETIFF", errno: ENAMETOOLONG)) {
            try TUNDevice.create(name: "a-name-too-long-for-ifnamsiz")
        }
    }

    @Test func kernelAnswersEchoRequestWrittenIntoTUN() async throws {
        let (device, namespace) = try makeDeviceInFreshNamespace(configure: true)
        defer {
            device.close()
            close(namespace)
        }
        let (packets, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        try device.startReading(maxBatchSize: 64) { batch in
            for packet in batch {
                continuation.yield(packet)
            }
        }
        let payload = (0..<56).map { UInt8($0) }
        let request = Ping.echoRequest(
            source: Self.peer, destination: Self.gateway, identifier: 0xBEEF, sequence: 7, payload: payload)
        #expect(device.write(request))

        let reply = try await withTimeout(.seconds(10)) { () async -> ByteBuffer? in
            for await packet in packets {
                // Skip anything else the kernel sends on a fresh interface (e.g. IPv6 router solicitations).
                if packet.getInteger(at: 0, as: UInt8.self) == 0x45, packet.getInteger(at: 9, as: UInt8.self) == 1,
                    packet.getInteger(at: 20, as: UInt8.self) == 0, packet.getInteger(at: 24, as: UInt16.self) == 0xBEEF
                {
                    return packet
                }
            }
            return nil
        }
        let packet = try #require(reply)
        #expect(packet.readableBytes == 84)
        #expect(packet.getInteger(at: 12, as: UInt32.self) == Self.gateway)
        #expect(packet.getInteger(at: 16, as: UInt32.self) == Self.peer)
        #expect(packet.getInteger(at: 26, as: UInt16.self) == 7)
        #expect(packet.getBytes(at: 28, length: 56) == payload)
        #expect(Ping.checksum(packet.getBytes(at: 0, length: 20)!) == 0)
        #expect(Ping.checksum(packet.getBytes(at: 20, length: 64)!) == 0)

        device.close()
        continuation.finish()
        #expect(try !interfaceExists(device.name, in: namespace))
    }

    @Test func readerDeliversManyPacketsInBatchesAndEachWriteIsOnePacket() async throws {
        let (device, namespace) = try makeDeviceInFreshNamespace(configure: true)
        defer {
            device.close()
            close(namespace)
        }
        let (batches, continuation) = AsyncStream.makeStream(of: [ByteBuffer].self)
        try device.startReading(maxBatchSize: 8) { batch in
            continuation.yield(batch)
        }
        let count = 40
        for sequence in 0..<count {
            let request = Ping.echoRequest(
                source: Self.peer, destination: Self.gateway, identifier: 0xCAFE, sequence: UInt16(sequence),
                payload: [UInt8](repeating: UInt8(sequence), count: 100))
            #expect(device.write(request))
        }
        let sequences = try await withTimeout(.seconds(10)) { () async -> [UInt16] in
            var seen: [UInt16] = []
            for await batch in batches {
                #expect(batch.count <= 8)
                // One buffer per batch, sized to it (NIO rounds up to a power of two): a queued slice must not keep a
                // mostly empty slab alive.
                let bytes = batch.reduce(0) { $0 + $1.readableBytes }
                #expect(
                    batch.allSatisfy { $0.storageCapacity < max(2 * bytes, 128) },
                    "\(batch.map(\.storageCapacity)) for \(bytes) bytes")
                for packet in batch
                where packet.getInteger(at: 20, as: UInt8.self) == 0
                    && packet.getInteger(at: 24, as: UInt16.self) == 0xCAFE
                {
                    seen.append(packet.getInteger(at: 26, as: UInt16.self)!)
                }
                if seen.count == count { break }
            }
            return seen
        }
        #expect(Set(sequences) == Set((0..<count).map { UInt16($0) }))
        device.close()
        continuation.finish()
    }
}
