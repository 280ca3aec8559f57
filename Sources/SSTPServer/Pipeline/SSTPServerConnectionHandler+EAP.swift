import CryptoPrimitives
import EAP
import EAPTLS
import Foundation
import Logging
import NIOCore
import PKI
import PPPProtocol
import Synchronization
import TLSEngine

/// EAP-TLS inside PPP (RFC 3748, RFC 5216, RFC 9190): certificate authentication as Azure's point-to-site SSTP does
/// it. The inner TLS runs on the same engine as the listener, with client certificates required and chained to the
/// configured roots; the handler then authorizes the certificate (clientAuth EKU, validity, not revoked) and hands
/// the HLAK (first 32 bytes of the MSK) to SSTP for the crypto binding.
extension SSTPServerConnectionHandler {
    func startEAP() {
        var machine = EAPAuthenticator()
        let actions = machine.start(identifier: SecureRandom.bytes(1)[0])
        eap = machine
        execute(actions)
    }

    func execute(_ actions: [EAPAuthenticator.Action]) {
        for action in actions {
            switch action {
            case .send(let packet):
                if let frame = ppp.authenticationFrame(ByteBuffer(bytes: packet.bytes)) { sendPPPFrame(frame) }
            case .startTimer(let timer, let seconds):
                startTimer(.eap(timer), after: .seconds(Int64(seconds)))
            case .cancelTimer(let timer):
                cancelTimer(.eap(timer))
            case .lookUpPolicy(let identity):
                logger[metadataKey: "eap-identity"] = "\(identity)"
                execute(eap!.policyLookedUp(allowedMethods: [.tls]))
            case .startMethod(let method, _):
                guard method == .tls, let context = settings.eapTLSContext,
                    let server = try? EAPTLSServer(context: context)
                else {
                    execute(eap!.methodFailed("method not available"))
                    continue
                }
                eapTLS = server
                execute(eap!.sendMethodRequest(typeData: server.start()))
            case .methodResponse(let typeData):
                guard let server = eapTLS else { continue }
                switch server.receive(typeData) {
                case .send(let data):
                    execute(eap!.sendMethodRequest(typeData: data))
                case .succeeded(let result):
                    if let user = authorize(result) {
                        eapResult = (user, result.keys.hlak)
                        execute(eap!.methodSucceeded())
                    } else {
                        execute(eap!.methodFailed("client certificate refused"))
                    }
                case .failed(let failure):
                    logger.warning("EAP-TLS failed", metadata: ["reason": "\(failure)"])
                    execute(eap!.methodFailed("\(failure)"))
                }
            case .succeeded:
                guard let (user, hlak) = eapResult else { continue }
                eapResult = nil
                authenticated(user: user, method: "EAP-TLS", hlak: hlak)
            case .failed(let reason):
                logger.warning("authentication failed, closing", metadata: ["method": "EAP-TLS", "reason": "\(reason)"])
                gateway.counters.authenticationFailures.add(1, ordering: .relaxed)
                execute(ppp.authenticationFailed())
            }
        }
    }

    /// The user a verified client certificate stands for, or nil (logged) if it may not connect: the chain was
    /// verified by TLS; here the clientAuth EKU, the validity period and revocation (sstpctl's index, re-read per
    /// connection so a revocation applies to the next connection without a restart).
    func authorize(_ result: EAPTLSResult) -> String? {
        guard let certificate = result.peerCertificate else {
            logger.warning("EAP-TLS refused: no client certificate")
            return nil
        }
        var refusal: String?
        let revoked = revokedThumbprints()
        if !certificate.hasClientAuthUsage {
            refusal = "certificate without the clientAuth extended key usage"
        } else if !certificate.isValid(at: Int64(Date().timeIntervalSince1970)) {
            refusal = "certificate outside its validity period"
        } else if revoked == nil {
            refusal = "the revocation list cannot be read"
        } else if revoked!.contains(certificate.sha1ThumbprintHex.uppercased()) {
            refusal = "certificate revoked"
        } else if (certificate.subjectCommonName ?? "").isEmpty {
            refusal = "certificate without a subject common name"
        }
        if let refusal {
            logger.warning(
                "EAP-TLS refused",
                metadata: ["reason": "\(refusal)", "thumbprint": "\(certificate.sha1ThumbprintHex.uppercased())"])
            return nil
        }
        return certificate.subjectCommonName
    }

    /// Revoked SHA-1 thumbprints (upper-case hex); nil if the index cannot be read (then nothing is accepted).
    private func revokedThumbprints() -> Set<String>? {
        guard let directory = settings.pkiDirectory else { return [] }
        do {
            let index = try PKIStore(directory: directory).loadIndex()
            return Set(index.entries.filter { $0.status == .revoked }.map { $0.thumbprint.uppercased() })
        } catch {
            // Fail closed: without the revocation list no certificate is accepted.
            logger.error("cannot read the PKI index; refusing certificates", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
