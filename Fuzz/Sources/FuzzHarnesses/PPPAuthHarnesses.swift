// Harnesses for the PPPAuth core. Tests/PPPAuthTests/PPPAuthHarnesses.swift is a symbolic link to this file: the
// replay tests (FuzzRegressionTests.swift there) run these same functions.
import NIOCore
import PPPAuth

// MARK: - mschapv2

/// `mschapv2`: MS-CHAPv2 (RFC 2759) as the gateway authenticates (`MSCHAPv2Authenticator`) or `sstp-dial` is
/// authenticated (`MSCHAPv2Peer`), driven by a program read from the input:
///
/// - byte 0: bit 0 the peer role.
/// - authenticator: 16 bytes of challenge and an identifier, then operations (op byte, low 3 bits): 0–2 a CHAP
///   packet from the far end (16-bit length, then bytes; at most 4087, what one PPP frame carries); 3 the Response
///   an honest client with the right password computes for our last Challenge (or the Failure's `C=`); 4 the
///   credential store's answer to a pending lookup (the right hash, a wrong one, or unknown user); 5 a timer.
/// - peer: operations 0–2 a CHAP packet; 3 a Challenge (identifier, 16 bytes); 4 the Success an honest server
///   sends for our last Response.
///
/// Invariants: every packet sent re-encodes and decodes to itself, and every packet read re-encodes and decodes to
/// the same value; the authenticator succeeds only with a known user's hash, and always succeeds for an honest
/// client's Response checked against the right hash; its Success is accepted by that client, and both sides then
/// hold the same HLAK (MS-SSTP §3.2.5.2); the peer accepts an honest Success for its last Response.
public enum MSCHAPv2Harness {
    static let username = "alice"
    static let password = "correct horse"
    static let passwordHash = MSCHAPv2Crypto.ntPasswordHash(password: password)
    static let peerChallenge = [UInt8](0x10..<0x20)
    /// What one PPP frame of at most 4091 bytes leaves for the CHAP packet.
    static let maximumPacketLength = 4087

    public static func run(_ input: [UInt8]) throws(FuzzInvariantViolation) {
        var reader = FuzzReader(input)
        if reader.byte() & 1 == 1 {
            try runPeer(&reader)
        } else {
            try runAuthenticator(&reader)
        }
    }

    /// Reads a packet from the wire the way the machines do, and checks that what was read round-trips.
    static func checkReadable(_ bytes: [UInt8]) throws(FuzzInvariantViolation) {
        var buffer = ByteBuffer(bytes: bytes)
        guard let packet = try? buffer.readMSCHAPv2Packet() else { return }
        try checkRoundTrip(packet)
    }

    static func checkRoundTrip(_ packet: MSCHAPv2Packet) throws(FuzzInvariantViolation) {
        var buffer = ByteBuffer()
        buffer.writeMSCHAPv2Packet(packet)
        let again = try? buffer.readMSCHAPv2Packet()
        try fuzzRequire(again == packet, "MS-CHAPv2 packet did not round-trip: \(packet)")
    }

    // MARK: Authenticator

