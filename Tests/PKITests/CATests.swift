import Foundation
import PKI
import Testing

@Suite struct CATests {
    @Test func rsaCAHasTheCAProfileAndPrivateFiles() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        let entry = try store.initializeCA(commonName: "Test Root", days: 100)
        #expect(entry.kind == .ca)
        #expect(entry.subject == "CN=Test Root")

        let text = try openssl(["x509", "-in", store.caCertificatePath, "-noout", "-text"])
        #expect(text.succeeded)
        #expect(text.output.contains("Public-Key: (3072 bit)"))
        #expect(text.output.contains("X509v3 Basic Constraints: critical\n                CA:TRUE"))
        #expect(text.output.contains("X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign"))
        #expect(text.output.contains("X509v3 Subject Key Identifier"))
        #expect(text.output.contains("X509v3 Authority Key Identifier"))
        #expect(text.output.contains("Subject: CN = Test Root"))
        #expect(text.output.contains("Signature Algorithm: sha256WithRSAEncryption"))
        // A self-signed root verifies against itself.
        #expect(try openssl(["verify", "-CAfile", store.caCertificatePath, store.caCertificatePath]).succeeded)

        #expect(mode(store.directory) == 0o700)
        #expect(mode(store.directory + "/private") == 0o700)
        #expect(mode(store.caKeyPath) == 0o600)
        #expect(mode(store.caCertificatePath) == 0o644)
        let key = try openssl(["pkey", "-in", store.caKeyPath, "-noout", "-text"])
        #expect(key.succeeded && key.output.contains("3072 bit"))
    }

    @Test func secondInitIsRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.store.initializeCA(algorithm: .ecdsaP256)
        let error = #expect(throws: PKIError.self) { try scratch.store.initializeCA(algorithm: .ecdsaP256) }
        #expect(error?.code == .alreadyInitialized)
    }

    @Test func operationsBeforeInitReportNotInitialized() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let error = #expect(throws: PKIError.self) { try scratch.store.issueServer(name: "vpn.example.test") }
        #expect(error?.code == .notInitialized)
        #expect(#expect(throws: PKIError.self) { try scratch.store.loadIndex() }?.code == .notInitialized)
    }

    @Test func ecdsaCAIssuesVerifiableP256Certificates() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(commonName: "EC Root", algorithm: .ecdsaP256)
        let ca = try openssl(["x509", "-in", store.caCertificatePath, "-noout", "-text"])
        #expect(ca.output.contains("ASN1 OID: prime256v1"))
        #expect(ca.output.contains("Signature Algorithm: ecdsa-with-SHA256"))

        let server = try store.issueServer(name: "vpn.example.test")
        let client = try store.issueClient(name: "alice", pkcs12Password: "pw")
        for path in [server.certificatePath, client.certificatePath] {
            let verified = try openssl(["verify", "-CAfile", store.caCertificatePath, path])
            #expect(verified.succeeded, "\(verified.output)")
        }
        let leaf = try openssl(["x509", "-in", server.certificatePath, "-noout", "-text"])
        #expect(leaf.output.contains("ASN1 OID: prime256v1"))
        // keyEncipherment is for RSA key transport only.
        #expect(leaf.output.contains("X509v3 Key Usage: critical\n                Digital Signature\n"))
    }

    @Test func invalidInputsAreRefused() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(#expect(throws: PKIError.self) { try scratch.store.initializeCA(days: 0) }?.code == .invalidInput)
        #expect(throws: PKIError.self) { try PrivateKey.generate(.rsa(bits: 1024)) }
        #expect(throws: PKIError.self) {
            try CertificateBuilder.issue(
                commonName: "", subjectKey: PrivateKey.generate(.ecdsaP256), serial: [1], notBefore: Date(),
                notAfter: Date() + 60, profile: .certificateAuthority, issuer: nil)
        }
        #expect(throws: PKIError.self) {
            try CertificateBuilder.issue(
                commonName: "x", subjectKey: PrivateKey.generate(.ecdsaP256), serial: [0x80, 1], notBefore: Date(),
                notAfter: Date() + 60, profile: .certificateAuthority, issuer: nil)
        }
    }
}
