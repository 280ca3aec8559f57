import Testing

@testable import PPPAuth

@Suite struct MSCHAPv2CryptoTests {
    @Test func ntPasswordHashMatchesRFC2759() {
        #expect(MSCHAPv2Crypto.ntPasswordHash(password: RFC2759.password) == RFC2759.passwordHash)
        #expect(NTHash.fromPassword(RFC2759.password) == RFC2759.passwordHash)
    }

    /// Expected values: `printf '%s' … | iconv -t UTF-16LE | openssl dgst -md4` (independent of this code).
    @Test func ntPasswordHashUsesUTF16LittleEndianIncludingSurrogatePairs() {
        #expect(NTHash.fromPassword("password") == hex("8846f7eaee8fb117ad06bdd830b7586c"))
        #expect(NTHash.fromPassword("Pässwörd€") == hex("04e9d4087e1303bea8e5239aa5ddd064"))
        // U+1F600 is the surrogate pair D83D DE00 -> 3D D8 00 DE.
        #expect(NTHash.fromPassword("a😀b") == hex("ffdc8b254768fd97bf7c08fcffd66fc1"))
    }

    @Test func hashNtPasswordHashMatchesRFC2759() {
        #expect(MSCHAPv2Crypto.hashNtPasswordHash(RFC2759.passwordHash) == RFC2759.passwordHashHash)
    }

    @Test func challengeHashMatchesRFC2759() {
        #expect(
            MSCHAPv2Crypto.challengeHash(
                peerChallenge: RFC2759.peerChallenge,
                authenticatorChallenge: RFC2759.authenticatorChallenge,
                userName: Array(RFC2759.userName.utf8)
            ) == RFC2759.challengeHash
        )
    }

    @Test func challengeHashIgnoresDomainPrefix() {
        for name in ["CORP\\User", "a\\b\\User", "\\User"] {
            #expect(
                MSCHAPv2Crypto.challengeHash(
                    peerChallenge: RFC2759.peerChallenge,
                    authenticatorChallenge: RFC2759.authenticatorChallenge,
                    userName: Array(name.utf8)
                ) == RFC2759.challengeHash,
                "\(name)"
            )
        }
        #expect(MSCHAPv2Crypto.userNameWithoutDomain(Array("CORP\\alice".utf8)) == Array("alice".utf8))
        #expect(MSCHAPv2Crypto.userNameWithoutDomain(Array("alice@corp".utf8)) == Array("alice@corp".utf8))
    }

    @Test func challengeResponseAndNTResponseMatchRFC2759() {
        #expect(
            MSCHAPv2Crypto.challengeResponse(challenge: RFC2759.challengeHash, passwordHash: RFC2759.passwordHash)
                == RFC2759.ntResponse
        )
        #expect(
            MSCHAPv2Crypto.generateNTResponse(
                authenticatorChallenge: RFC2759.authenticatorChallenge,
                peerChallenge: RFC2759.peerChallenge,
                userName: Array(RFC2759.userName.utf8),
                passwordHash: RFC2759.passwordHash
            ) == RFC2759.ntResponse
        )
    }

    @Test func authenticatorResponseMatchesRFC2759() {
        #expect(
            MSCHAPv2Crypto.generateAuthenticatorResponse(
                passwordHash: RFC2759.passwordHash,
                ntResponse: RFC2759.ntResponse,
                peerChallenge: RFC2759.peerChallenge,
                authenticatorChallenge: RFC2759.authenticatorChallenge,
                userName: Array(RFC2759.userName.utf8)
            ) == RFC2759.authenticatorResponse
        )
    }

    @Test func checkAuthenticatorResponse() {
        func check(_ received: String, passwordHash: [UInt8] = RFC2759.passwordHash) -> Bool {
            MSCHAPv2Crypto.checkAuthenticatorResponse(
                passwordHash: passwordHash,
                ntResponse: RFC2759.ntResponse,
                peerChallenge: RFC2759.peerChallenge,
                authenticatorChallenge: RFC2759.authenticatorChallenge,
                userName: Array(RFC2759.userName.utf8),
                receivedResponse: received
            )
        }
        #expect(check(RFC2759.authenticatorResponse))
        #expect(check("S=407a5589115fd0d6209f510fe9c04566932cda56"))  // lower case accepted on receipt
        #expect(!check("S=407A5589115FD0D6209F510FE9C04566932CDA57"))
        #expect(!check("S=407A5589115FD0D6209F510FE9C04566932CDA5"))
        #expect(!check("X=407A5589115FD0D6209F510FE9C04566932CDA56"))
        #expect(!check("S=407A5589115FD0D6209F510FE9C04566932CDAZZ"))
        #expect(!check(RFC2759.authenticatorResponse, passwordHash: NTHash.fromPassword("wrong")))
    }
}
