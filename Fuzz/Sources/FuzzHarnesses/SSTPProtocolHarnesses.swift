// Harnesses for the SSTPProtocol core. Tests/SSTPProtocolTests/SSTPProtocolHarnesses.swift is a symbolic link to
// this file: the replay tests (FuzzRegressionTests.swift there) run these same functions.
import NIOCore
import SSTPProtocol

// MARK: - sstp-http

/// `sstp-http`: the HTTP head parsers of the SSTP handshake, as the gateway and `sstp-dial` feed them: bytes as they
/// come out of TLS, in pieces of any size.
///
/// Invariants: the request parser (server) and the response parser (client) give the same verdict and leave the
/// same bytes (the client's first SSTP packets) in the buffer whether the input arrives at once or in small chunks;
/// an accepted request has a non-empty Host and a well-formed correlation ID; the refusal the server would send is a
/// response the client reads as that status; a request `sstp-dial` writes with the accepted Host and correlation ID
/// is accepted again with the same values.
public enum SSTPHTTPHarness {
    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        let chunks = fuzzChunks(input)
        for limits in [
            SSTPHTTPRequestParser.Limits(),
            SSTPHTTPRequestParser.Limits(maximumHeadLength: 200, maximumLineLength: 64, maximumHeaderCount: 3),
        ] {
            let whole = try parseRequest([input[...]], limits: limits)
            let chunked = try parseRequest(chunks, limits: limits)
            try fuzzRequire(whole.result == chunked.result, "request verdict depends on chunking")
            try fuzzRequire(whole.rest == chunked.rest, "request parser left different bytes depending on chunking")
            if whole.result == nil {
                try fuzzRequire(whole.rest.isEmpty, "incomplete request head but bytes left unconsumed")
            }
            switch whole.result {
            case .accepted(let request):
                try checkAccepted(request, consumed: input.count - whole.rest.count, limits: limits)
            case .refused(let refusal):
                try checkRefusalIsReadable(refusal)
            case nil:
                break
            }
        }

