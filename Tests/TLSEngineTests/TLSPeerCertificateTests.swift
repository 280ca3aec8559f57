import TLSEngine
import Testing

@Suite struct TLSPeerCertificateTests {
    @Test(arguments: [TLSVersion.tls12, .tls13])
    func clientSeesTheServersLeafHash(version: TLSVersion) throws {
        let (client, server) = try connectedPair(version: version)
        let context = server.context
        let sha256 = try #require(client.peerCertificateHash(.sha256))
        let sha1 = try #require(client.peerCertificateHash(.sha1))
        #expect(sha256 == context.leafCertificateSHA256)
        #expect(sha1 == context.leafCertificateSHA1)
        #expect(hex(sha256) == Fixtures.serverLeafSHA256Hex)
        #expect(hex(sha1) == Fixtures.serverLeafSHA1Hex)
        #expect(client.peerCertificateDER == context.leafCertificateDER)
        // No client certificate was requested.
        #expect(server.peerCertificateDER == nil)
        #expect(server.peerCertificateHash(.sha256) == nil)
    }

    @Test func noPeerCertificateBeforeHandshake() throws {
        let client = try TLSConnection(context: Fixtures.clientContext())
        #expect(client.peerCertificateDER == nil)
        #expect(client.negotiatedVersion == nil)
        #expect(client.negotiatedCipher == nil)
    }
}
