import AddressPool
import CryptoPrimitives
import Foundation
import IPPackets
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PPPAuth
import PPPProtocol
import SSTPClient
import SSTPNIO
import SSTPProtocol
import SSTPServer
import Synchronization
import TLSEngine
import TUNDevice
import Testing

// A hand-driven SSTP client for the hostile-client suite: the same TLS engine, codecs and PPP machines as sstp-dial,
// but every step is the test's to take, skip, repeat or falsify. It lives in the test target on purpose: nothing in
// Sources/SSTPClient can send a wrong nonce.

/// A flag set once from the event loop and read from tests.
final class ClosedFlag: Sendable {
    private let value = Synchronization.Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// What a hostile connection saw, in order.
enum HostileEvent: Sendable {
    /// The outer TLS handshake finished.
    case tlsEstablished
    /// The server's HTTP response head (status line and headers).
    case httpResponse(String)
    /// One SSTP packet from the server.
    case packet(SSTPPacket)
    /// The server's byte stream could not be parsed as SSTP.
    case unparsable(String)
    /// The connection is gone.
    case closed
}

/// Splits what the server sends into events, on the connection's event loop.
private final class HostileReceiver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let events: Mailbox<HostileEvent>
    let received: NIOLockedValueBox<[UInt8]>
    let certificateDER: NIOLockedValueBox<[UInt8]?>
    let closed: ClosedFlag
    private var head: [UInt8] = []
    private var inSSTP = false
    private var parser = SSTPPacketParser()
    private var failed = false

