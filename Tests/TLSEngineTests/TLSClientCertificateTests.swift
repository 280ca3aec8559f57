import TLSEngine
import Testing

/// Servers that require a client certificate (the EAP-TLS set-up, RFC 5216 §2.1).
@Suite struct TLSClientCertificateTests {
    /// `openssl x509 -in client.pem -outform der | sha256sum`
    static let clientLeafSHA256Hex = "7b84d2405be559fa805d500484c1fdb6f141315f874cc7ea1e9ff493a5cc2e8a"

    static func server() throws -> TLSConnection {
        try TLSConnection(
            context: TLSContext.server(
                certificateChainFile: Fixtures.serverChainFile, privateKeyFile: Fixtures.serverKeyFile,
                clientTrustRootsFile: Fixtures.caFile))
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func clientCertificateIsVerifiedAndVisible(version: TLSVersion) throws {
        let server = try Self.server()
        let client = try TLSConnection(
            context: TLSContext.client(
                trustRootsFile: Fixtures.caFile, certificateChainFile: Fixtures.directory + "/client.pem",
                privateKeyFile: Fixtures.directory + "/client.key", minimumVersion: version, maximumVersion: version),
            serverName: "sstp.example.test")
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.isComplete && states.server.isComplete)
        #expect(hex(try #require(server.peerCertificateHash(.sha256))) == Self.clientLeafSHA256Hex)
        #expect(server.peerCertificateDER == client.context.leafCertificateDER)
        #expect(hex(try #require(client.context.leafCertificateSHA256)) == Self.clientLeafSHA256Hex)
    }

    @Test(arguments: [TLSVersion.tls12, .tls13])
    func clientWithoutCertificateIsRejected(version: TLSVersion) throws {
        let server = try Self.server()
        let client = try TLSConnection(context: Fixtures.clientContext(version: version))
        let states = interactInMemory(client: client, server: server)
        #expect(states.server.error?.code == .handshakeFailed)
        #expect(String(describing: states.server.error!).contains("peer did not return a certificate"))
    }

    @Test func clientPresentingTheServerCertificateIsRejected() throws {
        // Chains to the right CA, but lacks the clientAuth extended key usage.
        let server = try Self.server()
        let client = try TLSConnection(
            context: TLSContext.client(
                trustRootsFile: Fixtures.caFile, certificateChainFile: Fixtures.serverChainFile,
                privateKeyFile: Fixtures.serverKeyFile))
        let states = interactInMemory(client: client, server: server)
        #expect(states.server.error?.code == .certificateVerificationFailed)
    }
}
