import CryptoPrimitives

/// The MS-CHAPv2 computations of RFC 2759 §8, named after the RFC's routines.
///
/// Inputs are byte arrays exactly as the RFC defines them; `userName` is the name as carried in the Response's
/// Name field (a `DOMAIN\` prefix is removed here, see `challengeHash`).
public enum MSCHAPv2Crypto {
    /// RFC 2759 §8.7 Magic1, "Magic server to client signing constant" (39 octets).
    static let authenticatorMagic1 = Array("Magic server to client signing constant".utf8)
    /// RFC 2759 §8.7 Magic2, "Pad to make it do more than one iteration" (41 octets).
    static let authenticatorMagic2 = Array("Pad to make it do more than one iteration".utf8)

    /// NtPasswordHash (RFC 2759 §8.3): MD4 of the password as UTF-16 little-endian code units.
    ///
    /// > Password: 0-to-256-unicode-char — Windows passwords are UTF-16 strings, so characters outside the BMP
    /// > become surrogate pairs, exactly as `String.utf16` yields them.
    public static func ntPasswordHash(password: String) -> [UInt8] {
        var unicode: [UInt8] = []
        unicode.reserveCapacity(password.utf16.count * 2)
        for unit in password.utf16 {
            unicode.append(UInt8(truncatingIfNeeded: unit))
            unicode.append(UInt8(truncatingIfNeeded: unit >> 8))
        }
        return MD4.digest(unicode)
    }

    /// HashNtPasswordHash (RFC 2759 §8.4): MD4 of the 16-octet PasswordHash.
    public static func hashNtPasswordHash(_ passwordHash: [UInt8]) -> [UInt8] {
        precondition(passwordHash.count == 16, "PasswordHash is 16 octets")
        return MD4.digest(passwordHash)
    }

    /// The user name RFC 2759 feeds into ChallengeHash: the part after the last `\`.
    ///
    /// > Only the user name (as presented by the peer and excluding any prepended domain name) is used as
    /// > input to SHAUpdate(). (RFC 2759 §8.2)
    public static func userNameWithoutDomain(_ userName: [UInt8]) -> [UInt8] {
        guard let backslash = userName.lastIndex(of: UInt8(ascii: "\\")) else { return userName }
        return Array(userName[(backslash + 1)...])
    }

    /// ChallengeHash (RFC 2759 §8.2): the first 8 octets of SHA1(PeerChallenge ‖ AuthenticatorChallenge ‖
    /// UserName), with any `DOMAIN\` prefix removed from `userName` first.
    public static func challengeHash(
        peerChallenge: [UInt8],
        authenticatorChallenge: [UInt8],
        userName: [UInt8]
    ) -> [UInt8] {
        precondition(peerChallenge.count == 16 && authenticatorChallenge.count == 16, "challenges are 16 octets")
        let digest = HashFunction.sha1.digest(
            peerChallenge + authenticatorChallenge + Self.userNameWithoutDomain(userName)
        )
        return Array(digest.prefix(8))
    }

    /// ChallengeResponse (RFC 2759 §8.5): DesEncrypt of the 8-octet challenge under the three 7-octet
    /// slices of the PasswordHash zero-padded to 21 octets.
    public static func challengeResponse(challenge: [UInt8], passwordHash: [UInt8]) -> [UInt8] {
        precondition(challenge.count == 8 && passwordHash.count == 16)
        let zPasswordHash = passwordHash + [UInt8](repeating: 0, count: 5)
        var response: [UInt8] = []
        response.reserveCapacity(24)
        for slice in 0..<3 {
            let key = Array(zPasswordHash[(slice * 7)..<(slice * 7 + 7)])
            response += DES.encryptBlock(key7: key, block: challenge)
        }
        return response
    }

    /// GenerateNTResponse (RFC 2759 §8.1), from the stored NT hash rather than the password.
    public static func generateNTResponse(
        authenticatorChallenge: [UInt8],
        peerChallenge: [UInt8],
        userName: [UInt8],
        passwordHash: [UInt8]
    ) -> [UInt8] {
        let challenge = Self.challengeHash(
            peerChallenge: peerChallenge,
            authenticatorChallenge: authenticatorChallenge,
            userName: userName
        )
        return Self.challengeResponse(challenge: challenge, passwordHash: passwordHash)
    }

    /// GenerateAuthenticatorResponse (RFC 2759 §8.7): `"S="` followed by 40 upper-case hex digits.
    public static func generateAuthenticatorResponse(
        passwordHash: [UInt8],
        ntResponse: [UInt8],
        peerChallenge: [UInt8],
        authenticatorChallenge: [UInt8],
        userName: [UInt8]
    ) -> String {
        "S="
            + Hex.encodeUpper(
                Self.authenticatorResponseDigest(
                    passwordHash: passwordHash,
                    ntResponse: ntResponse,
                    peerChallenge: peerChallenge,
                    authenticatorChallenge: authenticatorChallenge,
                    userName: userName
                )
            )
    }

    /// CheckAuthenticatorResponse (RFC 2759 §8.8), comparing in constant time.
    ///
    /// `receivedResponse` is the 42-character `S=…` string from the Success packet; hex case is accepted
    /// either way on receipt.
    public static func checkAuthenticatorResponse(
        passwordHash: [UInt8],
        ntResponse: [UInt8],
        peerChallenge: [UInt8],
        authenticatorChallenge: [UInt8],
        userName: [UInt8],
        receivedResponse: String
    ) -> Bool {
        let received = Array(receivedResponse.utf8)
        guard received.count == 42, received[0] == UInt8(ascii: "S"), received[1] == UInt8(ascii: "="),
            let digest = Hex.decode(received[2...])
        else { return false }
        let expected = Self.authenticatorResponseDigest(
            passwordHash: passwordHash,
            ntResponse: ntResponse,
            peerChallenge: peerChallenge,
            authenticatorChallenge: authenticatorChallenge,
            userName: userName
        )
        return ConstantTime.equals(digest, expected)
    }

    private static func authenticatorResponseDigest(
        passwordHash: [UInt8],
        ntResponse: [UInt8],
        peerChallenge: [UInt8],
        authenticatorChallenge: [UInt8],
        userName: [UInt8]
    ) -> [UInt8] {
        precondition(ntResponse.count == 24, "NT-Response is 24 octets")
        let passwordHashHash = Self.hashNtPasswordHash(passwordHash)
        let digest = HashFunction.sha1.digest(passwordHashHash + ntResponse + Self.authenticatorMagic1)
        let challenge = Self.challengeHash(
            peerChallenge: peerChallenge,
            authenticatorChallenge: authenticatorChallenge,
            userName: userName
        )
        return HashFunction.sha1.digest(digest + challenge + Self.authenticatorMagic2)
    }
}

/// The NT password hash a user store keeps instead of the password (`sstpctl user add`).
public enum NTHash {
    /// NtPasswordHash(password): 16 octets (RFC 2759 §8.3).
    public static func fromPassword(_ password: String) -> [UInt8] {
        MSCHAPv2Crypto.ntPasswordHash(password: password)
    }
}