    init(
        events: Mailbox<HostileEvent>, received: NIOLockedValueBox<[UInt8]>,
        certificateDER: NIOLockedValueBox<[UInt8]?>, closed: ClosedFlag
    ) {
        self.events = events
        self.received = received
        self.certificateDER = certificateDER
        self.closed = closed
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted {
            certificateDER.withLockedValue { $0 = completed.peerCertificateDER }
            events.put(.tlsEstablished)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.withLockedValue { $0 += bytes.readableBytesView }
        if !inSSTP {
            head += bytes.readBytes(length: bytes.readableBytes) ?? []
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            guard let end = head.indices.first(where: { head[$0...].starts(with: separator) }) else { return }
            events.put(.httpResponse(String(decoding: head[..<end], as: UTF8.self)))
            inSSTP = true
            bytes = ByteBuffer(bytes: head[(end + 4)...])
            head = []
        }
        guard !failed else { return }
        parser.append(bytes)
        while true {
            do {
                guard let packet = try parser.nextPacket() else { return }
                events.put(.packet(packet))
            } catch {
                switch error {
                case .framing(let framing):
                    failed = true
                    events.put(.unparsable("\(framing)"))
                    return
                case .invalidMessage(let message):
                    events.put(.unparsable("\(message)"))
                }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed.set()
        events.put(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Keys and addresses of a hostile session that authenticated (MS-CHAPv2) and finished IPCP.
struct HostileSession: Sendable {
    /// The nonce and hash protocols from the server's Call Connect Acknowledge.
    var nonce: [UInt8]
    var offeredHashProtocols: SSTPHashProtocolBitmask
    /// The client HLAK from MS-CHAPv2 (MS-SSTP §3.2.5.2.2).
    var hlak: [UInt8]
    /// The hashes of the certificate the server presented.
    var certificateHashes: SSTPCertificateHashes
    /// The address IPCP assigned.
    var address: IPv4Address

    /// The Call Connected a correct client sends (SHA-256 binding).
    func callConnected() -> SSTPControlMessage {
        .callConnected(
            SSTPCryptoBinding.make(hashProtocol: .sha256, nonce: nonce, certificateHashes: certificateHashes, hlak: hlak))
    }
}

struct HostileFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The server sent a control message a correct client does not expect while authenticating (a Call Abort, say).
struct UnexpectedControlMessage: Error, CustomStringConvertible {
    let message: SSTPControlMessage
    var description: String { "server sent \(message.messageType) while authenticating" }
}

/// One hand-driven connection to the gateway.
final class HostileConnection: Sendable {
    let channel: any Channel
    private let events: Mailbox<HostileEvent>
    private let receivedBox: NIOLockedValueBox<[UInt8]>
    private let certificateDERBox: NIOLockedValueBox<[UInt8]?>
    private let closedFlag: ClosedFlag

    /// The client TLS context every hostile connection shares (loading the CA once).
    static let tls: TLSContext = try! TLSContext.client(trustRootsFile: Fixtures.caFile, verifyPeer: true)

    /// Connects from `localAddress` (any 127/8 address works on Linux loopback) to `host:port`; with `tls` false the
    /// connection stays plain TCP (for attacks on the TLS handshake itself). `receiveBuffer` sets SO_RCVBUF and
    /// `maximumSegment` TCP_MAXSEG (a client that reads slowly, on a link with small segments).
    static func open(
        port: Int, host: String = "127.0.0.1", from localAddress: String? = nil, tls: Bool = true,
        receiveBuffer: Int? = nil, maximumSegment: Int? = nil, group: any EventLoopGroup
    ) async throws -> HostileConnection {
        let events = Mailbox<HostileEvent>()
        let received = NIOLockedValueBox<[UInt8]>([])
        let certificate = NIOLockedValueBox<[UInt8]?>(nil)
        let closed = ClosedFlag()
        let context = Self.tls
        var bootstrap = ClientBootstrap(group: group).connectTimeout(.seconds(10))
        if let receiveBuffer {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
        }
        if let maximumSegment {
            // The MSS we announce is the one the server sends with: small segments keep the kernel's send buffer
            // (which Linux sizes from congestion window × MSS, 64 KiB segments on loopback) small.
            bootstrap = bootstrap.channelOption(
                ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_MAXSEG))),
                value: SocketOptionValue(maximumSegment))
        }
        if let localAddress { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localAddress, port: 0)) }
        let channel = try await bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                if tls {
                    try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context, serverName: Fixtures.serverName))
                }
                try channel.pipeline.syncOperations.addHandler(
                    HostileReceiver(events: events, received: received, certificateDER: certificate, closed: closed))
            }
        }
        .connect(host: host, port: port).get()
        return HostileConnection(
            channel: channel, events: events, received: received, certificateDER: certificate, closed: closed)
    }

    private init(
        channel: any Channel, events: Mailbox<HostileEvent>, received: NIOLockedValueBox<[UInt8]>,
        certificateDER: NIOLockedValueBox<[UInt8]?>, closed: ClosedFlag
    ) {
        self.channel = channel
        self.events = events
        self.receivedBox = received
        self.certificateDERBox = certificateDER
        self.closedFlag = closed
    }

    /// Everything received (after TLS), HTTP head included.
    var received: [UInt8] { receivedBox.withLockedValue { $0 } }
    /// Whether the connection is gone.
    var isClosed: Bool { closedFlag.isSet }

    // MARK: Sending

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer)
    }

    func send(_ messages: SSTPControlMessage...) async throws {
        var out = ByteBuffer()
        for message in messages { out.writeSSTPControlMessage(message) }
        try await send(out)
    }

    /// An IPv4 packet in a PPP frame in an SSTP data packet.
    func sendIPv4(_ packet: ByteBuffer) async throws {
        var out = ByteBuffer()
        out.writeSSTPDataPacket(pppProtocol: PPPProtocolNumber.ipv4.rawValue, payload: packet)
        try await send(out)
    }

    /// The HTTP request head `sstp-dial` and Windows send.
    static let requestHead = Array(
        ("SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: \(Fixtures.serverName)\r\n"
            + "Content-Length: 18446744073709551615\r\nSSTPCORRELATIONID: {11111111-2222-3333-4444-555555555555}\r\n\r\n")
            .utf8)

    /// Sends the HTTP request and waits for `HTTP/1.1 200`.
    func startSSTP() async throws {
        try await send(Self.requestHead)
        while let event = await next(within: 30) {
            switch event {
            case .httpResponse(let head):
                guard head.hasPrefix("HTTP/1.1 200 ") else { throw HostileFailure("HTTP refused: \(head)") }
                return
            case .closed:
                throw HostileFailure("closed before the HTTP response")
            default:
                continue
            }
        }
        throw HostileFailure("no HTTP response")
    }

    // MARK: Receiving

    /// The next event, or nil if none within `seconds`.
    func next(within seconds: Int = 10) async -> HostileEvent? {
        await events.next(within: seconds)
    }

    /// The next control message (data packets skipped), or nil when the connection closes or `seconds` pass.
    func nextControl(within seconds: Int = 30) async -> SSTPControlMessage? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let left = max(1, Int((deadline - ContinuousClock.now).components.seconds))
            guard let event = await next(within: left) else { return nil }
            switch event {
            case .packet(.control(let message)): return message
            case .closed: return nil
            default: continue
            }
        }
        return nil
    }

    /// Every control message until the server closes the connection; nil if it is still open after `seconds`.
    func controlMessagesUntilClosed(within seconds: Int = 30) async -> [SSTPControlMessage]? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var messages: [SSTPControlMessage] = []
        while ContinuousClock.now < deadline {
            let left = max(1, Int((deadline - ContinuousClock.now).components.seconds))
            guard let event = await next(within: left) else { return nil }
            switch event {
            case .packet(.control(let message)): messages.append(message)
            case .closed: return messages
            default: continue
            }
        }
        return nil
    }

    /// Waits (bounded) until the server closes the connection.
    func waitClosed(within seconds: Int = 30) async -> Bool {
        do {
            try await withTimeout(seconds, "connection closes") { [channel] in try await channel.closeFuture.get() }
            return true
        } catch {
            return false
        }
    }

    func close() async {
        try? await channel.close()
    }

    // MARK: A correct client, step by step

    /// Call Connect Request, LCP, MS-CHAPv2 and IPCP, exactly as a correct client (`sstp-dial`) does them, stopping
    /// before Call Connected. Throws if the server refuses.
    ///
    /// - Parameter early: sent right after the Call Connect Request, before any answer (a Call Connected ahead of
    ///   authentication, as sstp-client sends it).
    func authenticate(user: String, password: String, early: SSTPControlMessage? = nil) async throws -> HostileSession {
        if let early {
            try await send(.callConnectRequest, early)
        } else {
            try await send(.callConnectRequest)
        }
        let magic = SecureRandom.bytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var ppp = PPPSession(configuration: PPPSessionConfiguration(lcp: .peer(magicNumber: magic | 1)))
        var peer: MSCHAPv2Peer?
        var ack: SSTPCryptoBindingRequest?
        var hlak: [UInt8]?
        var ipcp: IPCPResult?
        var out = ByteBuffer()

        func run(_ actions: [PPPAction]) throws {
            for action in actions {
                switch action {
                case .sendFrame(let frame):
                    out.writeSSTPDataPacket(frame)
                case .authenticationStarting(let method):
                    guard method == .msCHAPv2 else { throw HostileFailure("server asked for \(method)") }
                    peer = MSCHAPv2Peer(username: user, password: password, peerChallenge: SecureRandom.bytes(16))
                case .authenticationPacket(let packet):
                    guard peer != nil else { continue }
                    for step in peer!.receive(packet) {
                        switch step {
                        case .send(let response):
                            var payload = ByteBuffer()
                            payload.writeMSCHAPv2Packet(response)
                            if let frame = ppp.authenticationFrame(payload) { out.writeSSTPDataPacket(frame) }
                        case .succeeded(let result):
                            hlak = result.hlak
                            try run(ppp.authenticationSucceeded(ipcp: .peer(), ipv6cp: nil))
                        case .failed(let reason):
                            throw HostileFailure("authentication failed: \(reason)")
                        }
                    }
                case .networkLayerUp(let result):
                    ipcp = result
                case .linkDown(let reason):
                    throw HostileFailure("PPP link down: \(reason)")
                case .startTimer, .cancelTimer, .networkLayerDown, .ipv6Up, .ipv6Down, .deliverDatagram,
                    .echoReplyReceived:
                    continue
                }
            }
        }

        try run(ppp.lowerLayerUp())
        while ack == nil || hlak == nil || ipcp == nil {
            if out.readableBytes > 0 {
                // The server may have closed (after a Call Abort, say): the events below say why.
                try? await send(out)
                out.clear()
            }
            guard let event = await next(within: 30) else { throw HostileFailure("no answer while authenticating") }
            switch event {
            case .packet(.control(let message)):
                guard message.messageType == .callConnectAck,
                    case .cryptoBindingRequest(let request)? = message.attributes.first
                else { throw UnexpectedControlMessage(message: message) }
                ack = request
            case .packet(.data(let frame)):
                if let classified = PPPFrame.classify(frame), classified.protocolNumber == .ipv4 { continue }
                try run(ppp.receiveFrame(frame))
            case .closed:
                throw HostileFailure("closed while authenticating")
            case .tlsEstablished, .httpResponse, .unparsable:
                continue
            }
        }
        if out.readableBytes > 0 { try? await send(out) }
        let der = try #require(certificateDERBox.withLockedValue { $0 })
        return HostileSession(
            nonce: ack!.nonce, offeredHashProtocols: ack!.hashProtocols, hlak: hlak!,
            certificateHashes: SSTPCertificateHashes(certificateDER: der), address: IPv4Address(ipcp!.localAddress.rawValue))
    }

    /// Authenticates and sends a correct Call Connected: a live session driven by hand.
    func connect(user: String, password: String) async throws -> HostileSession {
        let session = try await authenticate(user: user, password: password)
        try await send(session.callConnected())
        return session
    }

    /// Sends an ICMP echo request through the session and returns the sequence numbers of the replies that arrive
    /// within `seconds` (other events are skipped; stops early once `sequence` answered).
    func echoReplies(after sequence: UInt16, within seconds: Int = 30) async -> [UInt16] {
        var replies: [UInt16] = []
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline, !replies.contains(sequence) {
            let left = max(1, Int((deadline - ContinuousClock.now).components.seconds))
            guard let event = await next(within: left) else { break }
            if case .packet(.data(let frame)) = event, let classified = PPPFrame.classify(frame),
                classified.protocolNumber == .ipv4, let (_, echo) = try? ICMPEcho.parseIPv4(classified.payload),
                echo.kind == .echoReply
            {
                replies.append(echo.sequenceNumber)
            }
            if case .closed = event { break }
        }
        return replies
    }
}