        let wholeResponse = try parseResponse([input[...]])
        let chunkedResponse = try parseResponse(chunks)
        try fuzzRequire(wholeResponse.result == chunkedResponse.result, "response verdict depends on chunking")
        try fuzzRequire(wholeResponse.rest == chunkedResponse.rest, "response parser left different bytes")
        if wholeResponse.result == nil {
            try fuzzRequire(wholeResponse.rest.isEmpty, "incomplete response head but bytes left unconsumed")
        }
    }

    private static func parseRequest(
        _ chunks: [ArraySlice<UInt8>],
        limits: SSTPHTTPRequestParser.Limits
    ) throws(FuzzInvariantViolation) -> (result: SSTPHTTPRequestParser.Result?, rest: [UInt8]) {
        var parser = SSTPHTTPRequestParser(limits: limits)
        for (index, chunk) in chunks.enumerated() {
            var buffer = ByteBuffer(bytes: chunk)
            if let result = parser.parse(&buffer) {
                return (result, Array(buffer.readableBytesView) + chunks[(index + 1)...].flatMap { $0 })
            }
            try fuzzRequire(buffer.readableBytes == 0, "request head incomplete but bytes left unconsumed")
        }
        return (nil, [])
    }

    private static func parseResponse(
        _ chunks: [ArraySlice<UInt8>]
    ) throws(FuzzInvariantViolation) -> (result: SSTPHTTPResponseParser.Result?, rest: [UInt8]) {
        var parser = SSTPHTTPResponseParser()
        for (index, chunk) in chunks.enumerated() {
            var buffer = ByteBuffer(bytes: chunk)
            if let result = parser.parse(&buffer) {
                return (result, Array(buffer.readableBytesView) + chunks[(index + 1)...].flatMap { $0 })
            }
            try fuzzRequire(buffer.readableBytes == 0, "response head incomplete but bytes left unconsumed")
        }
        return (nil, [])
    }

    private static func checkAccepted(
        _ request: SSTPHTTPRequest,
        consumed: Int,
        limits: SSTPHTTPRequestParser.Limits
    ) throws(FuzzInvariantViolation) {
        try fuzzRequire(!request.host.isEmpty, "accepted a request without Host")
        try fuzzRequire(consumed <= limits.maximumHeadLength, "accepted a head of \(consumed) bytes")
        try fuzzRequire(request.headers.count <= limits.maximumHeaderCount, "accepted \(request.headers.count) headers")
        let safe = { (s: String) in s.utf8.allSatisfy { $0 == 0x09 || (0x20...0x7E).contains($0) } }
        try fuzzRequire(safe(request.host), "Host with control or non-ASCII bytes")
        if let id = request.correlationID {
            let hex = id.utf8.filter { $0 != UInt8(ascii: "-") }
            try fuzzRequire(
                id.utf8.count == 36 && hex.count == 32
                    && hex.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0 & 0xDF) },
                "correlation ID \(id) is not a bare GUID"
            )
        }
        // What sstp-dial writes for this host and GUID must be accepted with the same values (short hosts only: a
        // longer one may not fit a header line once "Host: " is spelled out).
        guard request.host.utf8.count <= 255 else { return }
        let host = request.host
        var written = ByteBuffer()
        SSTPHTTPClientRequest.write(
            host: host,
            correlationID: request.correlationID ?? "00000000-0000-0000-0000-000000000000",
            into: &written
        )
        var parser = SSTPHTTPRequestParser()
        guard case .accepted(let again) = parser.parse(&written) else {
            throw FuzzInvariantViolation("the server refuses the request sstp-dial writes for host \(host)")
        }
        try fuzzRequire(again.host == host && written.readableBytes == 0, "client request did not round-trip")
        if let id = request.correlationID {
            try fuzzRequire(again.correlationID == id, "correlation ID did not round-trip")
        }
    }

    private static func checkRefusalIsReadable(_ refusal: SSTPHTTPRefusal) throws(FuzzInvariantViolation) {
        var buffer = ByteBuffer()
        refusal.response.write(into: &buffer)
        var client = SSTPHTTPResponseParser()
        let verdict = client.parse(&buffer)
        try fuzzRequire(
            verdict == .rejected(.status(refusal.status.code)) && buffer.readableBytes == 0,
            "the client reads our \(refusal.status) refusal as \(String(describing: verdict))"
        )
    }
}

// MARK: - sstp-packet

/// `sstp-packet`: the SSTP packet parser (MS-SSTP §2.2, §3.1.7.2) on a decrypted byte stream.
///
/// Invariants: the same packets and errors come out whether the stream arrives at once or in small chunks; after the
/// complete packets are taken the parser holds less than one maximum-size packet; every control message re-encodes
/// to its original length and decodes to itself; every data packet re-encodes and decodes to the same frame.
public enum SSTPPacketHarness {
    /// One thing the parser produced, comparable across runs.
    enum Event: Equatable {
        case data([UInt8])
        case control(SSTPControlMessage, length: Int)
        case invalid(SSTPMessageError.Code)
        case framing(SSTPFramingError.Code)
    }

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        let whole = try parse([input[...]])
        let chunked = try parse(fuzzChunks(input))
        try fuzzRequire(whole == chunked, "packets depend on how the stream is chunked")
        for event in whole {
            switch event {
            case .data(let frame):
                guard frame.count <= SSTPPacket.maximumDataPayloadLength else {
                    throw FuzzInvariantViolation("data packet of \(frame.count) bytes")
                }
                var buffer = ByteBuffer()
                let written = buffer.writeSSTPDataPacket(ByteBuffer(bytes: frame))
                try fuzzRequire(written == frame.count + 4, "data packet length")
                try fuzzRequire(try parse([Array(buffer.readableBytesView)[...]]) == [.data(frame)], "data round trip")
            case .control(let message, let length):
                try fuzzRequire(message.length == length, "control message length \(message.length) != \(length)")
                try checkRoundTrip(message)
            case .invalid, .framing:
                break
            }
        }
    }

    /// Re-encodes a control message and parses it back.
    static func checkRoundTrip(_ message: SSTPControlMessage) throws(FuzzInvariantViolation) {
        var buffer = ByteBuffer()
        let written = buffer.writeSSTPControlMessage(message)
        try fuzzRequire(written == message.length && written == buffer.readableBytes, "written length")
        let again = try parse([Array(buffer.readableBytesView)[...]])
        try fuzzRequire(again == [.control(message, length: written)], "\(message.messageType) did not round-trip")
    }

    static func parse(_ chunks: [ArraySlice<UInt8>]) throws(FuzzInvariantViolation) -> [Event] {
        var parser = SSTPPacketParser()
        var events: [Event] = []
        for chunk in chunks {
            parser.append(ByteBuffer(bytes: chunk))
            while true {
                do {
                    guard let packet = try parser.nextPacket() else { break }
                    switch packet {
                    case .data(let frame): events.append(.data(Array(frame.readableBytesView)))
                    case .control(let message): events.append(.control(message, length: message.length))
                    }
                } catch {
                    switch error {
                    case .invalidMessage(let messageError):
                        events.append(.invalid(messageError.code))
                        continue
                    case .framing(let framing):
                        events.append(.framing(framing.code))
                        // Every later call throws the same error.
                        var again: SSTPParseError?
                        do { _ = try parser.nextPacket() } catch { again = error }
                        guard case .framing(let repeated)? = again, repeated.code == framing.code else {
                            throw FuzzInvariantViolation("the parser did not repeat its framing error")
                        }
                        return events
                    }
                }
            }
            try fuzzRequire(
                parser.bufferedByteCount < SSTPPacket.maximumLength,
                "the parser holds \(parser.bufferedByteCount) bytes after taking every complete packet"
            )
        }
        return events
    }
}

