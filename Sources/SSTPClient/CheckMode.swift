import AddressPool
import CryptoPrimitives
import DHCPProtocol
import Foundation
import IPPackets
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `sstp-dial --check`: connect, ping through the tunnel with ICMP crafted in userspace, report, disconnect.
public enum CheckMode {
    /// The outcome of one check, also printed line by line.
    public struct Report: Sendable {
        public var info: TunnelInfo?
        public var sent = 0
        public var received = 0
        public var error: String?
        /// Routes learned by DHCPINFORM ("10.1.0.0/16"), and the DNS domain.
        public var routes: [String] = []
        public var domain: String?
        public var ok: Bool { error == nil && info != nil && sent == received }
    }

    /// Returns true if the tunnel came up and every echo request got its reply.
    public static func run(
        configuration: DialConfiguration, pingTargets: [String], count: Int, logger: Logger
    ) async -> Bool {
        let report = await check(configuration: configuration, pingTargets: pingTargets, count: count, logger: logger) {
            Output.line($0)
        }
        return report.ok
    }

    public static func check(
        configuration: DialConfiguration, pingTargets: [String], count: Int, logger: Logger,
        group: (any EventLoopGroup)? = nil, output: @Sendable (String) -> Void
    ) async -> Report {
        var report = Report()
        let group = group ?? MultiThreadedEventLoopGroup.singleton
        let tunnel: TunnelConnection
        do {
            tunnel = try await SSTPDialer.connect(configuration, group: group, logger: logger)
        } catch {
            report.error = "\(error)"
            output("connect failed: \(error)")
            return report
        }
        report.info = tunnel.info
        output("connected: \(tunnel.info)")
        if let ack = await tunnel.requestRoutes() {
            report.routes = ack.routes.map { "\($0.destination)" }
            report.domain = ack.domainName
            output("routes (DHCPINFORM): \(report.routes.isEmpty ? "none" : report.routes.joined(separator: " "))"
                + (ack.domainName.map { " domain \($0)" } ?? ""))
        } else {
            output("routes (DHCPINFORM): no answer")
        }
        let replies = ReplyBox()
        tunnel.onPackets { packets in
            for packet in packets {
                if let (header, echo) = try? ICMPEcho.parseIPv4(packet), echo.kind == .echoReply {
                    replies.deliver(source: header.source, identifier: echo.identifier, sequence: echo.sequenceNumber)
                }
            }
        }
        let identifier = UInt16(truncatingIfNeeded: SecureRandom.bytes(2).reduce(0) { Int($0) << 8 | Int($1) })
        for target in pingTargets {
            guard let destination = IPv4Address(target) else {
                report.error = "not an IPv4 address: \(target)"
                output("ping \(target): not an IPv4 address")
                continue
            }
            for sequence in 1...max(count, 1) {
                let echo = ICMPEcho(
                    kind: .echoRequest, identifier: identifier, sequenceNumber: UInt16(sequence),
                    payload: ByteBuffer(bytes: Array(repeating: UInt8(0x5A), count: 56)))
                let packet = echo.makeIPv4Packet(source: tunnel.info.address.value, destination: destination.value)
                let started = NIODeadline.now()
                let waiter = replies.expect(source: destination.value, identifier: identifier, sequence: UInt16(sequence))
                tunnel.send([packet])
                report.sent += 1
                if await waiter.wait(seconds: configuration.timeoutSeconds) {
                    report.received += 1
                    let ms = Double((NIODeadline.now() - started).nanoseconds) / 1e6
                    output("reply from \(destination): icmp_seq=\(sequence) time=\(String(format: "%.2f", ms)) ms")
                } else {
                    output("no reply from \(destination): icmp_seq=\(sequence)")
                    report.error = "missing echo replies"
                }
            }
        }
        if let local = tunnel.info.localInterfaceIdentifier, let server = tunnel.info.serverInterfaceIdentifier {
            // IPV6CP is up: ping the server's link-local address (RFC 5072 §5) through the tunnel.
            let source = ICMPv6Echo.linkLocalAddress(interfaceIdentifier: local)
            let destination = ICMPv6Echo.linkLocalAddress(interfaceIdentifier: server)
            let replies6 = Mailbox<UInt16>()
            tunnel.onPackets { packets in
                for packet in packets {
                    if let reply = ICMPv6Echo.parseReply(packet), reply.identifier == identifier,
                        reply.source == destination
                    {
                        replies6.put(reply.sequenceNumber)
                    }
                }
            }
            for sequence in 1...max(count, 1) {
                let started = NIODeadline.now()
                tunnel.send([
                    ICMPv6Echo.request(
                        source: source, destination: destination, identifier: identifier,
                        sequenceNumber: UInt16(sequence), payload: ByteBuffer(bytes: Array(repeating: 0x5A, count: 56)))
                ])
                report.sent += 1
                if await replies6.next(within: configuration.timeoutSeconds) == UInt16(sequence) {
                    report.received += 1
                    let ms = Double((NIODeadline.now() - started).nanoseconds) / 1e6
                    output("reply from fe80::\(String(server, radix: 16)): icmp_seq=\(sequence) time=\(String(format: "%.2f", ms)) ms")
                } else {
                    output("no reply from fe80::\(String(server, radix: 16)): icmp_seq=\(sequence)")
                    report.error = "missing echo replies"
                }
            }
        }
        output("\(report.sent) sent, \(report.received) received")
        await tunnel.disconnect()
        output("disconnected")
        return report
    }
}

