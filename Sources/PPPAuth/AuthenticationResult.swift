/// The outcome of a successful MS-CHAPv2 exchange: who authenticated, and the key material SSTP's crypto
/// binding needs. `description` never prints keys.
public struct AuthenticationResult: Hashable, Sendable, CustomStringConvertible {
    /// The user name exactly as sent in the Response (may be `DOMAIN\user`).
    public let username: String
    /// The user name after the last `\` (what ChallengeHash used).
    public let userNameWithoutDomain: String
    /// This side's MPPE master keys (RFC 3079 §3).
    public let keys: MPPEKeys

    /// The 32-octet SSTP HLAK (MS-SSTP §3.2.5.2); identical on client and server.
    public var hlak: [UInt8] { self.keys.hlak }

    public init(username: String, userNameWithoutDomain: String, keys: MPPEKeys) {
        self.username = username
        self.userNameWithoutDomain = userNameWithoutDomain
        self.keys = keys
    }

    public var description: String { "AuthenticationResult(username: \(self.username), keys: <redacted>)" }
}
