import NIOCore
import TLSEngine
import Testing

@Suite struct TLSHandshakeTests {
    @Test(arguments: [
        (TLSVersion.tls12, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"),
        (TLSVersion.tls13, "TLSv1.3", "TLS_AES_256_GCM_SHA384"),
    ])
    func handshakeCompletesInMemory(version: TLSVersion, versionName: String, cipher: String) throws {
        let (client, server) = try connectedPair(version: version)
        #expect(client.negotiatedVersion == versionName)
        #expect(server.negotiatedVersion == versionName)
        #expect(client.negotiatedProtocolVersion == version)
        #expect(server.negotiatedCipher == cipher)
        #expect(client.negotiatedCipher == cipher)
        guard case .complete(let v, let c) = server.drive() else {
            Issue.record("server not complete")
            return
        }
        #expect(v == versionName)
        #expect(c == cipher)
    }

    @Test func serverMaximumVersionIsHonoured() throws {
        let server = try TLSConnection(context: Fixtures.serverContext(maximumVersion: .tls12))
        let client = try TLSConnection(context: Fixtures.clientContext(), serverName: "localhost")
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.isComplete && states.server.isComplete)
        #expect(server.negotiatedProtocolVersion == .tls12)
    }

    @Test func versionMismatchFailsBothSides() throws {
        let server = try TLSConnection(context: Fixtures.serverContext(maximumVersion: .tls12))
        let client = try TLSConnection(context: Fixtures.clientContext(version: .tls13))
        let states = interactInMemory(client: client, server: server)
        #expect(states.server.error?.code == .handshakeFailed)
        #expect(states.client.error?.code == .handshakeFailed)
    }

    @Test func clientWithWrongTrustRootFailsVerification() throws {
        let server = try TLSConnection(context: Fixtures.serverContext())
        let client = try TLSConnection(
            context: Fixtures.clientContext(trustRootsFile: Fixtures.otherCAFile), serverName: "sstp.example.test")
        let states = interactInMemory(client: client, server: server)
        let error = try #require(states.client.error)
        #expect(error.code == .certificateVerificationFailed)
        #expect(String(describing: error).contains("self-signed certificate in certificate chain"))
        // The client's alert reaches the server, whose handshake fails too.
        pump(client, server)
        #expect(server.drive().error?.code == .handshakeFailed)
        #expect(!client.isHandshakeComplete)
    }

    @Test(arguments: ["sstp.example.test", "localhost", "127.0.0.1"])
    func serverNamesInTheCertificateVerify(name: String) throws {
        let server = try TLSConnection(context: Fixtures.serverContext())
        let client = try TLSConnection(context: Fixtures.clientContext(), serverName: name)
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.isComplete && states.server.isComplete)
    }

    @Test(arguments: ["other.example.test", "127.0.0.2"])
    func wrongServerNameFailsVerification(name: String) throws {
        let server = try TLSConnection(context: Fixtures.serverContext())
        let client = try TLSConnection(context: Fixtures.clientContext(), serverName: name)
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.error?.code == .certificateVerificationFailed)
    }

    @Test func unverifiedClientAcceptsAnyCertificate() throws {
        let server = try TLSConnection(context: Fixtures.serverContext())
        let client = try TLSConnection(
            context: TLSContext.client(trustRootsFile: Fixtures.otherCAFile, verifyPeer: false),
            serverName: "other.example.test")
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.isComplete && states.server.isComplete)
    }

    @Test func garbageFailsTheServerHandshakeCleanly() throws {
        let server = try TLSConnection(context: Fixtures.serverContext())
        var garbage = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: sstp.example.test\r\n\r\n")
        server.feedCiphertext(&garbage)
        #expect(garbage.readableBytes == 0)
        let error = try #require(server.drive().error)
        #expect(error.code == .handshakeFailed)
        // Sticky: the connection stays failed.
        #expect(server.drive().error?.code == .handshakeFailed)
        var out = ByteBuffer()
        guard case .error = server.readPlaintext(into: &out) else {
            Issue.record("read after failure did not fail")
            return
        }
    }

    @Test func garbageFailsTheClientHandshakeCleanly() throws {
        let client = try TLSConnection(context: Fixtures.clientContext())
        #expect(!client.drive().isComplete)
        let hello = try #require(client.takeCiphertext())
        #expect(hello.getInteger(at: hello.readerIndex, as: UInt8.self) == 0x16)  // handshake record
        var garbage = ByteBuffer(bytes: [0x16, 0x03, 0x03, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff])
        client.feedCiphertext(&garbage)
        #expect(client.drive().error?.code == .handshakeFailed)
        // An alert was produced for the peer.
        let alert = try #require(client.takeCiphertext())
        #expect(alert.getInteger(at: alert.readerIndex, as: UInt8.self) == 0x15)
    }

    @Test func partialRecordsWaitForMoreBytes() throws {
        let server = try TLSConnection(context: Fixtures.serverContext())
        let client = try TLSConnection(context: Fixtures.clientContext())
        _ = client.drive()
        var hello = try #require(client.takeCiphertext())
        // Drip-feed the ClientHello one byte at a time.
        while var byte = hello.readSlice(length: 1) {
            server.feedCiphertext(&byte)
            if hello.readableBytes > 0 {
                guard case .inProgress = server.drive() else {
                    Issue.record("server did not wait for the rest of the ClientHello")
                    return
                }
                #expect(server.takeCiphertext() == nil)
            }
        }
        let states = interactInMemory(client: client, server: server)
        #expect(states.client.isComplete && states.server.isComplete)
    }
}