/// Matches echo replies to waiters (a reply may arrive before or after `wait` is called).
final class ReplyBox: Sendable {
    fileprivate struct Key: Hashable { var source: UInt32; var identifier: UInt16; var sequence: UInt16 }
    private let state = NIOLockedValueBox<(arrived: Set<Key>, waiters: [Key: CheckedContinuation<Bool, Never>])>(([], [:]))

    struct Waiter: Sendable {
        fileprivate let box: ReplyBox
        fileprivate let key: Key
        func wait(seconds: Int) async -> Bool {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await withCheckedContinuation { continuation in
                        let ready = box.state.withLockedValue { s -> Bool in
                            if s.arrived.remove(key) != nil { return true }
                            s.waiters[key] = continuation
                            return false
                        }
                        if ready { continuation.resume(returning: true) }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .seconds(seconds))
                    let continuation = box.state.withLockedValue { $0.waiters.removeValue(forKey: key) }
                    continuation?.resume(returning: false)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                // Release the other task if it is still parked.
                box.state.withLockedValue { $0.waiters.removeValue(forKey: key) }?.resume(returning: first)
                return first
            }
        }
    }

    func expect(source: UInt32, identifier: UInt16, sequence: UInt16) -> Waiter {
        Waiter(box: self, key: Key(source: source, identifier: identifier, sequence: sequence))
    }

    func deliver(source: UInt32, identifier: UInt16, sequence: UInt16) {
        let key = Key(source: source, identifier: identifier, sequence: sequence)
        let continuation = state.withLockedValue { s -> CheckedContinuation<Bool, Never>? in
            if let waiter = s.waiters.removeValue(forKey: key) { return waiter }
            s.arrived.insert(key)
            return nil
        }
        continuation?.resume(returning: true)
    }
}

/// Items delivered from callbacks, awaited in order with a bound.
public final class Mailbox<Item: Sendable>: Sendable {
    public init() {}
    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<Item?, Never>?
        /// Identifies the current waiter so a stale timeout cannot resume a later one.
        var generation = 0
    }

    private let state = NIOLockedValueBox(State())

    public func put(_ item: Item) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
    }

    /// The next item, or nil if none arrives within `seconds`.
    public func next(within seconds: Int) async -> Item? {
        await withCheckedContinuation { continuation in
            let ready = state.withLockedValue { s -> (Item?, Int) in
                if !s.items.isEmpty { return (s.items.removeFirst(), 0) }
                s.waiter = continuation
                s.generation += 1
                return (nil, s.generation)
            }
            if let item = ready.0 {
                continuation.resume(returning: item)
                return
            }
            let generation = ready.1
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                self.state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
                    guard s.generation == generation, let waiter = s.waiter else { return nil }
                    s.waiter = nil
                    return waiter
                }?.resume(returning: nil)
            }
        }
    }
}
