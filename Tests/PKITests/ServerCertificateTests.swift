import Foundation
import PKI
import TLSEngine
import Testing

@Suite struct ServerCertificateTests {
    @Test func serverCertificateHasSANEKUAndCDP() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(commonName: "Server Test Root")
        let issued = try store.issueServer(
            name: "vpn.example.test", ipAddresses: ["192.0.2.10", "2001:db8::1"], days: 90,
            crlURL: "http://vpn.example.test/crl.pem")

        let verified = try openssl(["verify", "-CAfile", store.caCertificatePath, issued.certificatePath])
        #expect(verified.succeeded, "\(verified.output)")
        #expect(verified.output.contains(": OK"))
        let purpose = try openssl([
            "verify", "-purpose", "sslserver", "-CAfile", store.caCertificatePath, issued.certificatePath,
        ])
        #expect(purpose.succeeded)

        let text = try openssl(["x509", "-in", issued.certificatePath, "-noout", "-text"]).output
        #expect(text.contains("Subject: CN = vpn.example.test"))
        #expect(text.contains("Issuer: CN = Server Test Root"))
        #expect(text.contains("DNS:vpn.example.test, IP Address:192.0.2.10, IP Address:2001:DB8:0:0:0:0:0:1"))
        #expect(text.contains("X509v3 Extended Key Usage: \n                TLS Web Server Authentication"))
        #expect(text.contains("X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment"))
        #expect(text.contains("X509v3 Basic Constraints: critical\n                CA:FALSE"))
        #expect(text.contains("X509v3 CRL Distribution Points"))
        #expect(text.contains("URI:http://vpn.example.test/crl.pem"))
        #expect(text.contains("Public-Key: (2048 bit)"))

        // The chain file is the leaf first, then the CA (RFC 8446 §4.4.2).
        let chainPath = try #require(issued.chainPath)
        let chain = try String(contentsOfFile: chainPath, encoding: .utf8)
        let leaf = try String(contentsOfFile: issued.certificatePath, encoding: .utf8)
        let ca = try String(contentsOfFile: store.caCertificatePath, encoding: .utf8)
        #expect(chain == leaf + ca)
        #expect(mode(issued.keyPath) == 0o600)
        #expect(try openssl(["pkey", "-in", issued.keyPath, "-noout"]).succeeded)
    }

    @Test func anIPAddressNameBecomesAnIPSAN() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.store.initializeCA(algorithm: .ecdsaP256)
        let issued = try scratch.store.issueServer(name: "10.79.0.2")
        let text = try openssl(["x509", "-in", issued.certificatePath, "-noout", "-ext", "subjectAltName"]).output
        #expect(text.contains("IP Address:10.79.0.2"))
        #expect(!text.contains("DNS:"))
    }

    @Test func badNamesURLsAndValidityAreRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(algorithm: .ecdsaP256, days: 30)
        for name in ["bad name", "a,DNS:evil.test", "-x.test", "x..test", ""] {
            let error = #expect(throws: PKIError.self) { try store.issueServer(name: name) }
            #expect(error?.code == .invalidInput, "\(name)")
        }
        #expect(throws: PKIError.self) { try store.issueServer(name: "ok.test", ipAddresses: ["300.1.1.1"]) }
        for url in ["https://x.test/crl", "http://x.test/a,URI:http://evil", "http://x test/"] {
            #expect(throws: PKIError.self) { try store.issueServer(name: "ok.test", crlURL: url) }
        }
        // A leaf may not outlive its CA.
        #expect(throws: PKIError.self) { try store.issueServer(name: "ok.test", days: 31) }
        #expect(CertificateProfile.isValidDNSName("*.example.test"))
        // Nothing refused was recorded.
        #expect(try store.loadIndex().entries.count == 1)
    }

    @Test(arguments: [false, true])
    func tlsHandshakeWithTheIssuedCertificate(ecdsa: Bool) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(algorithm: ecdsa ? .ecdsaP256 : .defaultCA)
        let issued = try store.issueServer(name: "vpn.example.test", ipAddresses: ["127.0.0.1"])
        let chainPath = try #require(issued.chainPath)
        let serverContext = try TLSContext.server(
            certificateChainPEM: String(contentsOfFile: chainPath, encoding: .utf8),
            privateKeyPEM: String(contentsOfFile: issued.keyPath, encoding: .utf8))
        // What sstpd hashes for the crypto binding is the leaf we issued.
        let leaf = try Certificate(pem: String(contentsOfFile: issued.certificatePath, encoding: .utf8))
        #expect(serverContext.leafCertificateDER == leaf.derEncoded)

        for version in [TLSVersion.tls12, .tls13] {
            let clientContext = try TLSContext.client(
                trustRootsFile: store.caCertificatePath, minimumVersion: version, maximumVersion: version)
            for name in ["vpn.example.test", "127.0.0.1"] {
                let server = try TLSConnection(context: serverContext)
                let client = try TLSConnection(context: clientContext, serverName: name)
                #expect(handshakeSucceeds(client: client, server: server), "\(version) \(name)")
                #expect(client.peerCertificateDER == leaf.derEncoded)
            }
            // The name check still applies.
            let server = try TLSConnection(context: serverContext)
            let client = try TLSConnection(context: clientContext, serverName: "other.example.test")
            #expect(!handshakeSucceeds(client: client, server: server))
        }
    }

    @Test func aClientTrustingAnotherCAFails() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        let other = PKIStore(directory: scratch.path("other"))
        try store.initializeCA(algorithm: .ecdsaP256)
        try other.initializeCA(algorithm: .ecdsaP256)
        let issued = try store.issueServer(name: "vpn.example.test")
        let serverContext = try TLSContext.server(
            certificateChainFile: try #require(issued.chainPath), privateKeyFile: issued.keyPath)
        let client = try TLSConnection(
            context: TLSContext.client(trustRootsFile: other.caCertificatePath), serverName: "vpn.example.test")
        let server = try TLSConnection(context: serverContext)
        #expect(!handshakeSucceeds(client: client, server: server))
    }
}