// MARK: - sstp-state

/// `sstp-state`: the server state machine (the gateway) or the client state machine (`sstp-dial`), driven the way
/// their connection handlers drive them, by a program read from the input:
///
/// - byte 0: bit 0 chooses the client machine; bits 1–2 choose the hash protocols offered / supported.
/// - then operations (op byte, low 3 bits): 0–2 feed the next `n` bytes of stream to the packet parser and the
///   machine; 3 fires a timer; 4 reports inner authentication complete (only after Lower Layer Up, as PPP does);
///   5 feeds a Call Connected with a crypto binding computed for that key (server), or a Call Connect
///   Acknowledge (client); 6 disconnects; 7 ends PPP or the transport.
///
/// Invariants: every message a machine sends re-encodes and decodes to itself, and is one of the messages its role
/// may send; nothing follows `closeTransport`, and after it the machine is closed and quiet; the server reports
/// `callConnected` only after PPP authentication completed and a Call Connected arrived whose crypto binding
/// verifies with its nonce, certificate hash and that key; PPP data frames are relayed only after `callConnected`.
public enum SSTPStateHarness {
    static let certificateHashes = SSTPCertificateHashes(certificateDER: Array("fuzz certificate".utf8))
    static let serverNonce = [UInt8](repeating: 0x5A, count: 32)

    static let serverMessages: Set<SSTPMessageType> = [
        .callConnectAck, .callConnectNak, .callAbort, .callDisconnect, .callDisconnectAck, .echoRequest, .echoResponse,
    ]
    static let clientMessages: Set<SSTPMessageType> = [
        .callConnectRequest, .callConnected, .callAbort, .callDisconnect, .callDisconnectAck, .echoRequest,
        .echoResponse,
    ]

    /// Either machine behind one interface.
    struct Machine {
        var server: SSTPServerStateMachine?
        var client: SSTPClientStateMachine?