// MARK: Shared helpers

/// An ICMP echo request to the host behind the gateway.
func echoRequest(from source: UInt32, sequence: UInt16, to destination: UInt32 = Fixtures.hostAddress.value) -> ByteBuffer {
    ICMPEcho(kind: .echoRequest, identifier: 77, sequenceNumber: sequence, payload: ByteBuffer(bytes: [7, 7, 7, 7]))
        .makeIPv4Packet(source: source, destination: destination)
}

/// A fresh, legitimate client (the real dialer) connects, pings the host behind the gateway and hangs up. Returns
/// what failed, or nil: tests call it while an attack is under way and after it.
func legitimateClientProblem(
    _ gateway: InProcessGateway, user: String = "bob", password: String = "bob-password", from localAddress: String? = nil
) async -> String? {
    do {
        // A generous bound: the suite runs beside ~100 others on two cores.
        var configuration = gateway.dialConfiguration(user: user, password: password)
        configuration.timeoutSeconds = 90
        let tunnel = try await SSTPDialer.connect(
            configuration, group: gateway.group, logger: quietLogger,
            localAddress: try localAddress.map { try SocketAddress(ipAddress: $0, port: 0) })
        let ok = await ping(through: tunnel, sequence: UInt16.random(in: 1...60_000))
        await tunnel.disconnect()
        return ok ? nil : "no echo reply through the tunnel"
    } catch {
        return "\(error)"
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass: waiting on a state, not sleeping for a time.
func eventually(within seconds: Double = 15, _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return true
}

/// Runs a blocking call (a child process wait, `ip`, entering a namespace) on its own thread, off Swift's cooperative
/// pool.
///
/// The result crosses through a lock as well as the continuation: when a continuation is resumed before its task has
/// suspended, the Swift runtime orders the two with an atomic ThreadSanitizer does not see, and an object built on
/// the thread would be reported as racing with its first use in the task.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result = NIOLockedValueBox<Result<T, any Error>?>(nil)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let thread = Thread {
            let outcome = Result { try body() }
            result.withLockedValue { $0 = outcome }
            continuation.resume()
        }
        thread.start()
    }
    return try result.withLockedValue { $0 }!.get()
}

