import Testing

@testable import PPPAuth

/// RFC 3079 §3.5.3 sample (same inputs as RFC 2759 §9.2) and protocol.md §1.7 vector 4.
@Suite struct MPPEKeysTests {
    @Test func masterKeyMatchesRFC3079() {
        #expect(
            MPPEKeys.masterKey(passwordHashHash: RFC2759.passwordHashHash, ntResponse: RFC2759.ntResponse)
                == hex("FDECE3717A8C838CB388E527AE3CDD31")
        )
    }

    @Test func sendStartKeyMatchesRFC3079ServerSide() {
        let masterKey = hex("FDECE3717A8C838CB388E527AE3CDD31")
        #expect(
            MPPEKeys.asymmetricStartKey(masterKey: masterKey, isSend: true, isServer: true)
                == hex("8B7CDC149B993A1BA118CB153F56DCCB")
        )
        // The server's send key is the client's receive key; the server's receive key is the client's send key.
        #expect(
            MPPEKeys.asymmetricStartKey(masterKey: masterKey, isSend: false, isServer: false)
                == hex("8B7CDC149B993A1BA118CB153F56DCCB")
        )
        #expect(
            MPPEKeys.asymmetricStartKey(masterKey: masterKey, isSend: false, isServer: true)
                == hex("d5f0e9521e3ea9589645e86051c82226")
        )
        #expect(
            MPPEKeys.asymmetricStartKey(masterKey: masterKey, keyLength: 8, isSend: true, isServer: true)
                == hex("8B7CDC149B993A1B")
        )
    }

    @Test func serverAndClientHLAKMatchProtocolVector() {
        let server = MPPEKeys(passwordHash: RFC2759.passwordHash, ntResponse: RFC2759.ntResponse, isServer: true)
        let client = MPPEKeys(passwordHash: RFC2759.passwordHash, ntResponse: RFC2759.ntResponse, isServer: false)
        #expect(server.masterSendKey == hex("8B7CDC149B993A1BA118CB153F56DCCB"))
        #expect(server.masterReceiveKey == client.masterSendKey)
        #expect(server.masterSendKey == client.masterReceiveKey)
        #expect(server.hlak == RFC2759.hlak)
        #expect(client.hlak == RFC2759.hlak)
        // The trap protocol.md warns about: the server's own send ‖ recv order is wrong.
        #expect(server.masterSendKey + server.masterReceiveKey != RFC2759.hlak)
    }

    @Test func descriptionRedactsKeys() {
        let keys = MPPEKeys(passwordHash: RFC2759.passwordHash, ntResponse: RFC2759.ntResponse, isServer: true)
        #expect(keys.description == "MPPEKeys(server, <redacted>)")
        let result = AuthenticationResult(username: "CORP\\User", userNameWithoutDomain: "User", keys: keys)
        #expect(!result.description.contains("8B7C"))
        #expect(!result.description.lowercased().contains("8b7c"))
    }
}
