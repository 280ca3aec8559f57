import EAP
import NIOCore
import TLSEngine

/// The EAP-TLS peer (client, for sstp-dial) on a `TLSConnection` with a client certificate and key: answers each
/// EAP-TLS Request's Type-Data with a Response's Type-Data.
///
/// The method is complete, and EAP-Success acceptable, when TLS 1.2's handshake finished or, for TLS 1.3, when
/// the 0x00 protected success indication arrived (RFC 9190 §2.5); the peer acknowledges it with an empty
/// Response.
///
/// Not thread-safe: confine to the session's event loop.
public final class EAPTLSPeer {
    /// What to do with a Request.
    public enum Step: Sendable, Hashable {
        /// Send this Type-Data in the Response.
        case send([UInt8])
        /// Send this Type-Data (the final ACK); the method is complete and its keys are ready.
        case sendAndComplete([UInt8], EAPTLSResult)
        /// Send this Type-Data (an alert or ACK); the method failed and EAP-Failure will follow.
        case sendAndFail([UInt8], EAPTLSFailure)
        /// Drop the Request; the method cannot continue (malformed framing or out of order).
        case failed(EAPTLSFailure)
    }

    private enum State {
        case awaitingStart
        case handshaking
        /// TLS 1.3 handshake done on our side; waiting for the protected success indication.
        case awaitingSuccessIndication
        case done
    }

    /// The TLS session (for facts like the negotiated version; do not feed or drive it directly).
    public let connection: TLSConnection
    private var fragmentation: EAPTLSFragmentation
    private var state: State = .awaitingStart
    /// The result once the method completed.
    public private(set) var result: EAPTLSResult?

    /// - Parameters:
    ///   - context: a client context with the client certificate and key (`TLSContext.client(...,
    ///     certificateChainFile:privateKeyFile:)`), verifying the server against the trusted roots.
    ///   - serverName: checked against the server certificate when the context verifies peers.
    public init(
        context: TLSContext,
        serverName: String? = nil,
        maximumFragmentSize: Int = 1000,
        maximumMessageLength: Int = 65_536
    ) throws(TLSError) {
        precondition(context.role == .client, "EAP-TLS peer needs a client context")
        self.connection = try TLSConnection(context: context, serverName: serverName)
        self.fragmentation = EAPTLSFragmentation(
            maximumFragmentSize: maximumFragmentSize, maximumMessageLength: maximumMessageLength, acceptsStart: true)
    }

    /// Handles the Type-Data of an EAP-TLS Request.
    public func receive(_ typeData: [UInt8]) -> Step {
        let received: EAPTLSFragmentation.Received
        do {
            received = try self.fragmentation.receive(typeData)
        } catch {
            return .failed(.framing(error))
        }
        switch (self.state, received) {
        case (_, .sendNextFragment(let next)), (_, .sendAcknowledgement(let next)):
            return .send(next)
        case (.awaitingStart, .start):
            self.state = .handshaking
            guard case .inProgress = self.connection.drive(), let hello = self.connection.takeCiphertext() else {
                self.state = .done
                return .failed(.handshakeFailed("no ClientHello"))
            }
            return .send(self.fragmentation.send(Array(buffer: hello)))
        case (.handshaking, .message(let message)):
            return self.handshake(message)
        case (.awaitingSuccessIndication, .message(let message)):
            return self.awaitSuccessIndication(message)
        default:
            return .failed(.protocolViolation("unexpected EAP-TLS Request"))
        }
    }

    private var acknowledgement: [UInt8] { EAPTLSFragment.acknowledgement.typeData }

    private func handshake(_ message: [UInt8]) -> Step {
        var buffer = ByteBuffer(bytes: message)
        self.connection.feedCiphertext(&buffer)
        switch self.connection.drive() {
        case .inProgress:
            return .send(self.sendOutput())
        case .failed(let error):
            self.state = .done
            let failure: EAPTLSFailure =
                error.code == .certificateVerificationFailed
                ? .handshakeFailed("server certificate: \(error.description)") : .handshakeFailed(error.description)
            return .sendAndFail(self.sendOutput(), failure)
        case .complete(_, let cipher):
            let version = self.connection.negotiatedProtocolVersion ?? .tls12
            if version == .tls13 {
                // Our Certificate/CertificateVerify/Finished; the server still has to accept them.
                self.state = .awaitingSuccessIndication
                let output = self.sendOutput()
                // The server's flight may already have carried the success indication (not with OpenSSL servers,
                // which need our Finished first).
                return .send(output)
            }
            return self.complete(version: version, cipher: cipher)
        }
    }

    private func awaitSuccessIndication(_ message: [UInt8]) -> Step {
        var buffer = ByteBuffer(bytes: message)
        self.connection.feedCiphertext(&buffer)
        var plaintext = ByteBuffer()
        switch self.connection.readPlaintext(into: &plaintext) {
        case .bytes:
            // RFC 9190 §2.5: the protected success indication is exactly one octet 0x00.
            guard plaintext.readableBytes == 1, plaintext.getInteger(at: plaintext.readerIndex, as: UInt8.self) == 0
            else {
                self.state = .done
                return .sendAndFail(self.acknowledgement, .protocolViolation("application data other than 0x00"))
            }
            return self.complete(
                version: .tls13, cipher: self.connection.negotiatedCipher ?? "")
        case .wantRead:
            // e.g. a NewSessionTicket alone (RFC 9190 §2.1.1): acknowledge and keep waiting.
            return .send(self.sendOutput())
        case .closed:
            self.state = .done
            return .sendAndFail(self.sendOutput(), .handshakeFailed("server closed the TLS session"))
        case .error(let error):
            self.state = .done
            return .sendAndFail(self.sendOutput(), .handshakeFailed("server refused: \(error.description)"))
        }
    }

    private func complete(version: TLSVersion, cipher: String) -> Step {
        self.state = .done
        let keys: EAPTLSKeys
        do {
            keys = try EAPTLSKeys(connection: self.connection)
        } catch {
            return .sendAndFail(self.acknowledgement, .handshakeFailed("exporting keying material"))
        }
        let certificate = self.connection.peerCertificateDER.flatMap { try? X509CertificateInfo(der: $0) }
        let result = EAPTLSResult(tlsVersion: version, cipher: cipher, keys: keys, peerCertificate: certificate)
        self.result = result
        return .sendAndComplete(self.sendOutput(), result)
    }

    /// Fragments whatever OpenSSL produced, or an ACK when it produced nothing.
    private func sendOutput() -> [UInt8] {
        guard let output = self.connection.takeCiphertext(), output.readableBytes > 0 else {
            return self.acknowledgement
        }
        return self.fragmentation.send(Array(buffer: output))
    }
}
