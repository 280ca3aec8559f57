/// Server (authenticator) side of EAP (RFC 3748 §4, §5, §7 of RFC 4137's model), as a pure state machine that
/// relays one method's Type-Data to and from a method implementation (e.g. EAP-TLS) owned by the adapter.
///
/// Flow: `start` sends Request/Identity → the Response/Identity yields `.lookUpPolicy(identity:)` → the adapter
/// answers `policyLookedUp(allowedMethods:)` and the machine reports `.startMethod` → the adapter feeds the method
/// and passes its Type-Data to `sendMethodRequest` → method Responses come back as `.methodResponse` → the adapter
/// ends with `methodSucceeded()` (EAP-Success) or `methodFailed(_:)` (EAP-Failure).
///
/// Identifiers: RFC 3748 §4.1 — each new Request gets a new Identifier (the previous plus one, starting from an
/// input); retransmissions keep it; Responses with another Identifier are silently discarded; Success/Failure carry
/// the Identifier of the Response they answer (§4.2).
public struct EAPAuthenticator: Sendable {
    public enum TimerID: Hashable, Sendable {
        /// Request retransmission (RFC 3748 §4.3: the authenticator is responsible for retransmission).
        case retransmit
    }

    /// Why authentication ended without success.
    public enum FailureReason: Hashable, Sendable {
        /// The peer stopped answering (retransmissions exhausted).
        case timeout
        /// No method allowed for this identity.
        case noAllowedMethod
        /// The peer Nak'ed the method and proposed none we allow.
        case methodRejectedByPeer(proposed: [EAPType])
        /// The method failed; the text comes from the method (no secrets).
        case methodFailed(String)
    }

    public enum Action: Hashable, Sendable {
        /// Send this packet in a PPP frame with protocol 0xC227.
        case send(EAPPacket)
        case startTimer(TimerID, seconds: Int)
        case cancelTimer(TimerID)
        /// Decide which methods `identity` may use and call `policyLookedUp(allowedMethods:)`.
        case lookUpPolicy(identity: String)
        /// Start (or restart after a Nak) `method` and pass its first Type-Data to `sendMethodRequest`.
        case startMethod(EAPType, identity: String)
        /// Pass this Response Type-Data to the running method.
        case methodResponse([UInt8])
        /// EAP-Success was sent (it precedes this action).
        case succeeded(identity: String, method: EAPType)
        /// EAP-Failure was sent (if the exchange got that far); the PPP layer should terminate the link.
        case failed(FailureReason)
    }

    private enum State: Sendable {
        case initial
        case awaitingIdentity
        case awaitingPolicy(identity: String)
        /// Method chosen, its first Request not sent yet.
        case methodStarting(identity: String, method: EAPType, allowed: [EAPType], requestsSent: Int)
        /// A method Request is outstanding.
        case methodRunning(identity: String, method: EAPType, allowed: [EAPType], requestsSent: Int)
        /// The Response to the last Request was handed to the method; waiting for its next step.
        case methodProcessing(identity: String, method: EAPType, allowed: [EAPType], requestsSent: Int)
        case succeeded
        case failed
    }

    private let retransmitSeconds: Int
    private let maxTransmissions: Int
    private var state: State = .initial
    private var identifier: UInt8 = 0
    private var lastRequest: EAPPacket?
    private var transmissions = 0

    /// - Parameters:
    ///   - retransmitSeconds: Request retransmission interval (RFC 3748 §4.3 suggests 3 s as initial value).
    ///   - maxTransmissions: sends of one Request before `.failed(.timeout)`.
    public init(retransmitSeconds: Int = 3, maxTransmissions: Int = 10) {
        precondition(retransmitSeconds > 0 && maxTransmissions >= 1)
        self.retransmitSeconds = retransmitSeconds
        self.maxTransmissions = maxTransmissions
    }

    /// `true` once EAP-Success was sent.
    public var isAuthenticated: Bool {
        if case .succeeded = self.state { return true }
        return false
    }

    /// Sends Request/Identity; `identifier` is the first Identifier (random, from the adapter).
    public mutating func start(identifier: UInt8) -> [Action] {
        guard case .initial = self.state else { preconditionFailure("EAPAuthenticator started twice") }
        self.identifier = identifier
        self.state = .awaitingIdentity
        return self.sendRequest(.request(identifier: identifier, type: .identity))
    }

    /// Handles a received EAP packet (the Information field of a 0xC227 frame); malformed packets, Requests and
    /// Responses not matching the outstanding Request are silently discarded (RFC 3748 §4.1).
    public mutating func receive(_ bytes: [UInt8]) -> [Action] {
        guard let packet = try? EAPPacket(bytes: bytes) else { return [] }
        return self.receive(packet)
    }

