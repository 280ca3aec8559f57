import AddressPool
import CryptoPrimitives
import DHCPProtocol
import EAP
import EAPTLS
import TLSEngine
import Logging
import NIOCore
import PPPAuth
import PPPProtocol
import SSTPNIO
import SSTPProtocol

/// The client side of one SSTP connection after TLS: the HTTP request (MS-SSTP §3.2.4.1), the SSTP client state
/// machine (§3.2) with PPP in the peer role and MS-CHAPv2, and the packet path between the tunnel and the caller.
final class SSTPClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case tls
        case httpResponse(SSTPHTTPResponseParser)
        case sstp
        case closed
    }

    private enum TimerKey: Hashable {
        case sstp(SSTPTimer)
        case ppp(PPPTimer)
    }

    private let configuration: DialConfiguration
    private let ready: EventLoopPromise<TunnelInfo>
    private let startedAt: NIODeadline
    private var logger: Logger
    private var context: ChannelHandlerContext?
    private var phase: Phase = .tls
    private var sstp: SSTPClientStateMachine?
    private var parser = SSTPPacketParser()
    private var ppp: PPPSession
    private var peer: MSCHAPv2Peer?
    private var eapPeer: EAPPeer?
    private var eapTLSPeer: EAPTLSPeer?
    private var eapHLAK: [UInt8]?
    private var tls: TLSHandshakeCompleted?
    private var ipcp: IPCPResult?
    private var ipv6cp: IPV6CPResult?
    private var callConnected: String?
    private var settled = false
    private var timers: [TimerKey: Scheduled<Void>] = [:]
    private var inbound: [ByteBuffer] = []
    /// An outstanding DHCPINFORM: its transaction id and who waits for the answer.
    private var pendingInform: (xid: UInt32, promise: EventLoopPromise<DHCPInformAcknowledgement>)?
    /// Receives IP packets from the tunnel, one batch per socket read.
    var packetHandler: (@Sendable ([ByteBuffer]) -> Void)?
    /// Why the connection ended, for the caller's report.
    private(set) var closeReason: String?

    init(configuration: DialConfiguration, ready: EventLoopPromise<TunnelInfo>, logger: Logger) {
        self.configuration = configuration
        self.ready = ready
        self.logger = logger
        self.startedAt = .now()
        let magic = SecureRandom.bytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var lcp = LCPConfiguration.peer(magicNumber: magic == 0 ? 1 : magic)
        if configuration.certificateFile != nil {
            lcp.authenticationProtocol = .eap
            if !configuration.password.isEmpty { lcp.alternativeAuthenticationProtocols = [.msCHAPv2] }
        }
        self.ppp = PPPSession(configuration: PPPSessionConfiguration(lcp: lcp))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        tls = completed
        guard let der = completed.peerCertificateDER else {
            fail(DialError(.tls, "the server sent no certificate"))
            return
        }
        logger.debug("TLS up", metadata: ["version": "\(completed.version)", "cipher": "\(completed.cipher)"])
        sstp = SSTPClientStateMachine(
            configuration: SSTPClientStateMachine.Configuration(
                serverCertificateHashes: SSTPCertificateHashes(certificateDER: der)))
        var request = context.channel.allocator.buffer(capacity: 256)
        _ = SSTPHTTPClientRequest.write(host: configuration.serverName, correlationID: Self.correlationID(), into: &request)
        phase = .httpResponse(SSTPHTTPResponseParser())
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch phase {
        case .tls, .closed:
            return
        case .httpResponse(var httpParser):
            guard let result = httpParser.parse(&bytes) else {
                phase = .httpResponse(httpParser)
                return
            }
            switch result {
            case .rejected(let rejection):
                fail(DialError(.httpRejected, "\(rejection)"))
            case .accepted:
                phase = .sstp
                execute(sstp!.httpsEstablished())
                if bytes.readableBytes > 0 { receiveSSTP(bytes) }
            }
        case .sstp:
            receiveSSTP(bytes)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !inbound.isEmpty {
            let batch = inbound
            inbound.removeAll(keepingCapacity: true)
            packetHandler?(batch)
        }
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        pendingInform?.promise.fail(DialError(.connectionClosed, "the connection closed"))
        pendingInform = nil
        for (_, timer) in timers { timer.cancel() }
        timers.removeAll()
        phase = .closed
        if closeReason == nil, let reason = sstp?.closeReason { closeReason = "\(reason)" }
        fail(DialError(.connectionClosed, closeReason ?? "the server closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(DialError(.tls, "\(error)"))
        context.close(promise: nil)
    }

    // MARK: Outbound data

    /// Sends IP packets through the tunnel (one write and one flush for the batch). Runs on the event loop.
    func send(_ packets: [ByteBuffer]) {
        guard let context, callConnected != nil, ppp.isIPv4Open else { return }
        var out = context.channel.allocator.buffer(capacity: packets.reduce(0) { $0 + $1.readableBytes + 8 })
        for packet in packets {
            let isIPv6 = packet.getInteger(at: packet.readerIndex, as: UInt8.self).map { $0 >> 4 == 6 } ?? false
            if isIPv6 && !ppp.isIPv6Open { continue }
            out.writeSSTPDataPacket(
                pppProtocol: (isIPv6 ? PPPProtocolNumber.ipv6 : PPPProtocolNumber.ipv4).rawValue, payload: packet)
        }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    /// Sends `count` copies of one IPv4 packet through the tunnel in one write and one flush (the load generator:
    /// the same template every time, so nothing is allocated per packet). Runs on the event loop; returns the packets
    /// written (0 if the tunnel is not up).
    func sendRepeated(_ packet: ByteBuffer, count: Int) -> Int {
        guard let context, callConnected != nil, ppp.isIPv4Open, count > 0 else { return 0 }
        var out = context.channel.allocator.buffer(capacity: count * (packet.readableBytes + 8))
        for _ in 0..<count {
            out.writeSSTPDataPacket(pppProtocol: PPPProtocolNumber.ipv4.rawValue, payload: packet)
        }
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        return count
    }

    /// Sends a DHCPINFORM through the tunnel as Windows does after connecting (routes, DNS, domain); the promise
    /// completes with the server's DHCPACK. Runs on the event loop.
    func requestRoutes(_ promise: EventLoopPromise<DHCPInformAcknowledgement>) {
        guard let ipcp, callConnected != nil else {
            promise.fail(DialError(.connectionClosed, "the tunnel is not up"))
            return
        }
        let xid = SecureRandom.bytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        pendingInform?.promise.fail(DialError(.timeout, "superseded by a newer DHCPINFORM"))
        pendingInform = (xid, promise)
        send([DHCPInformClient.informPacket(clientAddress: ipcp.localAddress.rawValue, xid: xid)])
    }

    /// Hangs up: Call Disconnect (MS-SSTP §3.2.4.2).
    func disconnect() {
        guard let sstp, case .sstp = phase else {
            context?.close(promise: nil)
            return
        }
        _ = sstp
        execute(self.sstp!.disconnect())
        context?.flush()
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
                    fail(DialError(.sstpClosed, "framing error from the server: \(framing)"))
                    context?.close(promise: nil)
                    return
                case .invalidMessage(let messageError):
                    execute(sstp!.receiveInvalidMessage(messageError))
                    continue
                }
            }
            guard let packet else { return }
            switch packet {
            case .data(let frame):
                guard sstp!.receiveDataPacket(frame), let classified = PPPFrame.classify(frame) else { continue }
                if classified.protocolNumber == .ipv4 {
                    if let pending = pendingInform, let ipcp,
                        let ack = DHCPInformClient.parseAcknowledgement(
                            classified.payload, clientAddress: ipcp.localAddress.rawValue, xid: pending.xid)
                    {
                        pendingInform = nil
                        pending.promise.succeed(ack)
                    } else if ppp.isIPv4Open {
                        inbound.append(classified.payload)
                    }
                } else if classified.protocolNumber == .ipv6 {
                    if ppp.isIPv6Open { inbound.append(classified.payload) }
                } else {
                    execute(ppp.receiveFrame(frame))
                    settleIfReady()
                }
            case .control(let message):
                logger.debug("SSTP control received", metadata: ["message": "\(message.messageType)"])
                execute(sstp!.receive(message))
            }
        }
    }

    private func execute(_ actions: [SSTPAction]) {
        for action in actions {
            switch action {
            case .send(let message):
                guard let context else { return }
                var out = context.channel.allocator.buffer(capacity: message.length)
                out.writeSSTPControlMessage(message)
                context.write(wrapOutboundOut(out), promise: nil)
            case .startTimer(let timer, let duration):
                startTimer(.sstp(timer), after: duration)
            case .cancelTimer(let timer):
                timers.removeValue(forKey: .sstp(timer))?.cancel()
            case .lowerLayerUp:
                execute(ppp.lowerLayerUp())
            case .callConnected(let hashProtocol):
                callConnected = "\(hashProtocol)"
                settleIfReady()
            case .closeTransport(let reason):
                closeReason = "\(reason)"
                logger.info("SSTP call ended", metadata: ["reason": "\(reason)"])
                fail(DialError(.sstpClosed, "\(reason)"))
                phase = .closed
                context?.flush()
                context?.close(promise: nil)
                return
            }
        }
    }

    // MARK: PPP

    private func execute(_ actions: [PPPAction]) {
        for action in actions {
            switch action {
            case .sendFrame(let frame):
                sendPPPFrame(frame)
            case .startTimer(let timer, let seconds):
                startTimer(.ppp(timer), after: .seconds(seconds))
            case .cancelTimer(let timer):
                timers.removeValue(forKey: .ppp(timer))?.cancel()
            case .authenticationStarting(let method):
                switch method {
                case .msCHAPv2:
                    peer = MSCHAPv2Peer(
                        username: configuration.username, password: configuration.password,
                        peerChallenge: SecureRandom.bytes(16))
                case .none:
                    // No authentication asked for: no keys, so the HLAK is 32 zero bytes (MS-SSTP §3.2.5.2).
                    execute(ppp.authenticationSucceeded(ipcp: .peer(), ipv6cp: ipv6Parameters()))
                    execute(sstp!.innerAuthenticationCompleted(hlak: [UInt8](repeating: 0, count: 32)))
                case .eap:
                    startEAP()
                }
            case .authenticationPacket(let packet):
                if eapPeer != nil {
                    execute(eapPeer!.receive(Array(packet.readableBytesView)))
                } else if peer != nil {
                    execute(peer!.receive(packet))
                }
            case .networkLayerUp(let result):
                ipcp = result
                settleIfReady()
            case .ipv6Up(let result):
                ipv6cp = result
                settleIfReady()
            case .networkLayerDown, .ipv6Down, .echoReplyReceived:
                break
            case .deliverDatagram(_, let payload):
                inbound.append(payload)
            case .linkDown(let reason):
                logger.info("PPP link down", metadata: ["reason": "\(reason)"])
                if closeReason == nil { closeReason = "PPP link down: \(reason)" }
                execute(sstp!.pppLinkDown())
            }
        }
    }

    private func execute(_ actions: [MSCHAPv2Peer.Action]) {
        for action in actions {
            switch action {
            case .send(let packet):
                var payload = ByteBuffer()
                payload.writeMSCHAPv2Packet(packet)
                if let frame = ppp.authenticationFrame(payload) { sendPPPFrame(frame) }
            case .succeeded(let result):
                logger.debug("MS-CHAPv2 succeeded")
                execute(ppp.authenticationSucceeded(ipcp: .peer(), ipv6cp: ipv6Parameters()))
                execute(sstp!.innerAuthenticationCompleted(hlak: result.hlak))
            case .failed(let reason):
                closeReason = "authentication failed: \(reason)"
                fail(DialError(.authenticationFailed, "\(reason)"))
                execute(ppp.authenticationFailed())
            }
        }
    }

    // MARK: EAP-TLS (RFC 5216 / RFC 9190), the peer side

    private func startEAP() {
        guard let certificateFile = configuration.certificateFile else {
            fail(DialError(.authenticationFailed, "the server asked for EAP-TLS; give --cert"))
            execute(ppp.authenticationFailed())
            return
        }
        do {
            let context = try configuration.eapTLSContext(certificateFile: certificateFile)
            eapTLSPeer = try EAPTLSPeer(context: context, serverName: configuration.serverName)
        } catch {
            fail(DialError(.authenticationFailed, "client certificate: \(error)"))
            execute(ppp.authenticationFailed())
            return
        }
        eapPeer = EAPPeer(identity: configuration.username, supportedMethods: [.tls])
    }

    private func execute(_ actions: [EAPPeer.Action]) {
        for action in actions {
            switch action {
            case .send(let packet):
                if let frame = ppp.authenticationFrame(ByteBuffer(bytes: packet.bytes)) { sendPPPFrame(frame) }
            case .methodRequest(_, let typeData):
                guard let tls = eapTLSPeer else { continue }
                switch tls.receive(typeData) {
                case .send(let data):
                    execute(eapPeer!.sendMethodResponse(type: .tls, typeData: data))
                case .sendAndComplete(let data, let result):
                    eapHLAK = result.keys.hlak
                    eapPeer!.methodCompleted()
                    execute(eapPeer!.sendMethodResponse(type: .tls, typeData: data))
                case .sendAndFail(let data, let failure):
                    execute(eapPeer!.sendMethodResponse(type: .tls, typeData: data))
                    fail(DialError(.authenticationFailed, "EAP-TLS: \(failure)"))
                case .failed(let failure):
                    fail(DialError(.authenticationFailed, "EAP-TLS: \(failure)"))
                    execute(ppp.authenticationFailed())
                }
            case .succeeded:
                guard let hlak = eapHLAK else { continue }
                execute(ppp.authenticationSucceeded(ipcp: .peer(), ipv6cp: ipv6Parameters()))
                execute(sstp!.innerAuthenticationCompleted(hlak: hlak))
            case .failed:
                closeReason = "authentication failed: EAP Failure"
                fail(DialError(.authenticationFailed, "EAP Failure from the server"))
                execute(ppp.authenticationFailed())
            }
        }
    }

    private func sendPPPFrame(_ frame: ByteBuffer) {
        guard let context, let sstp, sstp.mayRelay(pppFrame: frame) else { return }
        var out = context.channel.allocator.buffer(capacity: frame.readableBytes + 4)
        out.writeSSTPDataPacket(frame)
        context.write(wrapOutboundOut(out), promise: nil)
    }

    // MARK: Completion

    private func settleIfReady() {
        guard !settled, let callConnected, let ipcp, let tls else { return }
        if configuration.ipv6 && ipv6cp == nil {
            // Wait for IPV6CP unless the server refused it: a Protocol-Reject removes it (nil after authentication),
            // a Configure-Reject leaves it finished.
            switch ppp.ipv6cpState {
            case nil, .closed?, .stopped?: break
            default: return
            }
        }
        settled = true
        let elapsed = Double((NIODeadline.now() - startedAt).nanoseconds) / 1e6
        ready.succeed(
            TunnelInfo(
                address: IPv4Address(ipcp.localAddress.rawValue), serverAddress: IPv4Address(ipcp.peerAddress.rawValue),
                dnsServers: ipcp.dnsServers.map { IPv4Address($0.rawValue) }, cryptoBinding: callConnected,
                tlsVersion: tls.version, tlsCipher: tls.cipher, connectMilliseconds: elapsed,
                localInterfaceIdentifier: ipv6cp?.localInterfaceIdentifier.rawValue,
                serverInterfaceIdentifier: ipv6cp?.peerInterfaceIdentifier?.rawValue))
    }

    private func fail(_ error: DialError) {
        guard !settled else { return }
        settled = true
        ready.fail(error)
    }

    private func startTimer(_ key: TimerKey, after duration: Duration) {
        timers[key]?.cancel()
        guard let context else { return }
        let (seconds, attoseconds) = duration.components
        let delay = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        timers[key] = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timers[key] = nil
            switch key {
            case .sstp(let timer): execute(sstp!.timerFired(timer))
            case .ppp(let timer): execute(ppp.timerFired(timer))
            }
            self.context?.flush()
        }
    }

    /// IPV6CP inputs when IPv6 was asked for: a random non-zero interface identifier (RFC 5072 §4.1).
    private func ipv6Parameters() -> IPV6CPParameters? {
        guard configuration.ipv6 else { return nil }
        func identifier() -> IPV6CPInterfaceIdentifier {
            let value = SecureRandom.bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return IPV6CPInterfaceIdentifier(value == 0 ? 1 : value)
        }
        return IPV6CPParameters(localInterfaceIdentifier: identifier(), suggestedPeerInterfaceIdentifier: identifier())
    }

    /// A fresh `{GUID}` for the SSTPCORRELATIONID header.
    static func correlationID() -> String {
        let b = SecureRandom.bytes(16).map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
        return "{" + b[0..<4].joined() + "-" + b[4..<6].joined() + "-" + b[6..<8].joined() + "-" + b[8..<10].joined()
            + "-" + b[10..<16].joined() + "}"
    }
}
