import Testing

@testable import CryptoPrimitives

@Suite struct CryptoSelfTestTests {
    @Test func passesOnTheActiveBackend() throws {
        try CryptoSelfTest.run()
    }

    @Test func passesWithOpenSSLLegacyProviderAndSwift() throws {
        let provider = try #require(LegacyProvider(providerName: "legacy"))
        try CryptoSelfTest.run(legacyProvider: provider)
    }

    @Test func passesWithSwiftFallbackOnly() throws {
        try CryptoSelfTest.run(legacyProvider: nil)
    }

    /// The legacy provider is loaded only into the private context: the default context (used by TLS) still
    /// has no MD4.
    @Test func defaultLibraryContextIsLeftAlone() {
        _ = MD4.digest(Array("abc".utf8))
        #expect(MD4.backend == .openSSLLegacyProvider)
        #expect(!LegacyProvider.defaultContextFetchesDigest("MD4"))
        #expect(LegacyProvider.defaultContextFetchesDigest("SHA256"))
    }

    @Test func errorDescriptionNamesTheTestOnly() {
        let error = CryptoError.selfTestFailed("MD4(\"abc\") [swift]")
        #expect(error.code == .selfTestFailed)
        #expect(error.description == "CryptoError.selfTestFailed: known-answer test failed: MD4(\"abc\") [swift]")
    }
}
