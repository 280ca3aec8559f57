import Foundation
import PKI
import Testing

@Suite struct IndexTests {
    @Test func listedThumbprintsMatchOpenSSL() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        try store.initializeCA(algorithm: .ecdsaP256)
        let server = try store.issueServer(name: "vpn.example.test")
        let client = try store.issueClient(name: "alice", pkcs12Password: "pw")
        let entries = try store.loadIndex().entries
        #expect(entries.map(\.kind) == [.ca, .server, .client])
        for (entry, path) in zip(entries, [store.caCertificatePath, server.certificatePath, client.certificatePath]) {
            let fingerprint = try openssl(["x509", "-in", path, "-noout", "-fingerprint", "-sha1"]).output
            // "SHA1 Fingerprint=AB:CD:..."
            let hex = try #require(fingerprint.split(separator: "=").last).filter { $0 != ":" && !$0.isNewline }
            #expect(entry.thumbprint == String(hex))
            #expect(entry.thumbprint.count == 40)
            let serial = try openssl(["x509", "-in", path, "-noout", "-serial"]).output
            #expect(serial == "serial=\(entry.serial)\n")
            #expect(FileManager.default.fileExists(atPath: store.certificatePath(serial: entry.serial)))
        }
        let endDate = try openssl(["x509", "-in", client.certificatePath, "-noout", "-enddate"]).output
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy 'GMT'"
        let text = endDate.dropFirst("notAfter=".count).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "  ", with: " ")
        #expect(formatter.date(from: text) == entries[2].notAfter)
        #expect(mode(store.indexPath) == 0o644)
    }

    @Test func statusShowsExpiryAndRevocation() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let store = scratch.store
        let now = Date()
        try store.initializeCA(algorithm: .ecdsaP256, now: now - 86_400 * 10)
        let old = try store.issueClient(name: "old", pkcs12Password: "pw", days: 1, now: now - 86_400 * 5)
        let current = try store.issueClient(name: "current", pkcs12Password: "pw", days: 30, now: now)
        try store.revokeClient("current", now: now)
        let entries = try store.loadIndex().entries
        let oldEntry = try #require(entries.first { $0.serial == old.entry.serial })
        let currentEntry = try #require(entries.first { $0.serial == current.entry.serial })
        #expect(oldEntry.displayStatus(at: now) == "expired")
        #expect(currentEntry.displayStatus(at: now) == "revoked")
        #expect(oldEntry.displayStatus(at: now - 86_400 * 5) == "valid")
        // openssl agrees that the old one expired.
        let verified = try openssl(["verify", "-CAfile", store.caCertificatePath, old.certificatePath])
        #expect(verified.output.contains("certificate has expired"))
    }

    @Test func indexRoundTripsThroughJSON() throws {
        var index = PKIIndex()
        index.crlNumber = 7
        index.entries = [
            PKIIndex.Entry(
                serial: "4A01", kind: .client, subject: "CN=alice", commonName: "alice",
                thumbprint: String(repeating: "AB", count: 20), notBefore: Date(timeIntervalSince1970: 1_700_000_000),
                notAfter: Date(timeIntervalSince1970: 1_800_000_000), status: .revoked,
                revocationDate: Date(timeIntervalSince1970: 1_750_000_000))
        ]
        let json = try index.encoded()
        #expect(try PKIIndex(json: json) == index)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"notAfter\" : \"2027-01-15T08:00:00Z\""))
        #expect(text.contains("\"status\" : \"revoked\""))
        #expect(#expect(throws: PKIError.self) { try PKIIndex(json: Array("{".utf8)) }?.code == .corruptState)
    }
}
