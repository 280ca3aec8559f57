// Harnesses for the EAP core. Tests/EAPTests/EAPHarnesses.swift is a symbolic link to this file: the replay tests
// (FuzzRegressionTests.swift there) run these same functions.
import EAP

/// What one PPP frame of at most 4091 bytes leaves for the EAP packet.
let eapMaximumPacketLength = 4087

/// Reads an EAP packet as the machines do (`EAPPacket(bytes:)`) and checks that what was read round-trips.
func eapCheckReadable(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
    guard let packet = try? EAPPacket(bytes: bytes) else { return }
    try eapCheckRoundTrip(packet)
    try fuzzRequire(packet.length <= bytes.count, "read a packet longer than its bytes")
}

func eapCheckRoundTrip(_ packet: EAPPacket) throws(FuzzInvariantViolation) {
    let again = try? EAPPacket(bytes: packet.bytes)
    try fuzzRequire(again == packet, "EAP packet did not round-trip")
    try fuzzRequire(packet.bytes.count == packet.length, "EAP Length field \(packet.length) != \(packet.bytes.count)")
}

// MARK: - eap

/// `eap`: EAP (RFC 3748) as the gateway authenticates (`EAPAuthenticator`) or `sstp-dial` is authenticated
/// (`EAPPeer`), driven by a program read from the input; the method (EAP-TLS) is played by the program, keeping the
/// contract the adapters keep (answer a lookup once, a method step once).
///
/// - byte 0: bit 0 the peer role; bit 1 the peer also supports EAP-MSCHAPv2.
/// - authenticator: a first Identifier, then operations (op byte, low 3 bits): 0–2 an EAP packet from the far end
///   (16-bit length, then bytes; at most 4087); 3 the policy's answer to a pending lookup; 4 the method's next step
///   (a Request, success or failure); 5 a timer; 6 an honest peer's Response to our last Request (8-bit length and
///   data: the Type-Data of a method Response or of a Nak).
/// - peer: 0–2, 5, 6 a packet; 3 the method's Response to the Request just received; 4, 7 the method completing
///   with its final Response (as `sstp-dial` does, a Request is answered before the next packet is read).
///
/// Invariants: every packet sent re-encodes and decodes to itself, and so does every packet read; a new Request
/// carries a new Identifier and a retransmission the same one (§4.1); Success and Failure carry the Identifier of
/// the Response they answer (§4.2); the authenticator starts only an allowed method and reports success only after
/// the method succeeded; the peer hands the method only Requests of a supported type and reports success only after
/// the method completed, and reports an outcome once.
public enum EAPHarness {
    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        var reader = FuzzReader(input)
        let setup = reader.byte()
        if setup & 1 == 1 {
            try runPeer(&reader, supported: setup & 2 == 0 ? [.tls] : [.tls, .msCHAPv2])
        } else {
            try runAuthenticator(&reader)
        }
    }

    enum Pending {
        case idle
        case policy
        case methodStart
        case methodResponse
    }

    static func runAuthenticator(_ reader: inout FuzzReader) throws(FuzzInvariantViolation) {
        var authenticator = EAPAuthenticator()
        var pending = Pending.idle
        var allowed: [EAPType] = []
        var lastRequest: EAPPacket?
        var methodSucceededCalled = false
        var finished = false

        func apply(_ actions: [EAPAuthenticator.Action], event: String) throws(FuzzInvariantViolation) {
            for action in actions {
                switch action {
                case .send(let packet):
                    try eapCheckRoundTrip(packet)
                    switch packet.code {
                    case .request:
                        if let last = lastRequest, last != packet {
                            try fuzzRequire(packet.identifier != last.identifier, "a new Request reuses Identifier")
                        }
                        lastRequest = packet
                    case .success, .failure:
                        try fuzzRequire(
                            packet.identifier == lastRequest?.identifier,
                            "\(packet.code) Identifier \(packet.identifier) does not answer the last Request (\(event))"
                        )
                    case .response:
                        throw FuzzInvariantViolation("the authenticator sent a Response")
                    }
                case .lookUpPolicy:
                    try fuzzRequire(pending == .idle, "lookup while \(pending)")
                    pending = .policy
                case .startMethod(let method, _):
                    try fuzzRequire(allowed.contains(method), "started \(method), allowed \(allowed)")
                    pending = .methodStart
                case .methodResponse:
                    try fuzzRequire(pending == .idle, "method response while \(pending)")
                    pending = .methodResponse
                case .succeeded:
                    try fuzzRequire(methodSucceededCalled && !finished, "succeeded without the method (\(event))")
                    finished = true
                case .failed:
                    try fuzzRequire(!finished, "finished twice")
                    finished = true
                case .startTimer, .cancelTimer:
                    break
                }
            }
        }

        try apply(authenticator.start(identifier: reader.byte()), event: "start")
        var operations = 0
        while !reader.isAtEnd && operations < 256 {
            operations += 1
            let op = reader.byte()
            switch op & 7 {
            case 0, 1, 2:
                let bytes = reader.lengthPrefixed(maximum: eapMaximumPacketLength)
                try eapCheckReadable(bytes)
                try apply(authenticator.receive(bytes), event: "packet")
            case 3:
                guard pending == .policy else { continue }
                pending = .idle
                let choices: [[EAPType]] = [[.tls], [.tls, .msCHAPv2], [], [.msCHAPv2, .tls]]
                allowed = choices[Int(op >> 3) % choices.count]
                try apply(authenticator.policyLookedUp(allowedMethods: allowed), event: "policy")
            case 4:
                switch (pending, op >> 3 & 3) {
                case (.methodStart, _), (.methodResponse, 0), (.methodResponse, 1):
                    pending = .idle
                    let typeData = reader.take(Int(reader.byte()))
                    try apply(authenticator.sendMethodRequest(typeData: typeData), event: "method request")
                case (.methodResponse, 2):
                    pending = .idle
                    methodSucceededCalled = true
                    try apply(authenticator.methodSucceeded(), event: "method succeeded")
                case (.methodResponse, _):
                    pending = .idle
                    try apply(authenticator.methodFailed("fuzz"), event: "method failed")
                default:
                    continue
                }
            case 5:
                try apply(authenticator.timerFired(.retransmit), event: "timer")
            default:
                let data = reader.take(Int(reader.byte()))
                guard let request = lastRequest, let type = request.type else { continue }
                let response: EAPPacket
                switch (type, op >> 3 & 3) {
                case (.identity, _):
                    response = .response(identifier: request.identifier, type: .identity, typeData: Array("alice".utf8))
                case (_, 0):
                    response = .response(identifier: request.identifier, type: .nak, typeData: data)
                default:
                    response = .response(identifier: request.identifier, type: type, typeData: data)
                }
                try apply(authenticator.receive(response.bytes), event: "honest response")
            }
        }
    }

    static func runPeer(_ reader: inout FuzzReader, supported: [EAPType]) throws(FuzzInvariantViolation) {
        var peer = EAPPeer(identity: "alice", supportedMethods: supported)
        var pendingType: EAPType?
        var completed = false
        var done = false

        func apply(_ actions: [EAPPeer.Action], event: String) throws(FuzzInvariantViolation) {
            try fuzzRequire(!done || actions.isEmpty, "actions after the outcome (\(event))")
            for action in actions {
                switch action {
                case .send(let packet):
                    try eapCheckRoundTrip(packet)
                    try fuzzRequire(packet.code == .response, "the peer sent \(packet.code)")
                case .methodRequest(let type, _):
                    try fuzzRequire(supported.contains(type), "method request of unsupported \(type)")
                    pendingType = type
                case .succeeded:
                    try fuzzRequire(completed, "succeeded before the method completed")
                    done = true
                case .failed:
                    done = true
                }
            }
        }

        var operations = 0
        while !reader.isAtEnd && operations < 256 {
            operations += 1
            let op = reader.byte()
            switch op & 7 {
            case 0, 1, 2, 5, 6:
                // `sstp-dial` answers a method Request at once, before reading on; one left unanswered was dropped
                // (the TLS method failed).
                pendingType = nil
                let bytes = reader.lengthPrefixed(maximum: eapMaximumPacketLength)
                try eapCheckReadable(bytes)
                try apply(peer.receive(bytes), event: "packet")
            case 3:
                guard let type = pendingType else { continue }
                pendingType = nil
                let data = reader.take(Int(reader.byte()))
                try apply(peer.sendMethodResponse(type: type, typeData: data), event: "response")
            default:
                // The method's last step: keys derived, then its final Response.
                guard let type = pendingType else { continue }
                pendingType = nil
                peer.methodCompleted()
                completed = true
                let data = reader.take(Int(reader.byte()))
                try apply(peer.sendMethodResponse(type: type, typeData: data), event: "final")
            }
        }
    }
}

