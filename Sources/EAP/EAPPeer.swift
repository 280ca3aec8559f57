/// Peer side of EAP (RFC 3748), as a pure state machine: answers Identity and Notification, Naks methods it does
/// not run, relays one method's Type-Data, and reports Success/Failure. The peer never retransmits (RFC 3748
/// §4.1); a duplicate Request (same Identifier) gets the previous Response again.
public struct EAPPeer: Sendable {
    public enum Action: Hashable, Sendable {
        /// Send this packet in a PPP frame with protocol 0xC227.
        case send(EAPPacket)
        /// Pass this Request Type-Data to the method; answer with `sendMethodResponse`.
        case methodRequest(type: EAPType, typeData: [UInt8])
        /// EAP-Success after the method finished.
        case succeeded
        /// EAP-Failure, or Success before the method finished (RFC 3748 §4.2 lets the peer refuse it).
        case failed
    }

    private let identity: [UInt8]
    private let supportedMethods: [EAPType]
    private var lastRequestIdentifier: UInt8?
    private var lastResponse: EAPPacket?
    private var pendingIdentifier: UInt8?
    private var methodFinished = false
    private var done = false

    /// - Parameters:
    ///   - identity: sent in Response/Identity (for EAP-TLS, typically the certificate's user name).
    ///   - supportedMethods: methods offered in a Nak, most preferred first.
    public init(identity: String, supportedMethods: [EAPType]) {
        precondition(!supportedMethods.isEmpty)
        self.identity = Array(identity.utf8)
        self.supportedMethods = supportedMethods
    }

    public mutating func receive(_ bytes: [UInt8]) -> [Action] {
        guard let packet = try? EAPPacket(bytes: bytes) else { return [] }
        return self.receive(packet)
    }

    public mutating func receive(_ packet: EAPPacket) -> [Action] {
        guard !self.done else { return [] }
        switch packet.code {
        case .response:
            return []
        case .success:
            self.done = true
            return [self.methodFinished ? .succeeded : .failed]
        case .failure:
            self.done = true
            return [.failed]
        case .request:
            guard let type = packet.type else { return [] }
            if packet.identifier == self.lastRequestIdentifier {
                // RFC 3748 §4.1: a retransmitted Request is answered with the same Response.
                if let response = self.lastResponse { return [.send(response)] }
                return []
            }
            self.lastRequestIdentifier = packet.identifier
            switch type {
            case .identity:
                return self.respond(.response(identifier: packet.identifier, type: .identity, typeData: self.identity))
            case .notification:
                return self.respond(.response(identifier: packet.identifier, type: .notification))
            case _ where self.supportedMethods.contains(type):
                self.pendingIdentifier = packet.identifier
                self.lastResponse = nil
                return [.methodRequest(type: type, typeData: packet.typeData)]
            default:
                // RFC 3748 §5.3.1: Nak with the types we would accept.
                let proposal = self.supportedMethods.map(\.rawValue)
                return self.respond(.response(identifier: packet.identifier, type: .nak, typeData: proposal))
            }
        }
    }

    /// Sends the method's Response to the pending Request.
    public mutating func sendMethodResponse(type: EAPType, typeData: [UInt8]) -> [Action] {
        guard let identifier = self.pendingIdentifier else { preconditionFailure("no pending method Request") }
        self.pendingIdentifier = nil
        return self.respond(.response(identifier: identifier, type: type, typeData: typeData))
    }

    /// The method reached a state in which EAP-Success is acceptable (keys derived).
    public mutating func methodCompleted() {
        self.methodFinished = true
    }

    private mutating func respond(_ packet: EAPPacket) -> [Action] {
        self.lastResponse = packet
        return [.send(packet)]
    }
}