    public mutating func receive(_ packet: EAPPacket) -> [Action] {
        guard packet.code == .response, let type = packet.type, let last = self.lastRequest,
            packet.identifier == last.identifier
        else { return [] }
        switch self.state {
        case .awaitingIdentity:
            guard type == .identity else { return [] }
            let identity = packet.identityString ?? ""
            self.state = .awaitingPolicy(identity: identity)
            return [.cancelTimer(.retransmit), .lookUpPolicy(identity: identity)]
        case .methodRunning(let identity, let method, let allowed, let requestsSent):
            if type == .nak {
                // RFC 3748 §5.3.1: Nak "is valid only in response to the initial Request of a method".
                guard requestsSent == 1 else {
                    return self.fail(.methodRejectedByPeer(proposed: []), answering: packet)
                }
                let proposed = packet.nakProposedTypes
                let remaining = allowed.filter { $0 != method }
                guard let next = proposed.first(where: { remaining.contains($0) }) else {
                    return self.fail(.methodRejectedByPeer(proposed: proposed), answering: packet)
                }
                self.state = .methodStarting(identity: identity, method: next, allowed: remaining, requestsSent: 0)
                return [.cancelTimer(.retransmit), .startMethod(next, identity: identity)]
            }
            guard type == method else { return [] }
            self.state = .methodProcessing(
                identity: identity, method: method, allowed: allowed, requestsSent: requestsSent)
            return [.cancelTimer(.retransmit), .methodResponse(packet.typeData)]
        default:
            return []
        }
    }

    /// The adapter's answer to `.lookUpPolicy`: the methods this identity may use, most preferred first.
    public mutating func policyLookedUp(allowedMethods: [EAPType]) -> [Action] {
        guard case .awaitingPolicy(let identity) = self.state else {
            preconditionFailure("policyLookedUp without a pending lookup")
        }
        guard let first = allowedMethods.first else { return self.fail(.noAllowedMethod, answering: self.lastRequest) }
        self.state = .methodStarting(identity: identity, method: first, allowed: allowedMethods, requestsSent: 0)
        return [.startMethod(first, identity: identity)]
    }

    /// Sends the running method's next Request with `typeData`.
    public mutating func sendMethodRequest(typeData: [UInt8]) -> [Action] {
        switch self.state {
        case .methodStarting(let identity, let method, let allowed, let sent),
            .methodProcessing(let identity, let method, let allowed, let sent):
            self.state = .methodRunning(identity: identity, method: method, allowed: allowed, requestsSent: sent + 1)
            self.identifier &+= 1
            return self.sendRequest(.request(identifier: self.identifier, type: method, typeData: typeData))
        default:
            preconditionFailure("sendMethodRequest without a running method")
        }
    }

    /// The method succeeded (and the composition authorized the peer): send EAP-Success.
    public mutating func methodSucceeded() -> [Action] {
        guard case .methodProcessing(let identity, let method, _, _) = self.state else {
            preconditionFailure("methodSucceeded while no method Response is being processed")
        }
        self.state = .succeeded
        // RFC 3748 §4.2: the Identifier MUST match that of the Response being answered.
        return [.send(.success(identifier: self.identifier)), .succeeded(identity: identity, method: method)]
    }

    /// The method failed (or the composition refused the peer): send EAP-Failure.
    public mutating func methodFailed(_ reason: String) -> [Action] {
        self.fail(.methodFailed(reason), answering: self.lastRequest)
    }

    /// Handles an expired timer: retransmits the outstanding Request, or fails after `maxTransmissions`.
    public mutating func timerFired(_ timer: TimerID) -> [Action] {
        guard timer == .retransmit, let last = self.lastRequest else { return [] }
        switch self.state {
        case .awaitingIdentity, .methodRunning: break
        default: return []
        }
        guard self.transmissions < self.maxTransmissions else {
            self.state = .failed
            return [.failed(.timeout)]
        }
        self.transmissions += 1
        return [.send(last), .startTimer(.retransmit, seconds: self.retransmitSeconds)]
    }

    private mutating func sendRequest(_ packet: EAPPacket) -> [Action] {
        self.lastRequest = packet
        self.transmissions = 1
        return [.send(packet), .startTimer(.retransmit, seconds: self.retransmitSeconds)]
    }

    private mutating func fail(_ reason: FailureReason, answering packet: EAPPacket?) -> [Action] {
        switch self.state {
        case .succeeded, .failed: return []
        default: break
        }
        self.state = .failed
        return [
            .cancelTimer(.retransmit), .send(.failure(identifier: packet?.identifier ?? self.identifier)),
            .failed(reason),
        ]
    }
}