    static func runAuthenticator(_ reader: inout FuzzReader) throws(FuzzInvariantViolation) {
        var authenticator = MSCHAPv2Authenticator(name: "sstpd")
        var lastChallenge: MSCHAPv2Challenge?
        var pending: (username: String, honest: Bool)?
        var honestPeer: MSCHAPv2Peer?
        var honestResponseIdentifier: UInt8?
        var finished = false

        func apply(_ actions: [MSCHAPv2Authenticator.Action], lookedUp: (hash: [UInt8]?, honest: Bool)?)
            throws(FuzzInvariantViolation)
        {
            var succeeded = false
            for action in actions {
                switch action {
                case .send(let packet):
                    try checkRoundTrip(packet)
                    switch packet {
                    case .challenge(let challenge):
                        lastChallenge = challenge
                    case .failure(let failure):
                        if failure.retryAllowed, let next = failure.challenge {
                            // RFC 2759 §6: the retry answers C= with the next Identifier.
                            lastChallenge = MSCHAPv2Challenge(
                                identifier: failure.identifier &+ 1, challenge: next, name: [])
                        }
                    case .success(let success):
                        // After checking an honest client's Response, that client must accept our Success and
                        // derive the same HLAK. (A Success repeated for a retransmitted Response is not checked.)
                        guard lookedUp?.honest == true, let answered = honestResponseIdentifier,
                            success.identifier == answered, var peer = honestPeer
                        else { break }
                        var wire = ByteBuffer()
                        wire.writeMSCHAPv2Packet(packet)
                        let peerActions = peer.receive(wire)
                        honestPeer = peer
                        guard case .succeeded(let peerResult)? = peerActions.first else {
                            throw FuzzInvariantViolation("the honest client rejects our Success: \(peerActions)")
                        }
                        guard case .succeeded(let result)? = actions.last else {
                            throw FuzzInvariantViolation("Success sent without .succeeded")
                        }
                        try fuzzRequire(peerResult.hlak == result.hlak, "client and server HLAKs differ")
                    case .response:
                        throw FuzzInvariantViolation("the authenticator sent a Response")
                    }
                case .lookUpCredentials(let name):
                    try fuzzRequire(pending == nil, "a second lookup while one is pending")
                    pending = (name, false)
                case .succeeded(let result):
                    guard let lookedUp, let hash = lookedUp.hash else {
                        throw FuzzInvariantViolation("succeeded without a known user's hash")
                    }
                    try fuzzRequire(hash == passwordHash, "succeeded with a wrong hash")
                    try fuzzRequire(result.hlak.count == 32, "HLAK of \(result.hlak.count) bytes")
                    succeeded = true
                    finished = true
                case .failed:
                    finished = true
                case .startTimer, .cancelTimer:
                    break
                }
            }
            if let lookedUp, lookedUp.honest, lookedUp.hash == passwordHash {
                try fuzzRequire(succeeded, "an honest client's Response with the right hash did not succeed")
            }
        }

        try apply(authenticator.start(challenge: reader.fixed(16), identifier: reader.byte()), lookedUp: nil)
        var operations = 0
        while !reader.isAtEnd && operations < 256 {
            operations += 1
            let op = reader.byte()
            switch op & 7 {
            case 0, 1, 2:
                let bytes = reader.lengthPrefixed(maximum: maximumPacketLength)
                try checkReadable(bytes)
                try apply(authenticator.receive(ByteBuffer(bytes: bytes)), lookedUp: nil)
            case 3:
                guard let challenge = lastChallenge, !finished else { continue }
                var peer = MSCHAPv2Peer(username: username, password: password, peerChallenge: peerChallenge)
                guard case .send(let response)? = peer.receive(.challenge(challenge)).first else {
                    throw FuzzInvariantViolation("the honest client did not answer a Challenge")
                }
                honestPeer = peer
                honestResponseIdentifier = response.identifier
                let wasPending = pending != nil
                var wire = ByteBuffer()
                wire.writeMSCHAPv2Packet(response)
                try apply(authenticator.receive(wire), lookedUp: nil)
                if !wasPending, pending != nil { pending?.honest = true }
            case 4:
                guard let lookup = pending else { continue }
                pending = nil
                let hash: [UInt8]?
                switch op >> 3 & 3 {
                case 0, 1: hash = lookup.username == username ? passwordHash : nil
                case 2: hash = [UInt8](repeating: 0x77, count: 16)
                default: hash = nil
                }
                let actions = authenticator.credentialsLookedUp(ntPasswordHash: hash, nextChallenge: reader.fixed(16))
                try apply(actions, lookedUp: (hash, lookup.honest))
            default:
                let timer: MSCHAPv2Authenticator.TimerID = op & 8 == 0 ? .challengeRetransmit : .retryWait
                try apply(authenticator.timerFired(timer), lookedUp: nil)
            }
        }
    }

    // MARK: Peer

    static func runPeer(_ reader: inout FuzzReader) throws(FuzzInvariantViolation) {
        var peer = MSCHAPv2Peer(username: username, password: password, peerChallenge: peerChallenge)
        var lastResponse: (response: MSCHAPv2Response, challenge: [UInt8])?
        var lastChallenge: [UInt8]?
        var done = false

        func apply(_ actions: [MSCHAPv2Peer.Action], honestSuccess: Bool) throws(FuzzInvariantViolation) {
            var succeeded = false
            for action in actions {
                switch action {
                case .send(let packet):
                    try checkRoundTrip(packet)
                    guard case .response(let response) = packet, let challenge = lastChallenge else {
                        throw FuzzInvariantViolation("the peer sent \(packet)")
                    }
                    lastResponse = (response, challenge)
                case .succeeded(let result):
                    try fuzzRequire(!done, "the peer finished twice")
                    try fuzzRequire(result.hlak.count == 32, "HLAK of \(result.hlak.count) bytes")
                    succeeded = true
                    done = true
                case .failed:
                    try fuzzRequire(!done, "the peer finished twice")
                    done = true
                }
            }
            if honestSuccess {
                try fuzzRequire(succeeded, "the peer rejects an honest Success: \(actions)")
            }
        }

        var operations = 0
        while !reader.isAtEnd && operations < 256 {
            operations += 1
            let op = reader.byte()
            switch op & 7 {
            case 0, 1, 2:
                let bytes = reader.lengthPrefixed(maximum: maximumPacketLength)
                try checkReadable(bytes)
                var buffer = ByteBuffer(bytes: bytes)
                if case .challenge(let challenge)? = try? buffer.readMSCHAPv2Packet() {
                    lastChallenge = challenge.challenge
                }
                try apply(peer.receive(ByteBuffer(bytes: bytes)), honestSuccess: false)
            case 3:
                let identifier = reader.byte()
                let challenge = reader.fixed(16)
                lastChallenge = challenge
                let packet = MSCHAPv2Packet.challenge(
                    MSCHAPv2Challenge(identifier: identifier, challenge: challenge, name: Array("sstpd".utf8)))
                var wire = ByteBuffer()
                wire.writeMSCHAPv2Packet(packet)
                try apply(peer.receive(wire), honestSuccess: false)
            default:
                guard let (response, challenge) = lastResponse else { continue }
                let success = MSCHAPv2Success(
                    identifier: response.identifier,
                    authenticatorResponse: MSCHAPv2Crypto.generateAuthenticatorResponse(
                        passwordHash: passwordHash, ntResponse: response.ntResponse, peerChallenge: peerChallenge,
                        authenticatorChallenge: challenge, userName: Array(username.utf8)),
                    message: op & 8 == 0 ? nil : "Access granted")
                var wire = ByteBuffer()
                wire.writeMSCHAPv2Packet(.success(success))
                try apply(peer.receive(wire), honestSuccess: !done)
            }
        }
    }
}
