import Foundation
import PKI
import Testing

@Suite struct ClientCertificateTests {
    @Test func clientCertificateAndPKCS12() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(algorithm: .ecdsaP256)
        let issued = try store.issueClient(name: "alice", pkcs12Password: "correct horse", days: 30)
        #expect(issued.entry.subject == "CN=alice")
        #expect(issued.entry.kind == .client)

        let verified = try openssl([
            "verify", "-purpose", "sslclient", "-CAfile", store.caCertificatePath, issued.certificatePath,
        ])
        #expect(verified.succeeded, "\(verified.output)")
        let text = try openssl(["x509", "-in", issued.certificatePath, "-noout", "-text"]).output
        #expect(text.contains("Subject: CN = alice"))
        #expect(text.contains("X509v3 Extended Key Usage: \n                TLS Web Client Authentication"))
        #expect(!text.contains("Subject Alternative Name"))
        // The server-only purpose is refused (no serverAuth EKU).
        #expect(
            !(try openssl(["verify", "-purpose", "sslserver", "-CAfile", store.caCertificatePath, issued.certificatePath])
                .succeeded))

        let p12 = try #require(issued.pkcs12Path)
        #expect(mode(p12) == 0o600)
        #expect(mode(issued.keyPath) == 0o600)
        // OpenSSL 3 opens it without -legacy: AES-256-CBC bags and a SHA-256 MAC.
        let opened = try openssl(["pkcs12", "-in", p12, "-passin", "pass:correct horse", "-nodes"])
        #expect(opened.succeeded, "\(opened.output)")
        #expect(opened.output.contains("friendlyName: alice"))
        #expect(opened.output.contains("-----BEGIN PRIVATE KEY-----"))
        #expect(opened.output.components(separatedBy: "-----BEGIN CERTIFICATE-----").count == 3)  // leaf + CA
        let info = try openssl(["pkcs12", "-in", p12, "-passin", "pass:correct horse", "-info", "-noout"])
        #expect(info.output.contains("MAC: sha256"))
        #expect(info.output.contains("AES-256-CBC"))
        #expect(!info.output.contains("RC2") && !info.output.contains("3DES"))
        // A wrong password is refused.
        #expect(!(try openssl(["pkcs12", "-in", p12, "-passin", "pass:wrong", "-nodes"]).succeeded))
    }

    @Test func pkcs12CarriesTheMatchingKey() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA()  // RSA: the leaf is RSA-2048
        let issued = try store.issueClient(name: "bob", pkcs12Password: "pw")
        let extracted = try openssl([
            "pkcs12", "-in", try #require(issued.pkcs12Path), "-passin", "pass:pw", "-nodes", "-nocerts",
        ])
        let key = try PrivateKey(pem: extracted.output)
        let certificate = try Certificate(pem: String(contentsOfFile: issued.certificatePath, encoding: .utf8))
        #expect(certificate.matches(key))
        #expect(key.isRSA && key.bits == 2048)
        #expect(#expect(throws: PKIError.self) { try store.issueClient(name: "carol", pkcs12Password: "") }?.code == .invalidInput)
    }
}
