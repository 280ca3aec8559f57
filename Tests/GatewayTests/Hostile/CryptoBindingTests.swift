import AddressPool
import Foundation
import NIOCore
import SSTPProtocol
import SSTPServer
import Synchronization
import Testing

/// Call Connected messages whose crypto binding is wrong (MS-SSTP §3.3.5.2.3): the client knows the password and
/// completes MS-CHAPv2, so only the binding is at fault. Each must be refused with the abort procedure, Status Info
/// (SSTP_ATTRIB_CRYPTO_BINDING, ATTRIB_STATUS_VALUE_NOT_SUPPORTED), and no packet of the session may reach the
/// network.
@Suite("Hostile clients: wrong crypto bindings", .serialized)
struct HostileCryptoBindingTests {
    enum Tamper: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case wrongNonce
        case wrongCertificateHash
        case wrongCompoundMAC
        /// A Compound MAC keyed with another HLAK (the MS-CHAPv2 keys of another password).
        case compoundMACWithAnotherKey
        /// SHA-1 while the gateway offered SHA-256 only.
        case hashProtocolNotOffered
        /// Both hash bits set.
        case twoHashProtocols
        /// The exact Call Connected of another live session (another TLS connection, another nonce).
        case replayedFromAnotherSession
        /// A Call Connected sent before authentication (held, then verified when the HLAK is known).
        case sentBeforeAuthentication

        var testDescription: String { rawValue }

        /// What the server's log says (the check that failed first, in the order of §3.3.5.2.3).
        var failure: String {
            switch self {
            case .wrongNonce, .replayedFromAnotherSession, .sentBeforeAuthentication: "nonce mismatch"
            case .wrongCertificateHash: "certificate hash mismatch"
            case .wrongCompoundMAC, .compoundMACWithAnotherKey: "compound MAC mismatch"
            case .hashProtocolNotOffered, .twoHashProtocols: "hash protocol not offered"
            }
        }
    }

    static let refusal = SSTPStatusInfo(attributeID: .cryptoBinding, status: .valueNotSupported)

    /// The correct binding with one thing changed; the Compound MAC is recomputed over the changed message unless
    /// the MAC itself is what is wrong, so exactly one check fails.
    static func binding(_ tamper: Tamper, _ session: HostileSession) -> SSTPCryptoBinding {
        var binding = SSTPCryptoBinding.make(
            hashProtocol: .sha256, nonce: session.nonce, certificateHashes: session.certificateHashes, hlak: session.hlak)
        func remac(_ hlak: [UInt8] = session.hlak) { binding.compoundMAC = binding.computeCompoundMAC(hlak: hlak)! }
        switch tamper {
        case .wrongNonce:
            binding.nonce[7] ^= 0x01
            remac()
        case .wrongCertificateHash:
            binding.certificateHash[0] ^= 0xFF
            remac()
        case .wrongCompoundMAC:
            binding.compoundMAC[31] ^= 0x80
        case .compoundMACWithAnotherKey:
            remac(session.hlak.map { $0 ^ 0x5A })
        case .hashProtocolNotOffered:
            binding = SSTPCryptoBinding.make(
                hashProtocol: .sha1, nonce: session.nonce, certificateHashes: session.certificateHashes, hlak: session.hlak)
        case .twoHashProtocols:
            binding.hashProtocol = [.sha1, .sha256]
        case .replayedFromAnotherSession, .sentBeforeAuthentication:
            break
        }
        return binding
    }

    @Test("a Call Connected with a wrong crypto binding is aborted and nothing passes", arguments: Tamper.allCases)
    func wrongBinding(_ tamper: Tamper) async throws {
        let gateway = try await InProcessGateway.start {
            if tamper == .hashProtocolNotOffered { $0.hashProtocols = ["sha256"] }
        }
        async let during = legitimateClientProblem(gateway)

        // The victim of the replay: a correct session whose Call Connected the attacker captured.
        var victim: (HostileConnection, HostileSession, SSTPControlMessage)?
        if tamper == .replayedFromAnotherSession {
            let connection = try await HostileConnection.open(port: gateway.port, group: gateway.group)
            try await connection.startSSTP()
            let session = try await connection.authenticate(user: "alice", password: "alice-password")
            let message = session.callConnected()
            try await connection.send(message)
            victim = (connection, session, message)
        }

        let hostile = try await HostileConnection.open(port: gateway.port, from: "127.0.0.2", group: gateway.group)
        try await hostile.startSSTP()
        let user = tamper == .replayedFromAnotherSession ? ("bob", "bob-password") : ("alice", "alice-password")
        var abort: SSTPControlMessage?
        if tamper == .sentBeforeAuthentication {
            // Held until MS-CHAPv2 finishes, then verified: the abort arrives instead of IPCP completing.
            let zeros = [UInt8](repeating: 0, count: 32)
            let early = SSTPControlMessage.callConnected(
                SSTPCryptoBinding(hashProtocol: .sha256, nonce: zeros, certificateHash: zeros, compoundMAC: zeros))
            do {
                _ = try await hostile.authenticate(user: user.0, password: user.1, early: early)
                abort = await hostile.nextControl()
            } catch let error as UnexpectedControlMessage {
                abort = error.message
            }
        } else {
            let session = try await hostile.authenticate(user: user.0, password: user.1)
            let message = victim?.2 ?? .callConnected(Self.binding(tamper, session))
            // The Call Connected and, behind it, a data packet that must not reach the network.
            var out = ByteBuffer()
            out.writeSSTPControlMessage(message)
            out.writeSSTPDataPacket(
                pppProtocol: 0x0021, payload: echoRequest(from: session.address.value, sequence: 1))
            try await hostile.send(out)
            abort = await hostile.nextControl()
        }
        #expect(abort == .callAbort(Self.refusal))
        try? await hostile.send(.callAbort(nil))
        #expect(await hostile.controlMessagesUntilClosed() == [])
        let problem = await during
        #expect(problem == nil, "during the attack: \(problem ?? "")")

        // Counted, in the metrics and logged with the check that failed; the lease went back to the pool.
        #expect(gateway.server.counters.callAborts.load(ordering: .relaxed) == 1)
        #expect(failures(gateway, "crypto_binding") == 1)
        #expect(gateway.logs.contains("aborting the call", "reason", "crypto binding failed: \(tamper.failure)"))
        #expect(gateway.device.packetsWritten.load(ordering: .relaxed) == 1, "only the legitimate client's ping")
        let leasesLeft = victim == nil ? 0 : 1
        #expect(await eventually { gateway.server.state.poolUsage().used == leasesLeft })

        if let (connection, session, _) = victim {
            // The replay did not disturb the session it was taken from.
            try await connection.sendIPv4(echoRequest(from: session.address.value, sequence: 5))
            #expect(await connection.echoReplies(after: 5).contains(5))
            await connection.close()
        }
        let after = await legitimateClientProblem(gateway)
        #expect(after == nil, "after the attack: \(after ?? "")")
        try await gateway.stop()
    }
}
