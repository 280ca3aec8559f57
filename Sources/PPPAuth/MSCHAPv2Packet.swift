/// CHAP packet codes used by MS-CHAPv2 (RFC 1994 §4, RFC 2759 §3–§6).
public enum CHAPCode: UInt8, Sendable, Hashable {
    case challenge = 1
    case response = 2
    case success = 3
    case failure = 4
}

/// One MS-CHAPv2 packet: the Information field of a PPP frame with protocol 0xC223 (RFC 1994 §4).
public enum MSCHAPv2Packet: Hashable, Sendable {
    case challenge(MSCHAPv2Challenge)
    case response(MSCHAPv2Response)
    case success(MSCHAPv2Success)
    case failure(MSCHAPv2Failure)

    /// PPP protocol number of CHAP (RFC 1994 §4).
    public static let pppProtocol: UInt16 = 0xC223
    /// LCP Authentication-Protocol algorithm octet for MS-CHAPv2 (RFC 2759 §2).
    public static let chapAlgorithm: UInt8 = 0x81

    /// The CHAP Identifier of the packet.
    public var identifier: UInt8 {
        switch self {
        case .challenge(let p): p.identifier
        case .response(let p): p.identifier
        case .success(let p): p.identifier
        case .failure(let p): p.identifier
        }
    }
}

/// Challenge packet (RFC 2759 §3): Value-Size 16, a 16-octet Authenticator Challenge, then the authenticator's
/// Name.
public struct MSCHAPv2Challenge: Hashable, Sendable {
    public var identifier: UInt8
    /// The 16-octet Authenticator Challenge.
    public var challenge: [UInt8]
    /// The authenticator's name (informational).
    public var name: [UInt8]

    public init(identifier: UInt8, challenge: [UInt8], name: [UInt8]) {
        precondition(challenge.count == 16, "MS-CHAPv2 challenge is 16 octets")
        self.identifier = identifier
        self.challenge = challenge
        self.name = name
    }
}

/// Response packet (RFC 2759 §4): Value-Size 49 — Peer-Challenge (16) ‖ Reserved (8, zero) ‖ NT-Response (24)
/// ‖ Flags (1) — then the user name.
public struct MSCHAPv2Response: Hashable, Sendable {
    public var identifier: UInt8
    /// The 16-octet Peer-Challenge.
    public var peerChallenge: [UInt8]
    /// The 24-octet NT-Response.
    public var ntResponse: [UInt8]
    /// > Flags: This field is reserved for future use and MUST be zero. (Kept as received.)
    public var flags: UInt8
    /// The user name as sent, possibly `DOMAIN\user`.
    public var name: [UInt8]

    public init(identifier: UInt8, peerChallenge: [UInt8], ntResponse: [UInt8], flags: UInt8 = 0, name: [UInt8]) {
        precondition(peerChallenge.count == 16 && ntResponse.count == 24)
        self.identifier = identifier
        self.peerChallenge = peerChallenge
        self.ntResponse = ntResponse
        self.flags = flags
        self.name = name
    }
}

/// Success packet (RFC 2759 §5): Message `S=<auth_string> M=<message>`.
public struct MSCHAPv2Success: Hashable, Sendable {
    public var identifier: UInt8
    /// `"S="` followed by 40 hex digits (GenerateAuthenticatorResponse output).
    public var authenticatorResponse: String
    /// Human-readable text after `M=`; `nil` when the peer sent no `M=` part.
    public var message: String?

    public init(identifier: UInt8, authenticatorResponse: String, message: String?) {
        self.identifier = identifier
        self.authenticatorResponse = authenticatorResponse
        self.message = message
    }

    /// The Message field's text.
    public var messageField: String {
        if let message = self.message { return "\(self.authenticatorResponse) M=\(message)" }
        return self.authenticatorResponse
    }

    /// Parses `S=<40 hex>[ M=<text>]` (RFC 2759 §5).
    ///
    /// > The authenticating peer MUST verify the authenticator response when a Success packet is received. …
    /// > If the authenticator response is either missing or incorrect, the peer MUST end the session.
    /// A missing or malformed `S=` therefore throws, so the peer fails instead of accepting.
    public init(identifier: UInt8, messageField: [UInt8]) throws(PPPAuthError) {
        guard messageField.count >= 42, messageField[0] == UInt8(ascii: "S"), messageField[1] == UInt8(ascii: "="),
            Hex.decode(messageField[2..<42]) != nil
        else { throw PPPAuthError.malformedSuccessMessage("no S=<40 hex digits> at the start") }
        self.identifier = identifier
        self.authenticatorResponse = String(decoding: messageField[0..<42], as: UTF8.self)
        let rest = messageField[42...]
        if rest.isEmpty {
            self.message = nil
        } else if rest.starts(with: Array(" M=".utf8)) {
            self.message = String(decoding: rest.dropFirst(3), as: UTF8.self)
        } else {
            throw PPPAuthError.malformedSuccessMessage("unexpected text after the authenticator response")
        }
    }
}

