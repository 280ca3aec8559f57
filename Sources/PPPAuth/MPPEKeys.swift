import CryptoPrimitives

/// MPPE master session keys derived from MS-CHAPv2 (RFC 3079 §3), and the SSTP HLAK built from them.
///
/// SSTP does not use MPPE, but its crypto binding does use these keys: MS-SSTP §3.2.5.2 takes the HLAK from
/// "MasterSendKey" and "MasterReceiveKey" (16 octets each, i.e. GetAsymmetricStartKey output). Descriptions
/// never print key material.
public struct MPPEKeys: Hashable, Sendable, CustomStringConvertible {
    /// RFC 3079 §3.4 Magic1, "This is the MPPE Master Key" (27 octets).
    static let masterKeyMagic = Array("This is the MPPE Master Key".utf8)
    /// RFC 3079 §3.4 Magic2 (84 octets): the client's send key, the server's receive key.
    static let magic2 = Array(
        "On the client side, this is the send key; on the server side, it is the receive key.".utf8
    )
    /// RFC 3079 §3.4 Magic3 (84 octets): the client's receive key, the server's send key.
    static let magic3 = Array(
        "On the client side, this is the receive key; on the server side, it is the send key.".utf8
    )
    private static let shsPad1 = [UInt8](repeating: 0x00, count: 40)
    private static let shsPad2 = [UInt8](repeating: 0xF2, count: 40)

    /// `true` for the authenticator (server) side.
    public let isServer: Bool
    /// This side's 16-octet MasterSendKey.
    public let masterSendKey: [UInt8]
    /// This side's 16-octet MasterReceiveKey.
    public let masterReceiveKey: [UInt8]

    /// Derives both keys for one side from the NT password hash and the peer's NT-Response (RFC 3079 §3.4).
    public init(passwordHash: [UInt8], ntResponse: [UInt8], isServer: Bool) {
        let masterKey = Self.masterKey(
            passwordHashHash: MSCHAPv2Crypto.hashNtPasswordHash(passwordHash),
            ntResponse: ntResponse
        )
        self.isServer = isServer
        self.masterSendKey = Self.asymmetricStartKey(masterKey: masterKey, isSend: true, isServer: isServer)
        self.masterReceiveKey = Self.asymmetricStartKey(masterKey: masterKey, isSend: false, isServer: isServer)
    }

    /// GetMasterKey (RFC 3079 §3.4): SHA1(PasswordHashHash ‖ NTResponse ‖ Magic1)[0..<16].
    public static func masterKey(passwordHashHash: [UInt8], ntResponse: [UInt8]) -> [UInt8] {
        precondition(passwordHashHash.count == 16 && ntResponse.count == 24)
        return Array(HashFunction.sha1.digest(passwordHashHash + ntResponse + Self.masterKeyMagic).prefix(16))
    }

    /// GetAsymmetricStartKey (RFC 3079 §3.4): SHA1(MasterKey ‖ SHSpad1 ‖ s ‖ SHSpad2)[0..<keyLength], where
    /// s is Magic3 for the server's send and the client's receive key, Magic2 otherwise.
    public static func asymmetricStartKey(
        masterKey: [UInt8],
        keyLength: Int = 16,
        isSend: Bool,
        isServer: Bool
    ) -> [UInt8] {
        precondition(masterKey.count == 16 && (keyLength == 8 || keyLength == 16))
        let magic = (isSend == isServer) ? Self.magic3 : Self.magic2
        return Array(HashFunction.sha1.digest(masterKey + Self.shsPad1 + magic + Self.shsPad2).prefix(keyLength))
    }

    /// The SSTP Higher-Layer Authentication Key (MS-SSTP §3.2.5.2.2/§3.2.5.2.4), 32 octets.
    ///
    /// > Client HLAK = MasterSendKey | MasterReceiveKey; Server HLAK = MasterReceiveKey | MasterSendKey.
    /// Both sides therefore produce the same bytes (K(Magic2) ‖ K(Magic3)).
    public var hlak: [UInt8] {
        self.isServer ? self.masterReceiveKey + self.masterSendKey : self.masterSendKey + self.masterReceiveKey
    }

    public var description: String { "MPPEKeys(\(self.isServer ? "server" : "client"), <redacted>)" }
}
