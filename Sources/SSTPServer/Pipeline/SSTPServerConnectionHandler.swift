import AddressPool
import CryptoPrimitives
import DHCPProtocol
import EAP
import EAPTLS
import GatewayPolicy
import IPPackets
import Foundation
import Logging
import NIOCore
import PPPAuth
import PPPProtocol
import SSTPProtocol
import TLSEngine
import Synchronization

/// One client connection after TLS: the HTTP phase, then the SSTP server state machine (MS-SSTP §3.3) with PPP
/// (RFC 1661) and MS-CHAPv2 (RFC 2759) inside, the address lease and the packet path to the gateway's device.
///
/// The protocol machines are pure values; this handler feeds them events, supplies randomness, credentials and
/// addresses, owns their timers and carries out their actions. It runs on the channel's event loop only.
final class SSTPServerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        /// Waiting for the SSTP_DUPLEX_POST request head (MS-SSTP §3.3.7.2 HTTPS connection setup).
        case http(SSTPHTTPRequestParser)
        case sstp
        case closed
    }

    /// Every timer this connection runs, by owner.
    enum TimerKey: Hashable {
        case handshake
        case sstp(SSTPTimer)
        case ppp(PPPTimer)
        case auth(MSCHAPv2Authenticator.TimerID)
        case eap(EAPAuthenticator.TimerID)
    }

    /// EAP (RFC 3748) with EAP-TLS as its method, when LCP negotiated EAP.
    var eap: EAPAuthenticator?
    var eapTLS: EAPTLSServer?
    /// The authorized user and HLAK between the method's success and EAP-Success.
    var eapResult: (user: String, keys: EAPTLSKeys)?

    let gateway: GatewayServer
    let settings: SessionSettings
    var logger: Logger
    private let peer: String
    /// The client's IP address without the port (the lockout key).
    let peerIP: String
    var context: ChannelHandlerContext?
    var sessionID: UInt64 = 0
    private var phase: Phase = .http(SSTPHTTPRequestParser())
    var sstp: SSTPServerStateMachine
    private var parser = SSTPPacketParser()
    var ppp: PPPSession
    var authenticator: MSCHAPv2Authenticator?
    var user: String?
    var address: IPv4Address?
    /// "MS-CHAPv2" or "EAP-TLS" once authenticated.
    var authenticationMethod: String?
    /// When the TCP connection was accepted (the handshake-duration histogram runs to Call Connected).
    let acceptedAt = NIODeadline.now()
    /// Names this session in the state store: the client's SSTP correlation id when it sent one (Windows does),
    /// else a fresh UUID (session ids restart with the daemon).
    lazy var sessionKey: String = UUID().uuidString
    private var routed = false
    private var callConnected = false
    /// Our link-local address once IPV6CP is up.
    private var localIPv6: IPv6Address?
    var timers: [TimerKey: Scheduled<Void>] = [:]
    /// Uplink packets and bytes forwarded and not yet added to the counters (see `flushUplinkCounters`).
    private var uplinkPackets = 0
    private var uplinkBytes = 0
    /// The device queue this connection's event loop writes to (multi-queue TUN: replies come back on it).
    private var deviceQueue = 0
    let counters = SessionCounters()
    /// This connection's place among the unauthenticated ones (ConnectionAdmission): given up at Call Connected.
    var admissionTicket: AdmissionTicket?
    /// Echo Responses not sent because the client does not read what it is sent (see `execute(_: [SSTPAction])`).
    private var echoResponsesDropped = 0

    /// Connections still in their TLS/HTTP handshake allowed on top of the session limit (each has a deadline).
    static let maxHandshakingConnections = 256

    init(gateway: GatewayServer, peer: SocketAddress?) {
        self.gateway = gateway
        self.settings = gateway.settings
        self.peer = peer.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        self.peerIP = peer?.ipAddress ?? "?"
        self.logger = gateway.logger
        self.logger[metadataKey: "peer"] = "\(self.peer)"
        // Randomness is an input of the pure machines: the Call Connect Ack nonce and our LCP magic number.
        self.sstp = SSTPServerStateMachine(configuration: gateway.settings.sstp, nonce: SecureRandom.bytes(32))
        let magic = SecureRandom.bytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var lcp = LCPConfiguration(
            role: .authenticator, magicNumber: magic == 0 ? 1 : magic, maximumReceiveUnit: gateway.settings.mru,
            authenticationProtocol: gateway.settings.authenticationProtocol)
        lcp.alternativeAuthenticationProtocols = gateway.settings.alternativeAuthenticationProtocols
        self.ppp = PPPSession(configuration: PPPSessionConfiguration(lcp: lcp))
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.deviceQueue = gateway.device.queue(for: context.eventLoop)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let opened = gateway.state.open(
            info: { id in
                SessionInfo(
                    id: id, correlationID: nil, peer: self.peer, user: nil, address: nil, method: nil, cryptoBinding: nil,
                    phase: "handshake", since: Date().timeIntervalSince1970, counters: self.counters)
            },
            maxConnections: settings.maxSessions + Self.maxHandshakingConnections,
            disconnect: { eventLoop.execute { loopBound.value.administrativeDisconnect() } })
        guard let id = opened else {
            logger.warning("refused connection: too many open connections", metadata: ["limit": "\(settings.maxSessions)"])
            gateway.counters.sessionLimitRefusals.add(1, ordering: .relaxed)
            gateway.metrics.failure(.sessionLimit)
            phase = .closed
            context.close(promise: nil)
            return
        }
        sessionID = id
        logger[metadataKey: "session"] = "\(id)"
        logger.info("connection accepted")
        gateway.metrics.connectionAccepted()
        if case .lockedOut(let until, _) = gateway.lockoutDecision(user: nil, address: peerIP) {
            let seconds = Double(until &- GatewayServer.monotonicNow()) / 1e9
            logger.warning("refused connection: address locked out", metadata: ["seconds-left": "\(Int(seconds.rounded(.up)))"])
            gateway.metrics.failure(.lockedOut)
            phase = .closed
            context.close(promise: nil)
            return
        }
        // One deadline covers TCP accept -> TLS handshake -> HTTP request head.
        startTimer(.handshake, after: .seconds(settings.handshakeTimeout))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch phase {
        case .http(var httpParser):
            guard let verdict = httpParser.parse(&bytes) else {
                phase = .http(httpParser)
                return
            }
            switch verdict {
            case .refused(let refusal):
                logger.notice("refused HTTP request", metadata: ["reason": "\(refusal)"])
                var out = context.channel.allocator.buffer(capacity: 128)
                _ = refusal.response.write(into: &out)
                phase = .closed
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
            case .accepted(let request):
                cancelTimer(.handshake)
                guard gateway.state.admit(sessionID, limit: settings.maxSessions) else {
                    // The gateway is full: a clean, valid HTTP refusal, logged and counted.
                    logger.warning("refused session: session limit reached", metadata: ["limit": "\(settings.maxSessions)"])
                    gateway.counters.sessionLimitRefusals.add(1, ordering: .relaxed)
                    gateway.metrics.failure(.sessionLimit)
                    var out = context.channel.allocator.buffer(capacity: 128)
                    _ = SSTPHTTPResponse.refusal(SSTPHTTPStatus(code: 503, reasonPhrase: "Service Unavailable"))
                        .write(into: &out)
                    phase = .closed
                    let channel = context.channel
                    context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
                    return
                }
                if let correlationID = request.correlationID {
                    logger[metadataKey: "correlation"] = "\(correlationID)"
                    sessionKey = "\(correlationID)"
                }
                gateway.state.update(sessionID) {
                    $0.correlationID = request.correlationID
                    $0.phase = "sstp"
                }
                logger.info("SSTP_DUPLEX_POST accepted", metadata: ["host": "\(request.host)"])
                var out = context.channel.allocator.buffer(capacity: 128)
                _ = SSTPHTTPResponse.success(server: "sstpd").write(into: &out)
                context.write(wrapOutboundOut(out), promise: nil)
                phase = .sstp
                execute(sstp.httpsEstablished())
                if bytes.readableBytes > 0 { receiveSSTP(bytes) }
            }
        case .sstp:
            receiveSSTP(bytes)
        case .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushUplinkCounters()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown(reason: "connection closed")
        context.fireChannelInactive()
    }

    /// A channel closed before it was registered (a refusal in `handlerAdded`, still inside the child channel
    /// initializer) never fires channelInactive; its handlers are only removed. Without this its session-table entry
    /// stayed for good, and a locked-out address could fill the table by reconnecting.
    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown(reason: "connection closed")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.notice("connection error", metadata: ["error": "\(error)"])
        if error is TLSError, case .http = phase { gateway.metrics.failure(.tls) }
        context.close(promise: nil)
    }

    // MARK: SSTP

    private func receiveSSTP(_ bytes: ByteBuffer) {
        parser.append(bytes)
        while case .sstp = phase {
            let packet: SSTPPacket?
            do {
                packet = try parser.nextPacket()
            } catch {
                switch error {
                case .framing(let framing):
                    // §3.1.5.1: a framing error drops the TCP connection without sending anything.
                    logger.warning("SSTP framing error, dropping connection", metadata: ["error": "\(framing)"])
                    gateway.counters.framingErrors.add(1, ordering: .relaxed)
                    gateway.metrics.failure(.framing)
                    close()
                    return
                case .invalidMessage(let messageError):
                    logger.warning("invalid SSTP control message", metadata: ["error": "\(messageError)"])
                    gateway.counters.invalidMessages.add(1, ordering: .relaxed)
                    gateway.metrics.failure(.framing)
                    execute(sstp.receiveInvalidMessage(messageError))
                    continue
                }
            }
            guard let packet else { return }
            switch packet {
            case .data(let frame):
                receiveDataPacket(frame)
            case .control(let message):
                logger.debug("SSTP control received", metadata: ["message": "\(message.messageType)"])
                execute(sstp.receive(message))
            }
        }
    }

    private func receiveDataPacket(_ frame: ByteBuffer) {
        guard sstp.receiveDataPacket(frame) else {
            // §3.3.5.2.3: data frames before a verified Call Connected are discarded.
            counters.otherDropped.add(1, ordering: .relaxed)
            return
        }
        guard let classified = PPPFrame.classify(frame) else {
            counters.otherDropped.add(1, ordering: .relaxed)
            return
        }
        switch classified.protocolNumber {
        case .ipv4:
            forwardToDevice(classified.payload)
        case .ipv6:
            receiveIPv6(classified.payload)
        default:
            execute(ppp.receiveFrame(frame))
        }
    }

    /// Client → network. Drops anything whose source is not the client's own address (anti-spoofing).
    private func forwardToDevice(_ packet: ByteBuffer) {
        guard callConnected, let address else {
            counters.otherDropped.add(1, ordering: .relaxed)
            return
        }
        guard ppp.isIPv4Open, packet.readableBytes >= 20,
            packet.getInteger(at: packet.readerIndex, as: UInt8.self).map({ $0 >> 4 == 4 }) == true
        else {
            counters.otherDropped.add(1, ordering: .relaxed)
            return
        }
        guard packet.getInteger(at: packet.readerIndex + 12, as: UInt32.self) == address.value else {
            counters.spoofedDropped.add(1, ordering: .relaxed)
            gateway.counters.spoofedDropped.add(1, ordering: .relaxed)
            gateway.metrics.tunDropped(reason: .spoofed)
            logger.debug("dropped a packet with a spoofed source address")
            return
        }
        if Self.isDHCPToServer(packet), answerDHCP(packet, address: address) { return }
        if let limiter = gateway.limiter, !limiter.admitUplink(packet.readableBytes) {
            counters.otherDropped.add(1, ordering: .relaxed)
            gateway.metrics.tunDropped(reason: .cap)
            return
        }
        uplinkPackets += 1
        uplinkBytes += packet.readableBytes
        if !gateway.device.write(packet, queue: deviceQueue) {
            counters.otherDropped.add(1, ordering: .relaxed)
        }
    }

    /// Adds the uplink packets and bytes forwarded since the last call to the session's and the gateway's counters:
    /// once per socket read rather than per packet, because the gateway-wide counters are atomics shared by every
    /// event loop (per-packet increments from two cores bounce their cache line).
    private func flushUplinkCounters() {
        guard uplinkPackets > 0 else { return }
        counters.packetsIn.add(uplinkPackets, ordering: .relaxed)
        counters.bytesIn.add(uplinkBytes, ordering: .relaxed)
        gateway.metrics.traffic(direction: .inbound, bytes: uplinkBytes, packets: uplinkPackets)
        uplinkPackets = 0
        uplinkBytes = 0
    }

    /// A cheap pre-check on the uplink: UDP to port 67 (BOOTP server).
    @inline(__always)
    static func isDHCPToServer(_ packet: ByteBuffer) -> Bool {
        guard packet.getInteger(at: packet.readerIndex + 9, as: UInt8.self) == 17,
            let versionIHL = packet.getInteger(at: packet.readerIndex, as: UInt8.self)
        else { return false }
        return packet.getInteger(at: packet.readerIndex + Int(versionIHL & 0x0F) * 4 + 2, as: UInt16.self) == 67
    }

    /// Windows RAS clients ask for routes and the DNS domain with a DHCPINFORM through the tunnel after connecting;
    /// the gateway answers it itself (classless static routes, options 121 and 249). Returns true if answered.
    private func answerDHCP(_ packet: ByteBuffer, address: IPv4Address) -> Bool {
        guard let context,
            let reply = settings.dhcp.response(to: packet, clientAddress: address.value, serverIdentifier: settings.gateway.value)
        else { return false }
        logger.info("answered DHCPINFORM", metadata: ["routes": "\(settings.dhcp.configuration.routes.count)"])
        var out = context.channel.allocator.buffer(capacity: reply.readableBytes + 8)
        out.writeSSTPDataPacket(pppProtocol: PPPProtocolNumber.ipv4.rawValue, payload: reply)
        context.write(wrapOutboundOut(out), promise: nil)
        return true
    }

    /// Client IPv6. Only link-local addressing is negotiated (IPV6CP, RFC 5072), so the one IPv6 peer a client can
    /// reach is the gateway's own link-local address: answer its echo requests here; drop and count the rest.
    private func receiveIPv6(_ packet: ByteBuffer) {
        guard callConnected, ppp.isIPv6Open, let localIPv6, let context,
            let reply = ICMPv6Echo.reply(to: packet, addressedTo: localIPv6)
        else {
            counters.otherDropped.add(1, ordering: .relaxed)
            return
        }
        var out = context.channel.allocator.buffer(capacity: reply.readableBytes + 8)
        out.writeSSTPDataPacket(pppProtocol: PPPProtocolNumber.ipv6.rawValue, payload: reply)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    /// Network → client: one write (and one flush) per batch from the device.
    ///
    /// While the connection is not writable (more than `GatewayServer.downlinkQueueHighBytes` of ciphertext queued
    /// because the client or its path is slower than the network behind the gateway) the batch is dropped and counted
    /// (`cap`), as a router drops at a full output queue; the inner TCP flows back off. Queuing instead would grow
    /// sstpd's memory without bound.
    func sendToClient(_ packets: [ByteBuffer]) {
        guard let context, callConnected, ppp.isIPv4Open else {
            counters.otherDropped.add(packets.count, ordering: .relaxed)
            return
        }
        guard context.channel.isWritable else {
            counters.otherDropped.add(packets.count, ordering: .relaxed)
            counters.queueDropped.add(packets.count, ordering: .relaxed)
            gateway.counters.downlinkQueueDropped.add(packets.count, ordering: .relaxed)
            gateway.metrics.tunDropped(reason: .cap, count: packets.count)
            return
        }
        var total = 0
        for packet in packets { total += packet.readableBytes + 8 }
        var out = context.channel.allocator.buffer(capacity: total)
        var sent = 0
        var sentBytes = 0
        let limiter = gateway.limiter
        for packet in packets
        where limiter?.admitDownlink(packet.readableBytes) ?? true
            && out.writeSSTPDataPacket(pppProtocol: PPPProtocolNumber.ipv4.rawValue, payload: packet)
        {
            sent += 1
            sentBytes += packet.readableBytes
        }
        counters.bytesOut.add(sentBytes, ordering: .relaxed)
        counters.packetsOut.add(sent, ordering: .relaxed)
        gateway.metrics.traffic(direction: .outbound, bytes: sentBytes, packets: sent)
        if limiter != nil, sent < packets.count { gateway.metrics.tunDropped(reason: .cap, count: packets.count - sent) }
        counters.otherDropped.add(packets.count - sent, ordering: .relaxed)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    func execute(_ actions: [SSTPAction]) {
        for action in actions {
            switch action {
            case .send(let message):
                if message.messageType == .echoResponse, let context, !context.channel.isWritable {
                    // An Echo Request flood from a client that does not read would otherwise queue Echo Responses
                    // without bound (control messages bypass the downlink drop in sendToClient). The hello exchange
                    // only needs some packet, so a response not sent while the queue is full loses nothing.
                    echoResponsesDropped += 1
                    gateway.counters.echoResponsesDropped.add(1, ordering: .relaxed)
                    if echoResponsesDropped == 1 {
                        logger.warning("dropping Echo Responses: the client does not read them (Echo Request flood?)")
                    }
                    continue
                }
                logger.debug("SSTP control sent", metadata: ["message": "\(message.messageType)"])
                if message.messageType == .callAbort {
                    // Logged now: the peer often closes TCP before the abort timer would report the reason.
                    logger.warning("aborting the call", metadata: ["reason": "\(sstp.abortReason.map { "\($0)" } ?? "?")"])
                    gateway.counters.callAborts.add(1, ordering: .relaxed)
                    if case .cryptoBindingMismatch? = sstp.abortReason { gateway.metrics.failure(.cryptoBinding) }
                }
                guard let context else { return }
                var out = context.channel.allocator.buffer(capacity: message.length)
                out.writeSSTPControlMessage(message)
                context.write(wrapOutboundOut(out), promise: nil)
            case .startTimer(let timer, let duration):
                startTimer(.sstp(timer), after: TimeAmount(duration))
            case .cancelTimer(let timer):
                cancelTimer(.sstp(timer))
            case .lowerLayerUp:
                execute(ppp.lowerLayerUp())
            case .callConnected(let hashProtocol):
                callConnected = true
                admissionTicket?.release()
                if sstp.verifiedWithLegacyHLAK {
                    logger.notice(
                        "call connected, crypto binding verified",
                        metadata: ["hash": "\(hashProtocol)", "binding-key": "pppd-2.4 EAP-TLS (sstp.legacy_eap_tls_binding)"])
                } else {
                    logger.notice("call connected, crypto binding verified", metadata: ["hash": "\(hashProtocol)"])
                }
                gateway.state.update(sessionID) {
                    $0.cryptoBinding = "\(hashProtocol)"
                    $0.phase = "connected"
                }
                gateway.metrics.handshakeCompleted(seconds: Double((NIODeadline.now() - acceptedAt).nanoseconds) / 1e9)
                gateway.metrics.sessionStarted(method: authenticationMethod == "EAP-TLS" ? "eap-tls" : "mschapv2")
                gateway.recorder?.sessionStarted(
                    sessionID: sessionID, sessionKey: sessionKey, user: user ?? "?", address: address, peer: peer,
                    method: authenticationMethod ?? "?", cryptoBinding: "\(hashProtocol)")
            case .closeTransport(let reason):
                logger.info("SSTP call ended", metadata: ["reason": "\(reason)"])
                close()
                return
            }
        }
    }

    // MARK: PPP

    func execute(_ actions: [PPPAction]) {
        for action in actions {
            switch action {
            case .sendFrame(let frame):
                sendPPPFrame(frame)
            case .startTimer(let timer, let seconds):
                startTimer(.ppp(timer), after: .seconds(Int64(seconds)))
            case .cancelTimer(let timer):
                cancelTimer(.ppp(timer))
            case .authenticationStarting(let method):
                startAuthentication(method)
            case .authenticationPacket(let packet):
                if eap != nil {
                    execute(eap!.receive(Array(packet.readableBytesView)))
                } else if authenticator != nil {
                    execute(authenticator!.receive(packet))
                }
            case .networkLayerUp(let result):
                networkLayerUp(result)
            case .networkLayerDown:
                unroute()
            case .ipv6Up(let result):
                localIPv6 = ICMPv6Echo.linkLocalAddress(interfaceIdentifier: result.localInterfaceIdentifier.rawValue)
                logger.notice(
                    "IPV6CP up",
                    metadata: [
                        "local-interface-id": "\(result.localInterfaceIdentifier)",
                        "peer-interface-id": "\(result.peerInterfaceIdentifier.map { "\($0)" } ?? "-")",
                    ])
            case .ipv6Down:
                localIPv6 = nil
            case .deliverDatagram(let proto, let payload):
                if proto == .ipv4 { forwardToDevice(payload) } else { receiveIPv6(payload) }
            case .echoReplyReceived:
                break
            case .linkDown(let reason):
                logger.info("PPP link down", metadata: ["reason": "\(reason)"])
                unroute()
                execute(sstp.pppLinkDown())
            }
        }
    }

    func sendPPPFrame(_ frame: ByteBuffer) {
        guard let context, sstp.mayRelay(pppFrame: frame) else { return }
        var out = context.channel.allocator.buffer(capacity: frame.readableBytes + 4)
        out.writeSSTPDataPacket(frame)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    private func networkLayerUp(_ result: IPCPResult) {
        guard let address, result.peerAddress.rawValue == address.value else {
            logger.warning("IPCP finished with an address other than the lease; closing")
            execute(ppp.close(reason: .administrative))
            return
        }
        let loopBound = NIOLoopBound(self, eventLoop: context!.eventLoop)
        gateway.router.register(
            address: address.value,
            endpoint: SessionEndpoint(sessionID: sessionID, eventLoop: context!.eventLoop) { packets in
                loopBound.value.sendToClient(packets)
            })
        routed = true
        logger.notice(
            "IPCP up", metadata: ["address": "\(address)", "dns": "\(result.dnsServers.map { "\($0)" })"])
    }

    private func unroute() {
        if routed, let address {
            gateway.router.unregister(address: address.value, sessionID: sessionID)
            routed = false
        }
    }

    // MARK: Teardown

    /// `sstpctl`/shutdown asked for this session to end: Call Disconnect (MS-SSTP §3.1.1.1).
    func administrativeDisconnect() {
        logger.info("disconnect requested")
        switch phase {
        case .sstp: execute(sstp.disconnect())
        case .http, .closed: close()
        }
        context?.flush()
    }

    func close() {
        guard let context else { return }
        if case .closed = phase {} else { phase = .closed }
        context.flush()
        context.close(promise: nil)
    }

    private func tearDown(reason: String) {
        guard sessionID != 0 else { return }
        flushUplinkCounters()
        phase = .closed
        _ = sstp.transportClosed()
        _ = ppp.lowerLayerDown()
        for (_, scheduled) in timers { scheduled.cancel() }
        timers.removeAll()
        unroute()
        if callConnected { gateway.metrics.sessionEnded() }
        if let recorder = gateway.recorder {
            recorder.sessionEnded(sessionID: sessionID, counters: counters, reason: reason)
            if let address { recorder.released(address: address) }
        }
        if gateway.state.close(sessionID) {
            // The last session is gone: give the heap's free memory back to the kernel (glibc keeps it otherwise,
            // so RSS would stay at the high-water mark of a burst of sessions). Off the event loop.
            HeapTrim.afterLastSession(state: gateway.state)
        }
        logger.info(
            "session closed",
            metadata: [
                "reason": "\(reason)",
                "packets-in": "\(counters.packetsIn.load(ordering: .relaxed))",
                "packets-out": "\(counters.packetsOut.load(ordering: .relaxed))",
                "spoofed-dropped": "\(counters.spoofedDropped.load(ordering: .relaxed))",
                "other-dropped": "\(counters.otherDropped.load(ordering: .relaxed))",
                "queue-dropped": "\(counters.queueDropped.load(ordering: .relaxed))",
            ])
        sessionID = 0
        context = nil
    }
}
