import AddressPool
import Foundation
import PKI
import PPPAuth
import SSTPClient
import SSTPServer
import Synchronization
import Testing

/// EAP-TLS policy end to end: CRLs (loaded per connection, fail closed), several trusted roots, PKCS#12 client
/// certificates in sstp-dial, and per-user method policy from the users file.
@Suite("EAP-TLS revocation, roots and policy")
struct EAPTLSPolicyTests {
    typealias Material = EAPTLSGatewayTests.Material

    static func refused(
        _ gateway: InProcessGateway, _ configuration: DialConfiguration, reason: String,
        message: String = "EAP-TLS refused", sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let before = gateway.server.counters.authenticationFailures.load(ordering: .relaxed)
        do {
            _ = try await SSTPDialer.connect(configuration, group: gateway.group, logger: quietLogger)
            Issue.record("connected, expected a refusal (\(reason))", sourceLocation: sourceLocation)
        } catch let error as DialError {
            #expect(error.code == .authenticationFailed, "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)), sourceLocation: sourceLocation)
        #expect(gateway.server.state.poolUsage().used == 0, "a refused client holds a lease", sourceLocation: sourceLocation)
        #expect(
            gateway.server.counters.authenticationFailures.load(ordering: .relaxed) == before + 1,
            sourceLocation: sourceLocation)
        #expect(
            gateway.logs.contains(message, "reason", reason), "logged: \(gateway.logs.all)",
            sourceLocation: sourceLocation)
    }

    static func connects(
        _ gateway: InProcessGateway, _ configuration: DialConfiguration, user: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let tunnel = try await SSTPDialer.connect(configuration, group: gateway.group, logger: quietLogger)
        #expect(gateway.server.state.sessions().first?.user == user, sourceLocation: sourceLocation)
        #expect(gateway.server.state.sessions().first?.cryptoBinding == "SHA-256", sourceLocation: sourceLocation)
        #expect(await ping(through: tunnel), sourceLocation: sourceLocation)
        await tunnel.disconnect()
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)), sourceLocation: sourceLocation)
    }

    @Test("a certificate listed in a CRL written while the gateway runs is refused at the next connection")
    func revokedByCRL() async throws {
        let material = try Material()
        defer { material.remove() }
        _ = try material.pki.makeCRL()  // an empty CRL to start with
        // No pki_dir: only the CRL file says what is revoked.
        let gateway = try await InProcessGateway.start {
            $0.authMethods = ["eap-tls"]
            $0.clientCAFiles = [material.pki.caCertificatePath]
            $0.crlFiles = [material.pki.crlPath]
        }
        try await Self.connects(gateway, EAPTLSGatewayTests.dial(gateway, material.dave, user: "dave"), user: "dave")
        _ = try material.pki.revokeClient("dave")
        _ = try material.pki.makeCRL()
        await Self.refused(
            gateway, EAPTLSGatewayTests.dial(gateway, material.dave, user: "dave"), reason: "certificate revoked by CRL")
        try await Self.connects(gateway, EAPTLSGatewayTests.dial(gateway, material.carol, user: "carol"), user: "carol")
        try await gateway.stop()
    }

    @Test("a CRL not signed by a trusted root is not used: every certificate is refused (fail closed)")
    func forgedCRL() async throws {
        let material = try Material()
        defer { material.remove() }
        // The unrelated CA's CRL, configured as if it were ours.
        let other = PKIStore(directory: material.directory.appendingPathComponent("other").path)
        _ = try other.makeCRL()
        let gateway = try await InProcessGateway.start {
            $0.authMethods = ["eap-tls"]
            $0.clientCAFiles = [material.pki.caCertificatePath]
            $0.crlFiles = [other.crlPath]
        }
        await Self.refused(
            gateway, EAPTLSGatewayTests.dial(gateway, material.carol, user: "carol"),
            reason: "the revocation list cannot be read")
        #expect(gateway.logs.contains("cannot use the configured CRLs; refusing certificates"))
        try await gateway.stop()
    }

    @Test("several trusted roots, as separate files or concatenated: certificates from each connect")
    func severalRoots() async throws {
        let material = try Material()
        defer { material.remove() }
        let other = PKIStore(directory: material.directory.appendingPathComponent("other").path)
        let bundle = material.directory.appendingPathComponent("roots.pem").path
        let concatenated =
            try String(contentsOfFile: other.caCertificatePath, encoding: .utf8)
            + String(contentsOfFile: material.pki.caCertificatePath, encoding: .utf8)
        try concatenated.write(toFile: bundle, atomically: true, encoding: .utf8)
        for roots in [[other.caCertificatePath, material.pki.caCertificatePath], [bundle]] {
            let gateway = try await InProcessGateway.start {
                $0.authMethods = ["eap-tls"]
                $0.clientCAFiles = roots
            }
            try await Self.connects(gateway, EAPTLSGatewayTests.dial(gateway, material.eve, user: "eve"), user: "eve")
            try await Self.connects(
                gateway, EAPTLSGatewayTests.dial(gateway, material.carol, user: "carol"), user: "carol")
            try await gateway.stop()
        }
    }

    @Test("sstp-dial with a PKCS#12 client certificate connects; a wrong password is refused before dialling")
    func pkcs12() async throws {
        let material = try Material()
        defer { material.remove() }
        let gateway = try await InProcessGateway.start {
            $0.authMethods = ["eap-tls"]
            $0.clientCAFiles = [material.pki.caCertificatePath]
        }
        var configuration = gateway.dialConfiguration(user: "carol", password: "")
        configuration.certificateFile = material.carol.pkcs12Path
        configuration.pkcs12Password = "p12"
        try await Self.connects(gateway, configuration, user: "carol")
        configuration.pkcs12Password = "not-the-password"
        #expect(throws: (any Error).self) { _ = try configuration.eapTLSContext(certificateFile: configuration.certificateFile!) }
        try await gateway.stop()
    }

    @Test("per-user method policy from the users file applies to both EAP-TLS and MS-CHAPv2")
    func perUserPolicy() async throws {
        let material = try Material()
        defer { material.remove() }
        let alice = try material.pki.issueClient(name: "alice", pkcs12Password: "p12")
        var users = UserDatabase()
        // alice: password only; carol: certificate only (no password stored); dave: no line (global policy).
        try users.set(
            UserRecord(name: "alice", ntPasswordHash: NTHash.fromPassword("alice-password"), allowedMethods: [.msCHAPv2]))
        try users.set(UserRecord(name: "carol", ntPasswordHash: nil, allowedMethods: [.eapTLS]))
        try users.set(
            UserRecord(name: "bob", ntPasswordHash: NTHash.fromPassword("bob-password"), allowedMethods: [.eapTLS]))
        let gateway = try await InProcessGateway.start(users: users) {
            $0.authMethods = ["eap-tls", "mschapv2"]
            $0.clientCAFiles = [material.pki.caCertificatePath]
        }
        try await Self.connects(gateway, EAPTLSGatewayTests.dial(gateway, material.carol, user: "carol"), user: "carol")
        try await Self.connects(gateway, EAPTLSGatewayTests.dial(gateway, material.dave, user: "dave"), user: "dave")
        try await Self.connects(gateway, gateway.dialConfiguration(user: "alice", password: "alice-password"), user: "alice")
        await Self.refused(
            gateway, EAPTLSGatewayTests.dial(gateway, alice, user: "alice"), reason: "EAP-TLS not allowed for this user")
        // bob's password is right, but bob may only use certificates: the same E=691 answer as a wrong password.
        let failuresBefore = gateway.server.counters.authenticationFailures.load(ordering: .relaxed)
        await #expect(throws: DialError.self) {
            _ = try await SSTPDialer.connect(
                gateway.dialConfiguration(user: "bob", password: "bob-password"), group: gateway.group,
                logger: quietLogger)
        }
        #expect(await gateway.server.state.waitUntilNoSessions(timeout: .seconds(10)))
        #expect(gateway.server.counters.authenticationFailures.load(ordering: .relaxed) > failuresBefore)
        #expect(gateway.logs.contains("MS-CHAPv2 not allowed for this user"))
        #expect(gateway.server.state.poolUsage().used == 0)
        try await gateway.stop()
    }
}
