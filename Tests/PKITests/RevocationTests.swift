import Foundation
import PKI
import Testing

@Suite struct RevocationTests {
    @Test func revokedClientIsInTheCRLAndFailsVerification() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA()
        let alice = try store.issueClient(name: "alice", pkcs12Password: "pw")
        let bob = try store.issueClient(name: "bob", pkcs12Password: "pw")
        let ca = store.caCertificatePath

        // An empty CRL first: both verify with the CRL check on.
        let first = try store.makeCRL()
        #expect(first.number == 1)
        for path in [alice.certificatePath, bob.certificatePath] {
            let verified = try openssl(["verify", "-crl_check", "-CRLfile", store.crlPath, "-CAfile", ca, path])
            #expect(verified.succeeded, "\(verified.output)")
        }

        let revoked = try store.revokeClient("alice")
        #expect(revoked.map(\.serial) == [alice.entry.serial])
        let second = try store.makeCRL(days: 3)
        #expect(second.number == 2)
        let crlFile = try scratch.write(second.pem, "crl.pem")
        #expect(try String(contentsOfFile: store.crlPath, encoding: .utf8) == second.pem)

        let text = try openssl(["crl", "-in", crlFile, "-noout", "-text"])
        #expect(text.succeeded)
        #expect(text.output.contains("Version 2 (0x1)"))
        #expect(text.output.contains("Serial Number: \(alice.entry.serial)"))
        #expect(!text.output.contains(bob.entry.serial))
        #expect(text.output.contains("X509v3 CRL Number: \n                2"))
        #expect(text.output.contains("X509v3 Authority Key Identifier"))
        #expect(try openssl(["crl", "-in", crlFile, "-noout", "-CAfile", ca]).output.contains("verify OK"))

        let refused = try openssl(["verify", "-crl_check", "-CRLfile", crlFile, "-CAfile", ca, alice.certificatePath])
        #expect(!refused.succeeded)
        #expect(refused.output.contains("certificate revoked"))
        let accepted = try openssl(["verify", "-crl_check", "-CRLfile", crlFile, "-CAfile", ca, bob.certificatePath])
        #expect(accepted.succeeded, "\(accepted.output)")

        let index = try store.loadIndex()
        #expect(index.crlNumber == 2)
        let aliceEntry = try #require(index.entries.first { $0.serial == alice.entry.serial })
        #expect(aliceEntry.status == .revoked && aliceEntry.revocationDate != nil)
    }

    @Test func revokeByThumbprintInAnyFormat() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(algorithm: .ecdsaP256)
        let first = try store.issueClient(name: "alice", pkcs12Password: "pw")
        let second = try store.issueClient(name: "alice", pkcs12Password: "pw")
        // Lower case with colons, as `openssl x509 -fingerprint` prints it (but lower-cased).
        let fingerprint = try openssl(["x509", "-in", second.certificatePath, "-noout", "-fingerprint", "-sha1"])
        let colonHex = try #require(fingerprint.output.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
        let revoked = try store.revokeClient(colonHex.lowercased())
        #expect(revoked.map(\.serial) == [second.entry.serial])
        // Revoking again finds nothing valid.
        #expect(#expect(throws: PKIError.self) { try store.revokeClient(second.entry.thumbprint) }?.code == .notFound)
        #expect(#expect(throws: PKIError.self) { try store.revokeClient("nobody") }?.code == .notFound)
        // The name revokes the remaining one; the CA itself is never a match.
        #expect(try store.revokeClient("ALICE").map(\.serial) == [first.entry.serial])
        let caThumbprint = try #require(store.loadIndex().entries.first { $0.kind == .ca }).thumbprint
        #expect(throws: PKIError.self) { try store.revokeClient(caThumbprint) }
        let crl = try store.makeCRL()
        let text = try openssl(["crl", "-noout", "-text", "-in", scratch.write(crl.pem, "c.pem")]).output
        #expect(text.contains(first.entry.serial) && text.contains(second.entry.serial))
    }

    @Test func crlBuilderKnownShape() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let thisUpdate = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14T22:13:20Z
        let ca = try CertificateBuilder.issue(
            commonName: "Fixed CA", subjectKey: key, serial: [0x01], notBefore: thisUpdate,
            notAfter: thisUpdate + 86_400 * 365, profile: .certificateAuthority, issuer: nil)
        let pem = try CRLBuilder.make(
            issuer: .init(certificate: ca, key: key),
            revoked: [.init(serialHex: "0A0B", revocationDate: thisUpdate), .init(serialHex: "01", revocationDate: thisUpdate)],
            crlNumber: 42, thisUpdate: thisUpdate, nextUpdate: thisUpdate + 86_400)
        let scratch = try Scratch()
        defer { scratch.remove() }
        let text = try openssl(["crl", "-in", scratch.write(pem, "crl.pem"), "-noout", "-text"]).output
        #expect(text.contains("Last Update: Nov 14 22:13:20 2023 GMT"))
        #expect(text.contains("Next Update: Nov 15 22:13:20 2023 GMT"))
        #expect(text.contains("Issuer: CN = Fixed CA"))
        #expect(text.contains("X509v3 CRL Number: \n                42"))
        // Sorted by serial.
        let first = try #require(text.range(of: "Serial Number: 01"))
        let second = try #require(text.range(of: "Serial Number: 0A0B"))
        #expect(first.lowerBound < second.lowerBound)
    }
}
