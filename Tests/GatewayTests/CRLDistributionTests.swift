import Foundation
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import PKI
import SSTPServer
import TLSEngine
import Testing

/// sstpd's CRL distribution point: plain HTTP, the DER CRL at the configured path, re-read when the file changes.
@Suite("CRL distribution point")
struct CRLDistributionTests {
    typealias Response = HTTPExchange

    static func exchange(port: Int, _ request: String, group: any EventLoopGroup) async throws -> Response {
        try await HTTPExchange.send(port: port, request, group: group)
    }

    static func get(_ path: String, port: Int, group: any EventLoopGroup, method: String = "GET") async throws -> Response {
        try await exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: crl.example.test\r\n\r\n", group: group)
    }

    @Test("GET serves the DER CRL; a new CRL is served without a restart; other paths and methods are refused")
    func servesAndReloads() async throws {
        let material = try EAPTLSGatewayTests.Material()
        defer { material.remove() }
        _ = try material.pki.makeCRL()
        let gateway = try await InProcessGateway.start {
            $0.crlListen = "127.0.0.1:0"
            $0.crlPath = "/crl/sstpd.crl"
            $0.pkiDirectory = material.pki.directory  // serves pki_dir/crl.pem by default
        }
        let port = try #require(gateway.server.crlListenerAddress?.port)

        let first = try await Self.get("/crl/sstpd.crl", port: port, group: gateway.group)
        #expect(first.status == 200)
        #expect(first.headers["content-type"] == "application/pkix-crl")
        #expect(first.headers["content-length"] == "\(first.body.count)")
        #expect(first.headers["connection"] == "close")
        // The body is the DER of the PEM file (as `openssl crl -outform der` writes it) and lists nothing yet.
        let der = try Self.openssl(["crl", "-in", material.pki.crlPath, "-outform", "der"])
        #expect(first.body == der)
        let firstFile = material.directory.appendingPathComponent("first.crl").path
        try Data(first.body).write(to: URL(fileURLWithPath: firstFile))
        let empty = try CertificateRevocationList(issuersFiles: [material.pki.caCertificatePath], crlFiles: [firstFile])
        #expect(empty.entries.first?.revokedSerials.isEmpty == true)

        // Revoke dave and write a new CRL: the next request gets it (query strings are ignored, as CDP URLs may carry them).
        _ = try material.pki.revokeClient("dave")
        let dave = try X509CertificateInfo(der: Self.openssl(["x509", "-in", material.dave.certificatePath, "-outform", "der"]))
        _ = try material.pki.makeCRL()
        let second = try await Self.get("/crl/sstpd.crl?x=1", port: port, group: gateway.group)
        #expect(second.status == 200)
        #expect(second.body != first.body)
        let secondFile = material.directory.appendingPathComponent("second.crl").path
        try Data(second.body).write(to: URL(fileURLWithPath: secondFile))
        let list = try CertificateRevocationList(issuersFiles: [material.pki.caCertificatePath], crlFiles: [secondFile])
        #expect(list.entries.first?.revokedSerials == [dave.serialNumberHex])
        #expect(list.isRevoked(dave))

        let head = try await Self.get("/crl/sstpd.crl", port: port, group: gateway.group, method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty && head.headers["content-length"] == "\(second.body.count)")
        #expect(try await Self.get("/other.crl", port: port, group: gateway.group).status == 404)
        let post = try await Self.get("/crl/sstpd.crl", port: port, group: gateway.group, method: "POST")
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
        // Garbage is refused without disturbing the listener.
        let garbage = try await Self.exchange(port: port, "\u{1}\u{2}\u{3} nonsense\r\n\r\n", group: gateway.group)
        #expect(garbage.status == 400)
        #expect(try await Self.get("/crl/sstpd.crl", port: port, group: gateway.group).status == 200)
        try await gateway.stop()
    }

    @Test("an unreadable CRL file gives 503 and a logged error, not a crash")
    func missingFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crl-\(UUID().uuidString)")
        let gateway = try await InProcessGateway.start {
            $0.crlListen = "127.0.0.1:0"
            $0.crlFile = directory.appendingPathComponent("missing.pem").path
        }
        let port = try #require(gateway.server.crlListenerAddress?.port)
        #expect(try await Self.get("/sstpd.crl", port: port, group: gateway.group).status == 503)
        #expect(gateway.logs.contains("CRL unavailable"))
        try await gateway.stop()
    }

    static func openssl(_ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = readToEndOfFile(pipe.fileHandleForReading)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return Array(data)
    }
}