        var isClosed: Bool { self.server?.isClosed ?? self.client!.isClosed }
        mutating func receive(_ message: SSTPControlMessage) -> [SSTPAction] {
            self.server?.receive(message) ?? self.client!.receive(message)
        }
        mutating func receiveInvalidMessage(_ error: SSTPMessageError) -> [SSTPAction] {
            self.server?.receiveInvalidMessage(error) ?? self.client!.receiveInvalidMessage(error)
        }
        mutating func receiveDataPacket(_ frame: ByteBuffer) -> Bool {
            self.server?.receiveDataPacket(frame) ?? self.client!.receiveDataPacket(frame)
        }
        mutating func timerFired(_ timer: SSTPTimer) -> [SSTPAction] {
            self.server?.timerFired(timer) ?? self.client!.timerFired(timer)
        }
        mutating func disconnect() -> [SSTPAction] { self.server?.disconnect() ?? self.client!.disconnect() }
        mutating func pppLinkDown() -> [SSTPAction] { self.server?.pppLinkDown() ?? self.client!.pppLinkDown() }
        mutating func transportClosed() -> [SSTPAction] {
            self.server?.transportClosed() ?? self.client!.transportClosed()
        }
        func mayRelay(_ kind: SSTPPayloadKind) -> Bool { self.server?.mayRelay(kind) ?? self.client!.mayRelay(kind) }
    }

    struct Run {
        var machine: Machine
        let isClient: Bool
        let offered: SSTPHashProtocolBitmask
        var parser = SSTPPacketParser()
        var lowerLayerUp = false
        var closedByAction = false
        var callConnected = false
        var hlaks: [[UInt8]] = []
        var receivedBindings: [SSTPCryptoBinding] = []

        mutating func apply(_ actions: [SSTPAction], event: String) throws(FuzzInvariantViolation) {
            if self.closedByAction {
                // After closeTransport only timer cancellations may come (transportClosed cleans up timers).
                for action in actions {
                    guard case .cancelTimer = action else {
                        throw FuzzInvariantViolation("\(action) after closeTransport (\(event))")
                    }
                }
                return
            }
            for (index, action) in actions.enumerated() {
                switch action {
                case .send(let message):
                    let allowed = self.isClient ? SSTPStateHarness.clientMessages : SSTPStateHarness.serverMessages
                    try fuzzRequire(allowed.contains(message.messageType), "sent \(message.messageType) (\(event))")
                    try SSTPPacketHarness.checkRoundTrip(message)
                case .startTimer, .cancelTimer:
                    break
                case .lowerLayerUp:
                    try fuzzRequire(!self.lowerLayerUp, "lowerLayerUp twice")
                    self.lowerLayerUp = true
                case .callConnected(let hashProtocol):
                    try fuzzRequire(!self.callConnected, "callConnected twice")
                    try fuzzRequire(self.lowerLayerUp && !self.hlaks.isEmpty, "callConnected before authentication")
                    if !self.isClient {
                        try fuzzRequire(self.offered.contains(hashProtocol.bitmask), "\(hashProtocol) not offered")
                        let verified = self.receivedBindings.contains { binding in
                            self.hlaks.contains { hlak in
                                (try? binding.verify(
                                    nonce: SSTPStateHarness.serverNonce,
                                    offeredHashProtocols: self.offered,
                                    certificateHashes: SSTPStateHarness.certificateHashes,
                                    hlak: hlak
                                ).get()) == hashProtocol
                            }
                        }
                        try fuzzRequire(verified, "callConnected without a verified crypto binding (\(event))")
                    }
                    self.callConnected = true
                case .closeTransport:
                    try fuzzRequire(index == actions.count - 1, "actions after closeTransport (\(event))")
                    try fuzzRequire(self.machine.isClosed, "closeTransport but the machine is not closed")
                    self.closedByAction = true
                }
            }
            if self.machine.mayRelay(.pppData) {
                try fuzzRequire(self.callConnected, "PPP data relayed before callConnected (\(event))")
            }
        }

