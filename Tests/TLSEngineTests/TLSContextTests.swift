import TLSEngine
import Testing

@Suite struct TLSContextTests {
    @Test func serverContextExposesLeafHashesMatchingOpenSSLCLI() throws {
        let context = try Fixtures.serverContext()
        #expect(context.role == .server)
        #expect(hex(try #require(context.leafCertificateSHA256)) == Fixtures.serverLeafSHA256Hex)
        #expect(hex(try #require(context.leafCertificateSHA1)) == Fixtures.serverLeafSHA1Hex)
        #expect(context.leafCertificateHash(.sha256) == context.leafCertificateSHA256)
        #expect(context.leafCertificateHash(.sha1) == context.leafCertificateSHA1)
        let der = try #require(context.leafCertificateDER)
        #expect(der.first == 0x30)  // DER SEQUENCE
    }

    @Test func pemContextEqualsFileContext() throws {
        let fromFiles = try Fixtures.serverContext()
        let fromPEM = try TLSContext.server(
            certificateChainPEM: Fixtures.text(Fixtures.serverChainFile),
            privateKeyPEM: Fixtures.text(Fixtures.serverKeyFile))
        #expect(fromPEM.leafCertificateDER == fromFiles.leafCertificateDER)
        #expect(hex(try #require(fromPEM.leafCertificateSHA256)) == Fixtures.serverLeafSHA256Hex)
        // And it serves a handshake that verifies against the CA (the chain's CA block is sent as well).
        let server = try TLSConnection(context: fromPEM)
        let client = try TLSConnection(context: Fixtures.clientContext(), serverName: "localhost")
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.isComplete && states.server.isComplete)
    }

    @Test func clientContextHasNoLeaf() throws {
        let context = try Fixtures.clientContext()
        #expect(context.role == .client)
        #expect(context.leafCertificateDER == nil)
        #expect(context.leafCertificateSHA256 == nil)
    }

    @Test func missingFilesAreConfigurationErrors() throws {
        let error = #expect(throws: TLSError.self) {
            try TLSContext.server(
                certificateChainFile: "/nonexistent/server.pem", privateKeyFile: Fixtures.serverKeyFile)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(String(describing: error!).contains("/nonexistent/server.pem"))
        let clientError = #expect(throws: TLSError.self) {
            try TLSContext.client(trustRootsFile: "/nonexistent/ca.pem", verifyPeer: true)
        }
        #expect(clientError?.code == .invalidConfiguration)
    }

    @Test func mismatchedKeyIsRejected() throws {
        let error = #expect(throws: TLSError.self) {
            try TLSContext.server(certificateChainFile: Fixtures.serverChainFile, privateKeyFile: Fixtures.caKeyFile)
        }
        #expect(error?.code == .invalidConfiguration)
        let pemError = #expect(throws: TLSError.self) {
            try TLSContext.server(
                certificateChainPEM: Fixtures.text(Fixtures.serverChainFile),
                privateKeyPEM: Fixtures.text(Fixtures.caKeyFile))
        }
        #expect(pemError?.code == .invalidConfiguration)
    }

    @Test func garbagePEMIsRejected() throws {
        let error = #expect(throws: TLSError.self) {
            try TLSContext.server(certificateChainPEM: "not a certificate", privateKeyPEM: "not a key")
        }
        #expect(error?.code == .invalidConfiguration)
    }

    @Test func invertedVersionRangeIsRejected() throws {
        let error = #expect(throws: TLSError.self) {
            try TLSContext.client(
                trustRootsFile: nil, verifyPeer: false, minimumVersion: .tls13, maximumVersion: .tls12)
        }
        #expect(error?.code == .invalidConfiguration)
    }
}
