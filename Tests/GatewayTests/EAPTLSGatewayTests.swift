import AddressPool
import Foundation
import PKI
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// Certificate authentication end to end over loopback TLS: EAP-TLS inside PPP inside SSTP, with certificates from
/// sstpctl's own CA (the PKI module), made fresh for each test.
@Suite("EAP-TLS through the gateway")
struct EAPTLSGatewayTests {
    /// A CA with two client certificates (carol, dave) and an unrelated CA with one (eve).
    struct Material {
        let directory: URL
        let pki: PKIStore
        let carol: PKIStore.Issued
        let dave: PKIStore.Issued
        let eve: PKIStore.Issued

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("eaptls-\(UUID().uuidString)")
            pki = PKIStore(directory: directory.appendingPathComponent("pki").path)
            try pki.initializeCA(commonName: "test client CA", algorithm: .ecdsaP256)
            carol = try pki.issueClient(name: "carol", pkcs12Password: "p12")
            dave = try pki.issueClient(name: "dave", pkcs12Password: "p12")
            let other = PKIStore(directory: directory.appendingPathComponent("other").path)
            try other.initializeCA(commonName: "untrusted CA", algorithm: .ecdsaP256)
            eve = try other.issueClient(name: "eve", pkcs12Password: "p12")
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    static func gateway(_ material: Material) async throws -> InProcessGateway {
        try await InProcessGateway.start {
            $0.authMethods = ["eap-tls", "mschapv2"]
            $0.clientCAFiles = [material.pki.caCertificatePath]
            $0.pkiDirectory = material.pki.directory
        }
    }

    static func dial(_ gateway: InProcessGateway, _ issued: PKIStore.Issued, user: String) -> DialConfiguration {
        var configuration = gateway.dialConfiguration(user: user, password: "")
        configuration.certificateFile = issued.certificatePath
        configuration.keyFile = issued.keyPath
        return configuration
    }

    @Test("a client certificate from the trusted CA connects, gets an address, pings, and binds with SHA-256")
    func certificateConnects() async throws {
        let material = try Material()
        defer { material.remove() }
        let gateway = try await Self.gateway(material)
        let report = await CheckMode.check(
            configuration: Self.dial(gateway, material.carol, user: "carol"),
            pingTargets: [Fixtures.hostAddress.description], count: 2, logger: quietLogger, group: gateway.group,
            output: { _ in })
        #expect(report.ok, "\(report.error ?? "")")
        #expect(report.info?.cryptoBinding == "SHA-256")
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        // The session's user is the verified certificate's CN, whatever EAP identity the client claims.
        let tunnel = try await SSTPDialer.connect(
            Self.dial(gateway, material.carol, user: "claimed-identity"), group: gateway.group, logger: quietLogger)
        #expect(gateway.server.state.sessions().first?.user == "carol")
        #expect(gateway.server.state.sessions().first?.cryptoBinding == "SHA-256")
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("the same gateway still serves MS-CHAPv2 clients (LCP Nak switches the method)")
    func passwordFallback() async throws {
        let material = try Material()
        defer { material.remove() }
        let gateway = try await Self.gateway(material)
        let tunnel = try await SSTPDialer.connect(gateway.dialConfiguration(), group: gateway.group, logger: quietLogger)
        #expect(gateway.server.state.sessions().first?.user == "alice")
        #expect(await ping(through: tunnel))
        await tunnel.disconnect()
        try await gateway.stop()
    }

    @Test("a certificate revoked while the gateway runs is refused at the next connection; nothing is leased")
    func revokedWhileRunning() async throws {
        let material = try Material()
        defer { material.remove() }
        let gateway = try await Self.gateway(material)
        let first = try await SSTPDialer.connect(
            Self.dial(gateway, material.dave, user: "dave"), group: gateway.group, logger: quietLogger)
        #expect(gateway.server.state.sessions().first?.user == "dave")
        await first.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        try material.pki.revokeClient("dave")
        do {
            _ = try await SSTPDialer.connect(
                Self.dial(gateway, material.dave, user: "dave"), group: gateway.group, logger: quietLogger)
            Issue.record("a revoked certificate connected")
        } catch let error as DialError {
            #expect(error.code == .authenticationFailed)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        #expect(gateway.server.counters.authenticationFailures.load(ordering: .relaxed) == 1)
        #expect(gateway.logs.contains("EAP-TLS refused", "reason", "certificate revoked"), "\(gateway.logs.all)")
        // Other certificates are unaffected.
        let carol = try await SSTPDialer.connect(
            Self.dial(gateway, material.carol, user: "carol"), group: gateway.group, logger: quietLogger)
        await carol.disconnect()
        try await gateway.stop()
    }

    @Test(
        "an expired certificate and one without the clientAuth usage are refused, logged and counted",
        arguments: ["expired", "server-certificate"])
    func refusedCertificates(kind: String) async throws {
        let material = try Material()
        defer { material.remove() }
        let issued: PKIStore.Issued
        if kind == "expired" {
            // Issued ten days ago for one day.
            issued = try material.pki.issueClient(
                name: "frank", pkcs12Password: "p12", days: 1, now: Date().addingTimeInterval(-10 * 86_400))
        } else {
            // A serverAuth-only certificate from the trusted CA.
            issued = try material.pki.issueServer(name: "gina.example.test")
        }
        let gateway = try await Self.gateway(material)
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(
                Self.dial(gateway, issued, user: kind), group: gateway.group, logger: quietLogger)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        #expect(gateway.server.counters.authenticationFailures.load(ordering: .relaxed) == 1)
        // OpenSSL's chain verification refuses both already (sstpd checks EKU and validity again after it); the log
        // carries its verification result.
        let reason = kind == "expired" ? "certificate has expired" : "unsuitable certificate purpose"
        #expect(
            gateway.logs.all.contains { $0.message == "EAP-TLS failed" && ($0.metadata["reason"] ?? "").contains(reason) },
            "\(gateway.logs.all)")
        try await gateway.stop()
    }

    @Test("a certificate from an untrusted CA is refused cleanly")
    func untrustedCA() async throws {
        let material = try Material()
        defer { material.remove() }
        let gateway = try await Self.gateway(material)
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(
                Self.dial(gateway, material.eve, user: "eve"), group: gateway.group, logger: quietLogger)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.state.poolUsage().used == 0)
        #expect(gateway.server.counters.authenticationFailures.load(ordering: .relaxed) == 1)
        // The TLS layer refused the chain: logged with OpenSSL's verification result.
        #expect(
            gateway.logs.all.contains { $0.message == "EAP-TLS failed" && ($0.metadata["reason"] ?? "").contains("certificate verify failed") },
            "\(gateway.logs.all)")
        try await gateway.stop()
    }
}
