import EAP
import NIOCore
import TLSEngine

/// The EAP-TLS server (RFC 5216, RFC 9190) on a `TLSConnection`: feeds the Type-Data of EAP-TLS Responses to
/// OpenSSL and returns the Type-Data of the next Request, until the method ends.
///
/// The context must be a server context that requires a client certificate chained to the trusted client roots
/// (`TLSContext.server(..., clientTrustRootsFile:)`); `init` refuses others. Authorization beyond the chain
/// (revocation by thumbprint or CRL, EKU, expiry, identity → user) is the composition's decision, made on
/// `EAPTLSResult.peerCertificate` before it sends EAP-Success.
///
/// Sequence: `start()` (Start, S flag) → ClientHello → server flight (fragmented, one fragment per ACK) → client
/// flight (reassembled, each fragment ACKed) → TLS 1.2: the server's ChangeCipherSpec/Finished; TLS 1.3 (RFC 9190
/// §2.5): the one-octet 0x00 application-data "protected success indication" → the peer's empty Response ends the
/// method with `.succeeded`. A TLS failure sends the alert first (RFC 5216 §2.1.3) and fails on the peer's answer.
///
/// Not thread-safe: confine to the session's event loop.
public final class EAPTLSServer {
    private enum State {
        case initial
        case startSent
        case handshaking
        /// Our last TLS message is out; the peer's empty Response ends the method.
        case awaitingFinalAcknowledgement(EAPTLSResult)
        /// An alert was sent; the peer's next Response ends the method with this failure.
        case failing(EAPTLSFailure)
        case done
    }

    /// The TLS session (for facts like the negotiated version; do not feed or drive it directly).
    public let connection: TLSConnection
    private var fragmentation: EAPTLSFragmentation
    private var state: State = .initial
    /// Complete TLS messages received from the peer (1 = ClientHello).
    private var messagesReceived = 0

    /// - Parameters:
    ///   - context: a server context with `clientTrustRootsFile` set.
    ///   - maximumFragmentSize: TLS Data octets per EAP-TLS Request (e.g. 1000 for PPP MRU 1500 with room to
    ///     spare; Windows uses about 1400 inside SSTP).
    ///   - maximumMessageLength: reassembly cap for the peer's flights.
    public init(
        context: TLSContext,
        maximumFragmentSize: Int = 1000,
        maximumMessageLength: Int = 65_536
    ) throws(TLSError) {
        precondition(
            context.role == .server && context.requiresClientCertificate,
            "EAP-TLS needs a server context that requires client certificates (clientTrustRootsFile)")
        self.connection = try TLSConnection(context: context)
        self.fragmentation = EAPTLSFragmentation(
            maximumFragmentSize: maximumFragmentSize, maximumMessageLength: maximumMessageLength, acceptsStart: false)
    }

    /// The Type-Data of the EAP-TLS Start Request (RFC 5216 §2.1.1: S set, no data).
    public func start() -> [UInt8] {
        guard case .initial = self.state else { preconditionFailure("EAPTLSServer started twice") }
        self.state = .startSent
        return EAPTLSFragment.start.typeData
    }

    /// Handles the Type-Data of an EAP-TLS Response.
    public func receive(_ typeData: [UInt8]) -> EAPTLSStep {
        let received: EAPTLSFragmentation.Received
        do {
            received = try self.fragmentation.receive(typeData)
        } catch {
            self.state = .done
            return .failed(.framing(error))
        }
        switch (self.state, received) {
        case (.initial, _), (.done, _):
            return .failed(.protocolViolation("Response outside the method"))
        case (_, .sendNextFragment(let next)), (_, .sendAcknowledgement(let next)):
            return .send(next)
        case (.failing(let failure), _):
            self.state = .done
            return .failed(failure)
        case (.awaitingFinalAcknowledgement(let result), .acknowledgement):
            self.state = .done
            return .succeeded(result)
        case (.startSent, .message(let message)), (.handshaking, .message(let message)):
            self.state = .handshaking
            self.messagesReceived += 1
            return self.handshake(message)
        default:
            self.state = .done
            return .failed(.protocolViolation("unexpected EAP-TLS Response"))
        }
    }

    private func handshake(_ message: [UInt8]) -> EAPTLSStep {
        var buffer = ByteBuffer(bytes: message)
        self.connection.feedCiphertext(&buffer)
        switch self.connection.drive() {
        case .inProgress:
            return self.sendOutput(orFail: .handshakeFailed("no server flight"))
        case .failed(let error):
            let failure = self.classify(error)
            if let alert = self.connection.takeCiphertext(), alert.readableBytes > 0 {
                self.state = .failing(failure)
                return .send(self.fragmentation.send(Array(buffer: alert)))
            }
            self.state = .done
            return .failed(failure)
        case .complete(_, let cipher):
            guard let der = self.connection.peerCertificateDER, let certificate = try? X509CertificateInfo(der: der)
            else {
                self.state = .done
                return .failed(.clientCertificateMissing)
            }
            let version = self.connection.negotiatedProtocolVersion ?? .tls12
            if version == .tls13 {
                // RFC 9190 §2.5: "the EAP-TLS server ... MUST send a protected success indication ... a single
                // byte of application data with the value 0x00".
                do {
                    try self.connection.writePlaintext(ByteBuffer(bytes: [0x00]))
                } catch {
                    self.state = .done
                    return .failed(.handshakeFailed("writing the protected success indication"))
                }
            }
            let keys: EAPTLSKeys
            do {
                keys = try EAPTLSKeys(connection: self.connection)
            } catch {
                self.state = .done
                return .failed(.handshakeFailed("exporting keying material"))
            }
            let result = EAPTLSResult(tlsVersion: version, cipher: cipher, keys: keys, peerCertificate: certificate)
            self.state = .awaitingFinalAcknowledgement(result)
            return self.sendOutput(orFail: .handshakeFailed("no final server message"))
        }
    }

    private func sendOutput(orFail failure: EAPTLSFailure) -> EAPTLSStep {
        guard let output = self.connection.takeCiphertext(), output.readableBytes > 0 else {
            self.state = .done
            return .failed(failure)
        }
        return .send(self.fragmentation.send(Array(buffer: output)))
    }

    private func classify(_ error: TLSError) -> EAPTLSFailure {
        if error.code == .certificateVerificationFailed { return .clientCertificateRejected(error.description) }
        // The client's second flight carries its Certificate; a failure on it without a verified certificate is
        // OpenSSL's "peer did not return a certificate" (SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
        if self.messagesReceived >= 2, self.connection.peerCertificateDER == nil { return .clientCertificateMissing }
        return .handshakeFailed(error.description)
    }
}
