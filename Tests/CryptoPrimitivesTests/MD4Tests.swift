import Testing

@testable import CryptoPrimitives

/// RFC 1320 §A.5 test suite.
private let rfc1320Suite: [(String, String)] = [
    ("", "31d6cfe0d16ae931b73c59d7e0c089c0"),
    ("a", "bde52cb31de33e46245e05fbdbd6fb24"),
    ("abc", "a448017aaf21d8525fc10ae87aa6729d"),
    ("message digest", "d9130a8164549fe818874806e1c7014b"),
    ("abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"),
    (
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "e33b4ddc9c38f2199c3e7b164fcc0536"
    ),
]

@Suite struct MD4Tests {
    @Test(arguments: rfc1320Suite)
    func publicAPIMatchesRFC1320(message: String, digest: String) {
        #expect(MD4.digest(Array(message.utf8)) == hex(digest))
    }

    @Test(arguments: rfc1320Suite)
    func swiftImplementationMatchesRFC1320(message: String, digest: String) {
        #expect(SoftwareMD4.digest(Array(message.utf8)) == hex(digest))
    }

    @Test(arguments: rfc1320Suite)
    func legacyProviderMatchesRFC1320(message: String, digest: String) throws {
        let provider = try #require(LegacyProvider(providerName: "legacy"))
        #expect(provider.md4Digest(Array(message.utf8)) == hex(digest))
    }

    /// Every padding boundary (55/56/63/64/65 …) agrees between the two implementations.
    @Test func swiftAndOpenSSLAgreeOnAllLengthsUpTo200() throws {
        let provider = try #require(LegacyProvider(providerName: "legacy"))
        var bytes = TestBytes(seed: 1320)
        for length in 0...200 {
            let message = bytes.next(length)
            #expect(SoftwareMD4.digest(message) == provider.md4Digest(message), "length \(length)")
        }
    }

    @Test func backendIsTheLegacyProviderOnThisSystem() {
        #expect(MD4.backend == .openSSLLegacyProvider)
        #expect(DES.backend == .openSSLLegacyProvider)
    }

    @Test func missingProviderYieldsNilSoTheSwiftFallbackIsUsed() {
        #expect(LegacyProvider(providerName: "no-such-provider") == nil)
    }
}