/// Failure packet (RFC 2759 §6): Message `E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>`.
public struct MSCHAPv2Failure: Hashable, Sendable {
    /// Error codes listed in RFC 2759 §6.
    public enum ErrorCode {
        public static let restrictedLogonHours = 646
        public static let accountDisabled = 647
        public static let passwordExpired = 648
        public static let noDialinPermission = 649
        public static let authenticationFailure = 691
        public static let changingPassword = 709
    }

    public var identifier: UInt8
    /// `E=`: decimal error code (691 = ERROR_AUTHENTICATION_FAILURE).
    public var error: Int
    /// `R=`: `true` when the authenticator allows a retry.
    public var retryAllowed: Bool
    /// `C=`: the 16-octet challenge for a retry (32 hex digits on the wire).
    public var challenge: [UInt8]?
    /// `V=`: password-change protocol version; "For MS-CHAP-V2, this value SHOULD always be 3."
    public var version: Int?
    /// `M=`: human-readable text.
    public var message: String?

    public init(
        identifier: UInt8,
        error: Int,
        retryAllowed: Bool,
        challenge: [UInt8]?,
        version: Int? = 3,
        message: String?
    ) {
        precondition(challenge.map { $0.count == 16 } ?? true, "Failure challenge is 16 octets")
        self.identifier = identifier
        self.error = error
        self.retryAllowed = retryAllowed
        self.challenge = challenge
        self.version = version
        self.message = message
    }

    /// The Message field's text, fields in RFC order.
    public var messageField: String {
        var fields = ["E=\(self.error)", "R=\(self.retryAllowed ? 1 : 0)"]
        if let challenge = self.challenge { fields.append("C=" + Hex.encodeUpper(challenge)) }
        if let version = self.version { fields.append("V=\(version)") }
        if let message = self.message { fields.append("M=" + message) }
        return fields.joined(separator: " ")
    }

    /// Parses the Failure Message field. `E=` is required; `M=` takes the rest of the field (it may contain
    /// spaces); unknown fields are ignored, as the RFC asks implementations to "deal with codes not on this
    /// list gracefully".
    public init(identifier: UInt8, messageField: [UInt8]) throws(PPPAuthError) {
        var error: Int?
        var retry = false
        var challenge: [UInt8]?
        var version: Int?
        var message: String?
        var rest = messageField[...]
        while !rest.isEmpty {
            while rest.first == UInt8(ascii: " ") { rest = rest.dropFirst() }
            if rest.starts(with: Array("M=".utf8)) {
                message = String(decoding: rest.dropFirst(2), as: UTF8.self)
                break
            }
            let token = rest.prefix { $0 != UInt8(ascii: " ") }
            rest = rest.dropFirst(token.count)
            guard token.count >= 2, token[token.startIndex + 1] == UInt8(ascii: "=") else { continue }
            let value = token.dropFirst(2)
            switch token[token.startIndex] {
            case UInt8(ascii: "E"):
                guard let e = Self.decimal(value) else { throw PPPAuthError.malformedFailureMessage("bad E=") }
                error = e
            case UInt8(ascii: "R"):
                guard value.count == 1, value.first == UInt8(ascii: "0") || value.first == UInt8(ascii: "1") else {
                    throw PPPAuthError.malformedFailureMessage("bad R=")
                }
                retry = value.first == UInt8(ascii: "1")
            case UInt8(ascii: "C"):
                // > This field MUST be exactly 32 octets long and MUST be present.
                guard value.count == 32, let bytes = Hex.decode(value) else {
                    throw PPPAuthError.malformedFailureMessage("bad C=")
                }
                challenge = bytes
            case UInt8(ascii: "V"):
                guard let v = Self.decimal(value) else { throw PPPAuthError.malformedFailureMessage("bad V=") }
                version = v
            default:
                continue
            }
        }
        guard let error else { throw PPPAuthError.malformedFailureMessage("no E=") }
        self.identifier = identifier
        self.error = error
        self.retryAllowed = retry
        self.challenge = challenge
        self.version = version
        self.message = message
    }

    private static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(d - UInt8(ascii: "0"))
        }
        return value
    }
}