// MARK: - eap-tls

/// `eap-tls`: EAP-TLS fragmentation and reassembly (RFC 5216 §2.1.5, §3.1; `EAPTLSFragmentation`), on both sides,
/// driven by a program read from the input:
///
/// - byte 0: bit 0 accept Start (the peer side); byte 1 the fragment size (0: 1014 TLS Data octets, 1: one,
///   otherwise 4 × the byte); byte 2 the reassembly cap (64 KiB, 16 KiB, 1 KiB, 64 or 1 octet).
/// - then operations (op byte, low 2 bits): 0–1 a Type-Data from the far end (16-bit length, then bytes); 2 start
///   sending a TLS message (padded record, up to 16 KiB); 3 a message fragmented by one instance and reassembled by
///   another, ACK by ACK.
///
/// Invariants: a reassembled message is never empty and never longer than the cap; an ACK is the one-octet
/// Type-Data `00`; the fragments we send carry at most the fragment size, L (with the total) on the first of several
/// and M on all but the last, and concatenate to the message; whatever one side fragments, the other reassembles
/// unchanged.
public enum EAPTLSHarness {
    static let caps = [65_536, 16_384, 1024, 64, 1]

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        var reader = FuzzReader(input)
        let acceptsStart = reader.byte() & 1 == 1
        let fragmentSize = Self.fragmentSize(reader.byte())
        let cap = caps[Int(reader.byte()) % caps.count]
        var side = EAPTLSFragmentation(
            maximumFragmentSize: fragmentSize, maximumMessageLength: cap, acceptsStart: acceptsStart)
        var outgoing: (message: [UInt8], sent: [UInt8], done: Bool)?

