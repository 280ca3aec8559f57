import Testing

@testable import CryptoPrimitives

/// (8-byte key, plaintext, ciphertext) single-block vectors.
private let desVectors: [(String, String, String)] = [
    // FIPS 81 Appendix B: "Now is t".
    ("0123456789abcdef", "4e6f772069732074", "3fa40e8a984d4815"),
    // The worked example in FIPS 46 tutorials (J. Orlin Grabbe, "The DES Algorithm Illustrated").
    ("133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405"),
    // A weak key (all subkeys equal): OpenSSL must not refuse it, since MS-CHAPv2 keys are not chosen.
    ("0101010101010101", "0000000000000000", "8ca64de9c1b123a7"),
]

@Suite struct DESTests {
    @Test(arguments: desVectors)
    func swiftImplementationMatchesVectors(key: String, plain: String, cipher: String) {
        #expect(SoftwareDES.encrypt(key8: hex(key), block: hex(plain)) == hex(cipher))
    }

    @Test(arguments: desVectors)
    func legacyProviderMatchesVectors(key: String, plain: String, cipher: String) throws {
        let provider = try #require(LegacyProvider(providerName: "legacy"))
        #expect(provider.desEncrypt(key8: hex(key), block: hex(plain)) == hex(cipher))
    }

    /// RFC 2759 §9.2: the NT-Response is DesEncrypt of the ChallengeHash under the three 7-byte slices of the
    /// zero-padded PasswordHash 44EBBA8D5312B8D611474411F56989AE.
    @Test func encryptBlockWithSevenByteKeysMatchesRFC2759() {
        let challengeHash = hex("D02E4386BCE91226")
        #expect(DES.encryptBlock(key7: hex("44EBBA8D5312B8"), block: challengeHash) == hex("82309ECD8D708B5E"))
        #expect(DES.encryptBlock(key7: hex("D611474411F569"), block: challengeHash) == hex("A08FAA3981CD8354"))
        #expect(DES.encryptBlock(key7: hex("89AE0000000000"), block: challengeHash) == hex("4233114A3D85D6DF"))
    }

    @Test func keyExpansionInsertsOddParity() {
        // 56 one-bits -> every byte FE with parity bit: 7 ones + parity 0 = odd.
        #expect(DES.expandKey([UInt8](repeating: 0xFF, count: 7)) == [UInt8](repeating: 0xFE, count: 8))
        #expect(DES.expandKey([UInt8](repeating: 0x00, count: 7)) == [UInt8](repeating: 0x01, count: 8))
        // 0x44EBBA8D5312B8 in 7-bit groups: 0100010 0111010 1110111 0101000 1101010 1001100 0100101 0111000.
        #expect(DES.expandKey(hex("44EBBA8D5312B8")) == hex("4575EF51D5984A70"))
    }

    @Test func swiftAndOpenSSLAgreeOnPseudoRandomBlocks() throws {
        let provider = try #require(LegacyProvider(providerName: "legacy"))
        var bytes = TestBytes(seed: 46)
        for _ in 0..<200 {
            let key = bytes.next(8)
            let block = bytes.next(8)
            #expect(SoftwareDES.encrypt(key8: key, block: block) == provider.desEncrypt(key8: key, block: block))
        }
    }
}
