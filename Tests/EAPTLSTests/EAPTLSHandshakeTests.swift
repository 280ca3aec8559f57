import EAP
import EAPTLS
import TLSEngine
import Testing

@Suite("EAP-TLS server ↔ peer in memory")
struct EAPTLSHandshakeTests {
    static let versions: [TLSVersion] = [.tls12, .tls13]
    static let fragmentSizes = [200, 1000, 1400]

    @Test("both sides derive the same MSK; HLAK = MSK[0..<32]", arguments: versions, fragmentSizes)
    func handshake(version: TLSVersion, fragmentSize: Int) throws {
        let server = try EAPTLSServer(
            context: try Fixtures.serverContext(version: version), maximumFragmentSize: fragmentSize)
        let peer = try EAPTLSPeer(
            context: try Fixtures.peerContext(), serverName: "sstp.example.test", maximumFragmentSize: fragmentSize)
        let run = runMethod(server: server, peer: peer)
        let serverResult = try #require(run.serverResult)
        let peerResult = try #require(run.peerResult)
        #expect(run.serverFailure == nil && run.peerFailure == nil)

        #expect(serverResult.tlsVersion == version && peerResult.tlsVersion == version)
        #expect(serverResult.keys == peerResult.keys)
        #expect(serverResult.keys.msk.count == 64 && serverResult.keys.emsk.count == 64)
        #expect(serverResult.keys.hlak == Array(serverResult.keys.msk.prefix(32)))
        #expect(serverResult.keys.hlak == peerResult.keys.peerSendKey)
        #expect(serverResult.keys.msk != [UInt8](repeating: 0, count: 64))

        // The MSK equals the exporter output computed independently on the other side's connection, with the
        // label and context spelled out here (RFC 5216 §2.3 / RFC 9190 §2.3).
        let label = version == .tls13 ? "EXPORTER_EAP_TLS_Key_Material" : "client EAP encryption"
        let context: [UInt8]? = version == .tls13 ? [0x0D] : nil
        let onPeer = try peer.connection.exportKeyingMaterial(label: label, context: context, length: 128)
        let onServer = try server.connection.exportKeyingMaterial(label: label, context: context, length: 128)
        #expect(Array(onPeer.prefix(64)) == serverResult.keys.msk)
        #expect(Array(onServer.suffix(64)) == peerResult.keys.emsk)
        if version == .tls13 {
            // Without the 0x0D context the exporter gives other bytes: the context matters.
            let noContext = try peer.connection.exportKeyingMaterial(label: label, context: nil, length: 128)
            #expect(noContext != onPeer)
        }

        // Fragmentation: no fragment carries more TLS Data than configured; the server's flight (certificate
        // chain, ~2.5 KiB) needs several fragments at 200 and 1000 octets.
        for typeData in run.requests + run.responses {
            #expect(try EAPTLSFragment(typeData: typeData).tlsData.count <= fragmentSize)
        }
        let fragmented = try run.requests.filter { try EAPTLSFragment(typeData: $0).flags.contains(.moreFragments) }
        if fragmentSize < 1400 { #expect(!fragmented.isEmpty) }
        #expect(run.requests.first == [0x20])
        // The method ends with the peer's empty Response (the ACK of the last server message).
        #expect(run.responses.last == [0x00])

        // Certificate facts for the composition's authorization.
        let client = try #require(serverResult.peerCertificate)
        #expect(hex(client.sha256Thumbprint) == Fixtures.clientLeafSHA256Hex)
        #expect(client.sha1Thumbprint.count == 20)
        #expect(client.subjectCommonName == "alice")
        #expect(client.issuerCommonName == "sstpd demo CA")
        #expect(client.hasClientAuthUsage)
        // `openssl x509 -in client.pem -noout -dates -serial -fingerprint -sha1`, dates as `date +%s`.
        #expect(client.sha1ThumbprintHex == "2F3949BD58ABF78A0FF8AD139FFC5A913FE44869")
        #expect(client.serialNumberHex == "86B8FDC23C69A3D15E7E2B5A33DD5767")
        #expect(client.notBefore == 1_795_305_721)  // Nov 22 00:02:01 2026 GMT
        #expect(client.notAfter == 2_426_025_721)  // Nov 17 00:02:01 2046 GMT
        #expect(client.isValid(at: client.notAfter) && !client.isValid(at: client.notAfter + 1))
        #expect(!client.isValid(at: client.notBefore - 1))
        let serverCertificate = try #require(peerResult.peerCertificate)
        #expect(hex(serverCertificate.sha256Thumbprint) == Fixtures.serverLeafSHA256Hex)
        #expect(serverCertificate.subjectCommonName == "sstp.example.test")
        #expect(!serverCertificate.hasClientAuthUsage)
    }

    @Test("TLS 1.3: the server's last message is the protected success indication (RFC 9190 §2.5)")
    func protectedSuccessIndication() throws {
        let server = try EAPTLSServer(context: try Fixtures.serverContext(version: .tls13), maximumFragmentSize: 1400)
        let peer = try EAPTLSPeer(context: try Fixtures.peerContext(), maximumFragmentSize: 1400)
        let run = runMethod(server: server, peer: peer)
        #expect(run.serverResult != nil)
        // One TLS 1.3 application-data record: 5-octet header (type 23) + 1 octet + 1 inner type + 16 tag = 23.
        let last = try EAPTLSFragment(typeData: try #require(run.requests.last))
        #expect(last.tlsData.first == 23)
        #expect(last.tlsData.count == 23)
    }

    @Test("a client certificate from an untrusted CA → failure with a reason", arguments: versions)
    func untrustedClient(version: TLSVersion) throws {
        // The server trusts only other-ca.pem; client.pem is issued by ca.pem.
        let server = try EAPTLSServer(
            context: try Fixtures.serverContext(version: version, clientRoots: Fixtures.otherCAFile),
            maximumFragmentSize: 1000)
        let peer = try EAPTLSPeer(context: try Fixtures.peerContext(), maximumFragmentSize: 1000)
        let run = runMethod(server: server, peer: peer)
        #expect(run.serverResult == nil && run.peerResult == nil)
        guard case .clientCertificateRejected(let why) = try #require(run.serverFailure) else {
            Issue.record("expected clientCertificateRejected, got \(String(describing: run.serverFailure))")
            return
        }
        #expect(why.contains("certificate"))
        // The peer saw the server's alert.
        #expect(run.peerFailure != nil)
    }

    @Test("a missing client certificate → failure", arguments: versions)
    func missingClientCertificate(version: TLSVersion) throws {
        let server = try EAPTLSServer(context: try Fixtures.serverContext(version: version), maximumFragmentSize: 1000)
        let peer = try EAPTLSPeer(context: try Fixtures.peerContext(withCertificate: false), maximumFragmentSize: 1000)
        let run = runMethod(server: server, peer: peer)
        #expect(run.serverFailure == .clientCertificateMissing)
        #expect(run.serverResult == nil && run.peerResult == nil)
    }

    @Test("malformed framing from the peer fails the method")
    func malformedFraming() throws {
        let server = try EAPTLSServer(context: try Fixtures.serverContext(version: nil), maximumFragmentSize: 1000)
        _ = server.start()
        guard case .failed(.framing(let missing)) = server.receive([0x40, 0x16]) else {
            Issue.record("expected a framing failure")
            return
        }
        #expect(missing.code == .missingLengthOnFirstFragment)
        let capped = try EAPTLSServer(
            context: try Fixtures.serverContext(version: nil), maximumFragmentSize: 1000, maximumMessageLength: 16_384)
        _ = capped.start()
        guard case .failed(.framing(let tooLong)) = capped.receive([0xC0, 0x00, 0x01, 0x00, 0x00, 0x16]) else {
            Issue.record("expected a framing failure")
            return
        }
        #expect(tooLong.code == .messageTooLong)
    }
}