        /// Feeds stream bytes through the packet parser into the machine, as the connection handlers do.
        mutating func feed(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
            guard !self.machine.isClosed else { return }
            self.parser.append(ByteBuffer(bytes: bytes))
            while true {
                let packet: SSTPPacket?
                do {
                    packet = try self.parser.nextPacket()
                } catch {
                    switch error {
                    case .invalidMessage(let messageError):
                        try self.apply(self.machine.receiveInvalidMessage(messageError), event: "invalid message")
                        continue
                    case .framing:
                        // The handlers drop the connection without a word (§3.1.5.1).
                        try self.apply(self.machine.transportClosed(), event: "framing error")
                        return
                    }
                }
                guard let packet else { return }
                switch packet {
                case .data(let frame):
                    let relayed = self.machine.receiveDataPacket(frame)
                    if relayed, SSTPPayloadKind(pppFrame: frame) == .pppData {
                        try fuzzRequire(self.callConnected, "PPP data frame relayed before callConnected")
                    }
                case .control(let message):
                    if case .cryptoBinding(let binding)? = message.attributes.first,
                        message.messageType == .callConnected, self.receivedBindings.count < 8
                    {
                        self.receivedBindings.append(binding)
                    }
                    try self.apply(self.machine.receive(message), event: "\(message.messageType)")
                }
            }
        }
    }

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        var reader = FuzzReader(input)
        let setup = reader.byte()
        let isClient = setup & 1 == 1
        let choices: [SSTPHashProtocolBitmask] = [[.sha1, .sha256], [.sha256], [.sha1], [.sha1, .sha256]]
        let offered = choices[Int(setup >> 1) & 3]
        var machine = Machine()
        if isClient {
            machine.client = SSTPClientStateMachine(
                configuration: .init(serverCertificateHashes: certificateHashes, supportedHashProtocols: offered)
            )
        } else {
            machine.server = SSTPServerStateMachine(
                configuration: .init(certificateHashes: certificateHashes, offeredHashProtocols: offered),
                nonce: serverNonce
            )
        }
        var run = Run(machine: machine, isClient: isClient, offered: offered)
        let first = isClient ? run.machine.client!.httpsEstablished() : run.machine.server!.httpsEstablished()
        try run.apply(first, event: "httpsEstablished")

        var operations = 0
        while !reader.isAtEnd && operations < 256 {
            operations += 1
            let op = reader.byte()
            switch op & 7 {
            case 0, 1, 2:
                try run.feed(reader.take(Int(reader.byte())))
            case 3:
                let timer = SSTPTimer.allCases[Int(op >> 3) % SSTPTimer.allCases.count]
                try run.apply(run.machine.timerFired(timer), event: "timer \(timer)")
            case 4:
                // PPP authenticates only after Lower Layer Up, and the handlers report it once.
                guard run.lowerLayerUp, run.hlaks.count < 2 else { continue }
                let hlak = reader.fixed(32)
                run.hlaks.append(hlak)
                let actions: [SSTPAction]
                if isClient {
                    actions = run.machine.client!.innerAuthenticationCompleted(hlak: hlak)
                } else {
                    let legacy: [UInt8]? = op & 8 == 0 ? nil : reader.fixed(32)
                    if let legacy { run.hlaks.append(legacy) }
                    actions = run.machine.server!.innerAuthenticationCompleted(hlak: hlak, legacyHLAK: legacy)
                }
                try run.apply(actions, event: "inner authentication")
            case 5:
                var buffer = ByteBuffer()
                if isClient {
                    let protocols = SSTPHashProtocolBitmask(rawValue: reader.byte())
                    let request = SSTPCryptoBindingRequest(hashProtocols: protocols, nonce: reader.fixed(32))
                    buffer.writeSSTPControlMessage(
                        SSTPControlMessage(.callConnectAck, attributes: [.cryptoBindingRequest(request)]))
                } else {
                    // A client that knows the key (or the last key handed over), answering our nonce.
                    let hashProtocol: SSTPHashProtocol = op & 8 == 0 ? .sha256 : .sha1
                    let hlak = run.hlaks.last ?? [UInt8](repeating: 0, count: 32)
                    let binding = SSTPCryptoBinding.make(
                        hashProtocol: hashProtocol, nonce: serverNonce, certificateHashes: certificateHashes,
                        hlak: hlak)
                    buffer.writeSSTPControlMessage(.callConnected(binding))
                }
                try run.feed(Array(buffer.readableBytesView))
            case 6:
                try run.apply(run.machine.disconnect(), event: "disconnect")
            default:
                if op & 8 == 0 {
                    try run.apply(run.machine.pppLinkDown(), event: "PPP link down")
                } else {
                    try run.apply(run.machine.transportClosed(), event: "transport closed")
                    run.closedByAction = true
                }
            }
        }
    }
}
