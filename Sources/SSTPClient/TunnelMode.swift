import AddressPool
import DHCPProtocol
@preconcurrency import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import TUNDevice

/// `sstp-dial` without `--check`: a TUN device with the assigned address, routes through it, and packets forwarded
/// both ways until SIGINT or SIGTERM (then Call Disconnect).
public enum TunnelMode {
    public static func run(configuration: DialConfiguration, tunName: String, routes: [String], logger: Logger) async throws {
        let tunnel = try await SSTPDialer.connect(configuration, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let tun = try TUNDevice.create(name: tunName)
        defer { tun.close() }
        try tun.setIPv4(address: tunnel.info.address.value, prefixLength: 32)
        try tun.setMTU(1400)
        try tun.setUp()
        // Split tunnel: the routes the server pushes (DHCPINFORM, as Windows asks) plus any given with --route.
        var prefixes = routes
        if let ack = await tunnel.requestRoutes() {
            prefixes += ack.routes.map { "\($0.destination)" }
            Output.line("routes from the server: \(ack.routes.map { "\($0.destination)" }.joined(separator: " "))")
        }
        for route in Set(prefixes).sorted() {
            guard IPv4Network(route) != nil else { throw DialError(.connectionClosed, "bad route \(route)") }
            try runIP(["route", "replace", route, "dev", tun.name])
        }
        Output.line("tunnel up on \(tun.name): \(tunnel.info)")
        tunnel.onPackets { packets in
            for packet in packets { tun.write(packet) }
        }
        try tun.startReading { batch in tunnel.send(batch) }

        // One stream of stop events: SIGINT/SIGTERM, or the server ending the connection.
        var sources: [any DispatchSourceSignal] = []
        let (stops, continuation) = AsyncStream<String>.makeStream()
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield("signal \(sig)") }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }
        tunnel.closeFuture.whenComplete { _ in continuation.yield("connection closed by the server") }
        for await reason in stops {
            Output.line("stopping: \(reason)")
            break
        }
        Output.line("disconnecting")
        await tunnel.disconnect()
    }

    static func runIP(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DialError(.connectionClosed, "ip \(arguments.joined(separator: " ")) failed")
        }
    }
}
