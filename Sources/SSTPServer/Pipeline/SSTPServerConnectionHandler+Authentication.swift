import AddressPool
import CryptoPrimitives
import EAP
import EAPTLS
import GatewayPolicy
import Foundation
import Logging
import NIOCore
import PKI
import PPPAuth
import PPPProtocol
import SSTPProtocol
import Synchronization
import TLSEngine

// MARK: MS-CHAPv2 (RFC 2759) and the common end of authentication

extension SSTPServerConnectionHandler {
    func startAuthentication(_ method: PPPAuthenticationProtocol) {
        if method == .eap, settings.eapTLSContext != nil {
            startEAP()
            return
        }
        guard method == .msCHAPv2 else {
            logger.warning("peer did not agree to MS-CHAPv2; closing", metadata: ["method": "\(method)"])
            execute(ppp.authenticationFailed())
            return
        }
        var machine = MSCHAPv2Authenticator(name: settings.authenticatorName, maxAttempts: settings.maxAuthenticationAttempts)
        let actions = machine.start(challenge: SecureRandom.bytes(16), identifier: SecureRandom.bytes(1)[0])
        authenticator = machine
        execute(actions)
    }

    func execute(_ actions: [MSCHAPv2Authenticator.Action]) {
        for action in actions {
            switch action {
            case .send(let packet):
                if case .failure(let failure) = packet {
                    // Every rejected attempt is logged and counted, whether or not the peer retries.
                    logger.warning(
                        "authentication attempt rejected",
                        metadata: ["error": "\(failure.error)", "retry-allowed": "\(failure.retryAllowed)"])
                    gateway.counters.authenticationFailures.add(1, ordering: .relaxed)
                    gateway.metrics.failure(.auth)
                    gateway.lockoutFailure(user: user, address: peerIP)
                }
                var payload = ByteBuffer()
                payload.writeMSCHAPv2Packet(packet)
                if let frame = ppp.authenticationFrame(payload) { sendPPPFrame(frame) }
            case .startTimer(let timer, let seconds):
                startTimer(.auth(timer), after: .seconds(Int64(seconds)))
            case .cancelTimer(let timer):
                cancelTimer(.auth(timer))
            case .lookUpCredentials(let username):
                user = username
                logger[metadataKey: "user"] = "\(username)"
                let record = gateway.state.lookupUser(username)
                var hash = record?.ntPasswordHash
                if let record, !record.allows(.msCHAPv2) {
                    // Same answer as a wrong password (E=691): the response does not tell which one it was.
                    logger.warning(record.locked ? "user locked" : "MS-CHAPv2 not allowed for this user")
                    hash = nil
                }
                if case .lockedOut(_, let scope) = gateway.lockoutDecision(user: username, address: peerIP) {
                    // Refused without checking the password, with the same answer (lockout, docs/metrics.md).
                    logger.warning("authentication refused: locked out", metadata: ["scope": "\(scope.rawValue)"])
                    gateway.metrics.failure(.lockedOut)
                    hash = nil
                }
                execute(authenticator!.credentialsLookedUp(ntPasswordHash: hash, nextChallenge: SecureRandom.bytes(16)))
            case .succeeded(let result):
                authenticationSucceeded(result)
            case .failed(let reason):
                logger.warning("authentication failed, closing", metadata: ["reason": "\(reason)"])
                execute(ppp.authenticationFailed())
            }
        }
    }

    func authenticationSucceeded(_ result: AuthenticationResult) {
        authenticated(user: result.username, method: "MS-CHAPv2", hlak: result.hlak)
    }

    /// Authentication finished with `method`: lease an address, start the NCPs, and give SSTP the HLAK so the crypto
    /// binding can be verified.
    func authenticated(user username: String, method: String, hlak: [UInt8], legacyHLAK: [UInt8]? = nil) {
        user = username
        gateway.lockoutSuccess(user: username, address: peerIP)
        logger[metadataKey: "user"] = "\(username)"
        let leaseKey = UserDatabase.canonical(username)
        let leased: IPv4Address
        do {
            leased = try gateway.state.lease(sessionID: sessionID, user: leaseKey)
        } catch {
            logger.error("no address for the client: pool exhausted", metadata: ["error": "\(error)"])
            gateway.counters.poolExhausted.add(1, ordering: .relaxed)
            gateway.metrics.failure(.poolExhausted)
            execute(ppp.close(reason: .administrative))
            return
        }
        address = leased
        authenticationMethod = method
        gateway.recorder?.leased(address: leased, user: username, sessionKey: sessionKey)
        logger.notice("authenticated", metadata: ["method": "\(method)", "address": "\(leased)"])
        gateway.state.update(sessionID) {
            $0.user = username
            $0.address = leased
            $0.method = method
        }
        let dns = settings.dnsServers.map { IPCPAddress($0.value) }
        let ipcp = IPCPParameters(
            localAddress: IPCPAddress(settings.gateway.value), peerAddress: IPCPAddress(leased.value),
            primaryDNS: dns.first, secondaryDNS: dns.dropFirst().first)
        var ipv6cp: IPV6CPParameters?
        if settings.ipv6 {
            ipv6cp = IPV6CPParameters(
                localInterfaceIdentifier: IPV6CPInterfaceIdentifier(Self.interfaceIdentifier(SecureRandom.bytes(8))),
                suggestedPeerInterfaceIdentifier: IPV6CPInterfaceIdentifier(Self.interfaceIdentifier(SecureRandom.bytes(8))))
        }
        execute(ppp.authenticationSucceeded(ipcp: ipcp, ipv6cp: ipv6cp))
        execute(sstp.innerAuthenticationCompleted(hlak: hlak, legacyHLAK: legacyHLAK))
    }

