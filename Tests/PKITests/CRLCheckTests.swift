import Foundation
import PKI
import TLSEngine
import Testing

/// `CertificateRevocationList` (TLSEngine), the check sstpd runs on EAP-TLS client certificates, against CRLs made
/// by sstpctl's CA and by `openssl ca -gencrl` (an independent implementation).
@Suite struct CRLCheckTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/certs")

    static func certificate(_ path: String) throws -> X509CertificateInfo {
        let der = try openssl(["x509", "-in", path, "-outform", "der"], binary: true)
        return try X509CertificateInfo(der: der)
    }

    @Test func crlFromOpenSSLCARevokesTheListedSerialOnly() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let ca = Self.fixtures.appendingPathComponent("ca.pem").path
        let caKey = Self.fixtures.appendingPathComponent("ca.key").path
        let client = Self.fixtures.appendingPathComponent("client.pem").path
        let serial = try openssl(["x509", "-in", client, "-noout", "-serial"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        // openssl ca's text database with the fixture client certificate marked revoked (index.txt format:
        // status, expiry, revocation date, serial, file, subject; tab-separated).
        _ = try scratch.write("R\t401231235959Z\t261101000000Z\t\(serial)\tunknown\t/CN=alice\n", "index.txt")
        _ = try scratch.write("1000\n", "crlnumber")
        let config = try scratch.write(
            """
            [ca]
            default_ca = test
            [test]
            database = \(scratch.path("index.txt"))
            crlnumber = \(scratch.path("crlnumber"))
            default_md = sha256
            default_crl_days = 30

            """, "ca.cnf")
        let made = try openssl([
            "ca", "-gencrl", "-batch", "-config", config, "-cert", ca, "-keyfile", caKey, "-out", scratch.path("crl.pem"),
        ])
        #expect(made.succeeded, "\(made.output)")
        let der = try openssl(["crl", "-in", scratch.path("crl.pem"), "-outform", "der"], binary: true)
        FileManager.default.createFile(atPath: scratch.path("crl.der"), contents: Data(der))

        let alice = try Self.certificate(client)
        let server = try Self.certificate(Self.fixtures.appendingPathComponent("server.pem").path)
        for file in ["crl.pem", "crl.der"] {
            let list = try CertificateRevocationList(issuersFiles: [ca], crlFiles: [scratch.path(file)])
            #expect(list.entries.count == 1)
            #expect(list.entries.first?.issuerCommonName == "sstpd demo CA")
            #expect(list.isRevoked(alice), "\(file)")
            #expect(!list.isRevoked(server), "\(file)")
            #expect(list.staleCRLIssuers(at: Int64(Date().timeIntervalSince1970)).isEmpty)
            #expect(list.staleCRLIssuers(at: Int64(Date().timeIntervalSince1970) + 31 * 86_400) == ["sstpd demo CA"])
        }
        // The unrelated CA has the same subject name but another key: the CRL does not verify with it.
        let other = Self.fixtures.appendingPathComponent("other-ca.pem").path
        #expect(throws: TLSError.self) {
            _ = try CertificateRevocationList(issuersFiles: [other], crlFiles: [scratch.path("crl.pem")])
        }
        // Several issuer files: the right one is found.
        let both = try CertificateRevocationList(issuersFiles: [other, ca], crlFiles: [scratch.path("crl.der")])
        #expect(both.isRevoked(alice))
    }

    @Test func sstpctlCRLsFromTwoCAsApplyOnlyToTheirOwnCertificates() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = scratch.store
        try first.initializeCA(algorithm: .ecdsaP256)
        let second = PKIStore(directory: scratch.path("second"))
        try second.initializeCA()  // RSA-3072
        let a = try first.issueClient(name: "a", pkcs12Password: "pw")
        let b = try second.issueClient(name: "b", pkcs12Password: "pw")
        _ = try first.revokeClient("a")
        _ = try first.makeCRL()
        _ = try second.makeCRL()
        let list = try CertificateRevocationList(
            issuersFiles: [first.caCertificatePath, second.caCertificatePath], crlFiles: [first.crlPath, second.crlPath])
        #expect(list.entries.count == 2)
        #expect(list.isRevoked(try Self.certificate(a.certificatePath)))
        #expect(!list.isRevoked(try Self.certificate(b.certificatePath)))
        // Garbage in a CRL file is an error, not "nothing revoked".
        let junk = try scratch.write("not a CRL\n", "junk.crl")
        #expect(throws: TLSError.self) {
            _ = try CertificateRevocationList(issuersFiles: [first.caCertificatePath], crlFiles: [junk])
        }
        #expect(throws: TLSError.self) {
            _ = try CertificateRevocationList(issuersFiles: [first.caCertificatePath], crlFiles: [scratch.path("missing")])
        }
    }
}

/// Runs `openssl ARGS` and returns its standard output as bytes (for DER output); fails on a non-zero exit.
func openssl(_ arguments: [String], binary: Bool) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = ((try? pipe.fileHandleForReading.readToEnd()) ?? Data())
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestFailure("openssl \(arguments.joined(separator: " ")) failed") }
    return Array(data)
}