/// Runs `body` on a new thread that entered the network namespace `name` (the thread ends afterwards; sockets and
/// devices it created stay in that namespace).
func inNamespace<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await offPool {
        let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Command.Failure(description: "open netns \(name): errno \(errno)") }
        defer { close(fd) }
        try NetworkNamespace.enter(fd)
        return try body()
    }
}

/// The value of one series in the gateway's metrics exposition (0 when absent).
func metric(_ gateway: InProcessGateway, _ series: String) -> Double {
    parsePrometheus(gateway.server.metrics.exposition())?[series] ?? 0
}

func failures(_ gateway: InProcessGateway, _ reason: String) -> Double {
    metric(gateway, #"sstpd_failures_total{reason="\#(reason)"}"#)
}

/// A raw control packet: header, type, a declared attribute count and the attribute bytes as given (so any of them
/// can be wrong). `length` overrides the header's Length field.
func rawControl(type: UInt16, declaredAttributes: UInt16, attributes: [UInt8], length: Int? = nil) -> [UInt8] {
    let total = length ?? (8 + attributes.count)
    return [0x10, 0x01, UInt8(total >> 8 & 0xFF), UInt8(total & 0xFF), UInt8(type >> 8), UInt8(type & 0xFF),
        UInt8(declaredAttributes >> 8), UInt8(declaredAttributes & 0xFF)] + attributes
}

/// The file descriptor limit raised (soft up to the hard limit) so a test can hold `needed` sockets.
func raiseFileLimit(to needed: Int) {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(needed) else { return }
    limit.rlim_cur = min(limit.rlim_max, rlim_t(needed))
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Many plain TCP connections that never send a byte, from the given source addresses in turn. Records when each
/// was connected and when the server closed it, and the bytes it sent on them (a refusal at accept is a close
/// without a byte).
final class IdleConnections: Sendable {
    final class Stats: Sendable {
        let closed = Synchronization.Atomic<Int>(0)
        let bytes = Synchronization.Atomic<Int>(0)
        /// When each connection closed, by index.
        let closedAt = NIOLockedValueBox<[Int: ContinuousClock.Instant]>([:])
    }

    private final class Watcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let stats: Stats
        let index: Int
        init(stats: Stats, index: Int) {
            self.stats = stats
            self.index = index
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            stats.bytes.add(unwrapInboundIn(data).readableBytes, ordering: .relaxed)
        }
        func channelInactive(context: ChannelHandlerContext) {
            let now = ContinuousClock.now
            stats.closedAt.withLockedValue { $0[index] = now }
            stats.closed.add(1, ordering: .relaxed)
            context.fireChannelInactive()
        }
    }

    let channels: [any Channel]
    let stats: Stats
    /// Before the first connect: every server-side deadline of these connections runs from a later instant.
    let started: ContinuousClock.Instant

    private init(channels: [any Channel], stats: Stats, started: ContinuousClock.Instant) {
        self.channels = channels
        self.stats = stats
        self.started = started
    }

    /// Connects `count` sockets, `batch` at a time. When `processed` is given (how many connections the gateway has
    /// accepted or refused so far), each batch waits (bounded) until the gateway has dealt with it, so the kernel's
    /// accept queue never overflows: an overflowed queue holds a handshake back for seconds of SYN-ACK retransmits,
    /// which on a loaded machine made the counts late.
    static func open(
        count: Int, from addresses: [String], port: Int, host: String = "127.0.0.1", batch: Int = 200,
        processed: (@Sendable () -> Int)? = nil, group: any EventLoopGroup
    ) async throws -> IdleConnections {
        raiseFileLimit(to: 4 * count + 4096)
        let stats = Stats()
        let started = ContinuousClock.now
        var channels: [any Channel] = []
        channels.reserveCapacity(count)
        let baseline = processed?() ?? 0
        for first in stride(from: 0, to: count, by: batch) {
            var futures: [EventLoopFuture<any Channel>] = []
            for index in first..<min(first + batch, count) {
                let source = try SocketAddress(ipAddress: addresses[index % addresses.count], port: 0)
                futures.append(
                    ClientBootstrap(group: group)
                        .connectTimeout(.seconds(30))
                        .bind(to: source)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(Watcher(stats: stats, index: index))
                            }
                        }
                        .connect(host: host, port: port))
            }
            for future in futures { channels.append(try await future.get()) }
            if let processed {
                let target = baseline + channels.count
                _ = await eventually(within: 60) { processed() >= target }
            }
        }
        return IdleConnections(channels: channels, stats: stats, started: started)
    }

    /// Connections the server has closed so far.
    var closed: Int { stats.closed.load(ordering: .relaxed) }
    /// Connections still open.
    var open: Int { channels.count - closed }
    /// Bytes the server sent on all of them.
    var bytesReceived: Int { stats.bytes.load(ordering: .relaxed) }
    /// How many were closed before `instant`.
    func closed(before instant: ContinuousClock.Instant) -> Int {
        stats.closedAt.withLockedValue { $0.values.filter { $0 < instant }.count }
    }
    /// The close instants, sorted.
    var closeInstants: [ContinuousClock.Instant] { stats.closedAt.withLockedValue { $0.values.sorted() } }

    func closeAll() async {
        for channel in channels { channel.close(promise: nil) }
        for channel in channels { try? await channel.closeFuture.get() }
    }
}