    /// A non-zero 64-bit interface identifier from random bytes.
    static func interfaceIdentifier(_ bytes: [UInt8]) -> UInt64 {
        let value = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return value == 0 ? 1 : value
    }
}

// MARK: EAP-TLS

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
                    // Logged with every later line of this session: which TLS the client used inside EAP.
                    logger[metadataKey: "eap-tls"] = "\(result.tlsVersion) \(result.cipher)"
                    if let thumbprint = result.peerCertificate?.sha1ThumbprintHex {
                        logger[metadataKey: "certificate"] = "\(thumbprint)"
                    }
                    if let user = authorize(result) {
                        eapResult = (user, result.keys)
                        execute(eap!.methodSucceeded())
                    } else {
                        execute(eap!.methodFailed("client certificate refused"))
                    }
                case .failed(let failure):
                    logger.warning("EAP-TLS failed", metadata: ["reason": "\(failure)"])
                    execute(eap!.methodFailed("\(failure)"))
                }
            case .succeeded:
                guard let (user, keys) = eapResult else { continue }
                eapResult = nil
                authenticated(
                    user: user, method: "EAP-TLS", hlak: keys.hlak,
                    legacyHLAK: settings.legacyEAPTLSBinding ? keys.pppd24HLAK : nil)
            case .failed(let reason):
                logger.warning("authentication failed, closing", metadata: ["method": "EAP-TLS", "reason": "\(reason)"])
                gateway.counters.authenticationFailures.add(1, ordering: .relaxed)
                gateway.metrics.failure(.auth)
                gateway.lockoutFailure(user: user, address: peerIP)
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
        let now = Int64(Date().timeIntervalSince1970)
        let revoked = revokedThumbprints()
        let crl = certificateRevocationList(now: now)
        let user = certificate.subjectCommonName ?? ""
        if !certificate.hasClientAuthUsage {
            refusal = "certificate without the clientAuth extended key usage"
        } else if !certificate.isValid(at: now) {
            refusal = "certificate outside its validity period"
        } else if revoked == nil || crl == nil {
            refusal = "the revocation list cannot be read"
        } else if revoked!.contains(certificate.sha1ThumbprintHex.uppercased()) {
            refusal = "certificate revoked"
        } else if crl!.isRevoked(certificate) {
            refusal = "certificate revoked by CRL"
        } else if user.isEmpty {
            refusal = "certificate without a subject common name"
        } else if case .lockedOut = gateway.lockoutDecision(user: user, address: peerIP) {
            refusal = "locked out"
            gateway.metrics.failure(.lockedOut)
        } else if let record = gateway.state.lookupUser(user), !record.allows(.eapTLS) {
            refusal = record.locked ? "user locked" : "EAP-TLS not allowed for this user"
        }
        if let refusal {
            logger.warning(
                "EAP-TLS refused",
                metadata: ["reason": "\(refusal)", "thumbprint": "\(certificate.sha1ThumbprintHex.uppercased())"])
            return nil
        }
        return certificate.subjectCommonName
    }

    /// The configured CRLs, each verified against the client CAs; nil (logged) if one cannot be used, in which case
    /// nothing is accepted. Re-read per authentication so a new CRL applies without a restart.
    private func certificateRevocationList(now: Int64) -> CertificateRevocationList? {
        guard !settings.crlFiles.isEmpty else { return CertificateRevocationList() }
        do {
            let list = try CertificateRevocationList(issuersFiles: settings.clientCAFiles, crlFiles: settings.crlFiles)
            for stale in list.staleCRLIssuers(at: now) {
                logger.warning("CRL past its nextUpdate; still applied", metadata: ["issuer": "\(stale)"])
            }
            return list
        } catch {
            // Fail closed: a CRL that cannot be read or verified must not let a revoked certificate in.
            logger.error("cannot use the configured CRLs; refusing certificates", metadata: ["error": "\(error)"])
            return nil
        }
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
