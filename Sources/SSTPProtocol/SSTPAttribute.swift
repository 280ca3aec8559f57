/// A Status Info attribute (MS-SSTP §2.2.8): the status of one attribute, or of the message as a whole.
public struct SSTPStatusInfo: Sendable, Hashable {
    /// The attribute this status is about (`AttribID`).
    public var attributeID: SSTPAttributeID
    /// Why it failed (or `.noError`).
    public var status: SSTPStatus
    /// `AttribValue`: for a NAK, "the value proposed by the client" (§2.2.8 example); otherwise usually empty.
    public var value: [UInt8]

    public init(attributeID: SSTPAttributeID, status: SSTPStatus, value: [UInt8] = []) {
        self.attributeID = attributeID
        self.status = status
        self.value = value
    }

    /// The Status Info a Call Disconnect carries (§2.2.14: AttribID and Status "MUST be set to" zero).
    public static let noError = SSTPStatusInfo(attributeID: .noError, status: .noError)
}

/// A Crypto Binding Request attribute (MS-SSTP §2.2.6), sent by the server in its Call Connect Acknowledge.
public struct SSTPCryptoBindingRequest: Sendable, Hashable {
    /// The length of the nonce (§2.2.6: "Nonce (32 bytes)").
    public static let nonceLength = 32

    /// The hash protocols the server accepts; "the server MUST set at least one bit".
    public var hashProtocols: SSTPHashProtocolBitmask
    /// A fresh random nonce of ``nonceLength`` bytes.
    public var nonce: [UInt8]

    public init(hashProtocols: SSTPHashProtocolBitmask, nonce: [UInt8]) {
        precondition(nonce.count == Self.nonceLength, "an SSTP nonce is 32 bytes")
        self.hashProtocols = hashProtocols
        self.nonce = nonce
    }
}

/// A Crypto Binding attribute (MS-SSTP §2.2.7), sent by the client in its Call Connected message.
///
/// The fields hold the wire bytes: 32 bytes each, where a SHA-1 certificate hash or Compound MAC occupies the first
/// 20 bytes followed by 12 zero bytes of padding.
public struct SSTPCryptoBinding: Sendable, Hashable {
    /// The length of each of the three fixed fields.
    public static let fieldLength = 32

    /// `Hash Protocol Bitmask`: exactly one bit is expected, but the raw byte is kept so a bad value can be rejected.
    public var hashProtocol: SSTPHashProtocolBitmask
    /// The nonce from the server's Call Connect Acknowledge.
    public var nonce: [UInt8]
    /// The hash of the server's certificate, padded to 32 bytes.
    public var certificateHash: [UInt8]
    /// The Compound MAC, padded to 32 bytes.
    public var compoundMAC: [UInt8]

    public init(hashProtocol: SSTPHashProtocolBitmask, nonce: [UInt8], certificateHash: [UInt8], compoundMAC: [UInt8]) {
        precondition(nonce.count == Self.fieldLength, "an SSTP nonce is 32 bytes")
        precondition(certificateHash.count == Self.fieldLength, "the Cert Hash field is 32 bytes (pad SHA-1)")
        precondition(compoundMAC.count == Self.fieldLength, "the Compound MAC field is 32 bytes (pad SHA-1)")
        self.hashProtocol = hashProtocol
        self.nonce = nonce
        self.certificateHash = certificateHash
        self.compoundMAC = compoundMAC
    }
}

/// One attribute of an SSTP control message (MS-SSTP §2.2.4).
public enum SSTPAttribute: Sendable, Hashable {
    /// Encapsulated Protocol ID (§2.2.5); total attribute length 6.
    case encapsulatedProtocolID(SSTPEncapsulatedProtocolID)
    /// Status Info (§2.2.8); total attribute length 12 plus the value.
    case statusInfo(SSTPStatusInfo)
    /// Crypto Binding (§2.2.7); total attribute length 0x68.
    case cryptoBinding(SSTPCryptoBinding)
    /// Crypto Binding Request (§2.2.6); total attribute length 0x28.
    case cryptoBindingRequest(SSTPCryptoBindingRequest)
    /// An attribute ID this implementation does not know, with its value bytes.
    case unknown(id: SSTPAttributeID, value: [UInt8])

    /// The size of the attribute header: Reserved, Attribute ID, R + Length.
    static let headerLength = 4
    /// Fixed total lengths (header included), §2.2.5–§2.2.7.
    static let encapsulatedProtocolIDLength = 6
    static let cryptoBindingRequestLength = 0x28
    static let cryptoBindingLength = 0x68
    /// §2.2.8: "Its value MUST be the length of the AttribValue field plus 12."
    static let statusInfoMinimumLength = 12

    /// The Attribute ID this attribute is sent with.
    public var id: SSTPAttributeID {
        switch self {
        case .encapsulatedProtocolID: .encapsulatedProtocolID
        case .statusInfo: .statusInfo
        case .cryptoBinding: .cryptoBinding
        case .cryptoBindingRequest: .cryptoBindingRequest
        case .unknown(let id, _): id
        }
    }

    /// The total length on the wire, header included.
    public var length: Int {
        switch self {
        case .encapsulatedProtocolID: Self.encapsulatedProtocolIDLength
        case .statusInfo(let info): Self.statusInfoMinimumLength + info.value.count
        case .cryptoBinding: Self.cryptoBindingLength
        case .cryptoBindingRequest: Self.cryptoBindingRequestLength
        case .unknown(_, let value): Self.headerLength + value.count
        }
    }
}