        var operations = 0
        while !reader.isAtEnd && operations < 256 {
            operations += 1
            let op = reader.byte()
            switch op & 3 {
            case 0, 1:
                let typeData = reader.lengthPrefixed(maximum: eapMaximumPacketLength - 5)
                let received: EAPTLSFragmentation.Received
                do {
                    received = try side.receive(typeData)
                } catch {
                    continue
                }
                switch received {
                case .sendNextFragment(let next):
                    guard var current = outgoing, !current.done else {
                        throw FuzzInvariantViolation("a next fragment with nothing outstanding")
                    }
                    let fragment = try parseOwn(next, fragmentSize: fragmentSize)
                    try fuzzRequire(fragment.tlsMessageLength == nil, "L on a later fragment")
                    current.sent += fragment.tlsData
                    current.done = !fragment.flags.contains(.moreFragments)
                    try fuzzRequire(current.done == !side.hasPendingFragments, "M flag and pending state disagree")
                    if current.done {
                        try fuzzRequire(current.sent == current.message, "fragments do not make up the message")
                    }
                    outgoing = current
                case .sendAcknowledgement(let ack):
                    try fuzzRequire(ack == [0x00], "ACK Type-Data \(ack)")
                case .message(let message):
                    try fuzzRequire(!message.isEmpty, "empty message")
                    try fuzzRequire(message.count <= cap, "reassembled \(message.count) octets, cap \(cap)")
                case .acknowledgement:
                    break
                case .start:
                    try fuzzRequire(acceptsStart, "Start accepted by the authenticator side")
                }
            case 2:
                guard !side.hasPendingFragments else { continue }
                let message = reader.padded(maximum: 16_384)
                let first = try parseOwn(side.send(message), fragmentSize: fragmentSize)
                if message.count > fragmentSize {
                    try fuzzRequire(
                        first.tlsMessageLength == UInt32(message.count) && first.flags.contains(.moreFragments),
                        "first of several fragments without L and M")
                } else {
                    try fuzzRequire(first.flags.isEmpty && first.tlsData == message, "unfragmented message")
                }
                outgoing = (message, first.tlsData, !side.hasPendingFragments)
            default:
                try loopback(reader.padded(maximum: 16_384), fragmentSize: Self.fragmentSize(reader.byte()))
            }
        }
    }

    /// 0 is the usual size (an EAP MTU of 1024 less 10 octets of headers); otherwise 4 × the byte, 1 for 1.
    static func fragmentSize(_ byte: UInt8) -> Int {
        switch byte {
        case 0: 1014
        case 1: 1
        default: Int(byte) * 4
        }
    }

    static func parseOwn(_ typeData: [UInt8], fragmentSize: Int) throws(FuzzInvariantViolation) -> EAPTLSFragment {
        guard let fragment = try? EAPTLSFragment(typeData: typeData) else {
            throw FuzzInvariantViolation("we sent a Type-Data we cannot parse")
        }
        try fuzzRequire(fragment.tlsData.count <= fragmentSize, "fragment of \(fragment.tlsData.count) octets")
        try fuzzRequire(fragment.typeData == typeData, "Type-Data did not round-trip")
        return fragment
    }

    /// One side fragments `message`, the other reassembles it, ACK by ACK.
    static func loopback(_ message: [UInt8], fragmentSize: Int) throws(FuzzInvariantViolation) {
        var sender = EAPTLSFragmentation(maximumFragmentSize: fragmentSize, acceptsStart: false)
        var receiver = EAPTLSFragmentation(maximumFragmentSize: 1014, maximumMessageLength: 16_384, acceptsStart: true)
        var wire = sender.send(message)
        var rounds = 0
        while true {
            rounds += 1
            try fuzzRequire(rounds <= message.count / fragmentSize + 2, "too many fragments")
            let received: EAPTLSFragmentation.Received
            do {
                received = try receiver.receive(wire)
            } catch {
                throw FuzzInvariantViolation("the receiver refused our fragment: \(error)")
            }
            switch received {
            case .sendAcknowledgement(let ack):
                let answer: EAPTLSFragmentation.Received
                do {
                    answer = try sender.receive(ack)
                } catch {
                    throw FuzzInvariantViolation("the sender refused the ACK: \(error)")
                }
                guard case .sendNextFragment(let next) = answer else {
                    throw FuzzInvariantViolation("the sender did not answer an ACK with a fragment")
                }
                wire = next
            case .message(let reassembled):
                try fuzzRequire(reassembled == message, "reassembled message differs")
                try fuzzRequire(!sender.hasPendingFragments && !receiver.isReassembling, "state left over")
                return
            case .acknowledgement:
                try fuzzRequire(message.isEmpty, "a non-empty message arrived as an acknowledgement")
                return
            case .sendNextFragment, .start:
                throw FuzzInvariantViolation("unexpected \(received)")
            }
        }
    }
}
