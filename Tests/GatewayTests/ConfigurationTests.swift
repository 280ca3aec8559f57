import AddressPool
import GatewayPolicy
import Foundation
import SSTPServer
import Testing

@Suite("sstpd configuration file")
struct ConfigurationTests {
    @Test("the documented example parses and validates")
    func exampleFile() throws {
        let path = Command.packageRoot.appendingPathComponent("docs/sstpd.example.toml").path
        let configuration = try ConfigurationFile.load(path: path)
        #expect(configuration.listenPort == 443)
        #expect(configuration.hashProtocols == ["sha256", "sha1"])
        #expect(configuration.poolNetwork == "10.77.0.0/24")
        #expect(configuration.dnsServers == ["10.78.0.2"])
        let (network, gateway) = try configuration.validate()
        #expect(network.prefixLength == 24)
        #expect(gateway.description == "10.77.0.1")
        #expect(configuration.tunQueues == 1)
        #expect(configuration.tunOffload == false)
        #expect(configuration.runAsUser == nil)
    }

    @Test("[tun] queues and offload and [daemon] user/group are read; queues out of range is refused")
    func tunQueuesAndDaemon() throws {
        let base = """
            [tls]
            certificate = "/c.pem"
            private_key = "/k.pem"
            [pool]
            network = "10.77.0.0/24"
            gateway = "10.77.0.1"

            """
        let c = try ConfigurationFile.parse(
            base + "[tun]\nqueues = 0\noffload = true\n[daemon]\nuser = \"sstpd\"\ngroup = \"vpn\"\n")
        #expect(c.tunQueues == 0 && c.tunOffload && c.runAsUser == "sstpd" && c.runAsGroup == "vpn")
        #expect(throws: (any Error).self) { try ConfigurationFile.parse(base + "[tun]\noffload = 1\n") }
        _ = try c.validate()
        var bad = c
        bad.tunQueues = 65
        #expect(throws: ServerConfiguration.Error.self) { try bad.validate() }
        #expect(throws: (any Error).self) { try ConfigurationFile.parse(base + "[daemon]\nuid = 5\n") }
    }

    @Test("values override the defaults; unset keys keep them")
    func overrides() throws {
        let c = try ConfigurationFile.parse(
            """
            [listen]
            port = 8443
            [sstp]
            hash_protocols = ["sha1"]
            [ppp]
            ipv6 = true
            """)
        #expect(c.listenPort == 8443)
        #expect(c.hashProtocols == ["sha1"])
        #expect(c.ipv6)
        #expect(c.listenAddress == ServerConfiguration().listenAddress)
    }

    @Test(
        "mistakes are refused with the key named",
        arguments: [
            ("[listen]\nprot = 1\n", "unknown key listen.prot"),
            ("[lisen]\nport = 1\n", "unknown section [lisen]"),
            ("[listen]\nport = \"443\"\n", "listen.port must be an integer"),
            ("[pool]\ndns = \"1.1.1.1\"\n", "pool.dns must be an array of strings"),
            ("[listen\n", "line 1"),
        ])
    func mistakes(text: String, expected: String) {
        do {
            _ = try ConfigurationFile.parse(text, source: "test.toml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("[auth] client_ca takes one file or several; [auth] crl and [crl] parse and validate")
    func certificateKeys() throws {
        let single = try ConfigurationFile.parse("[auth]\nmethods = [\"eap-tls\"]\nclient_ca = \"/a.pem\"\n")
        #expect(single.clientCAFiles == ["/a.pem"])
        let several = try ConfigurationFile.parse(
            """
            [auth]
            methods = ["eap-tls", "mschapv2"]
            client_ca = ["/a.pem", "/b.pem"]
            crl = "/a.crl"
            pki_dir = "/var/lib/sstpd/pki"
            [crl]
            listen = "0.0.0.0:80"
            path = "/crl/sstpd.crl"
            """)
        #expect(several.clientCAFiles == ["/a.pem", "/b.pem"])
        #expect(several.crlFiles == ["/a.crl"])
        #expect(several.crlListen == "0.0.0.0:80")
        #expect(several.crlPath == "/crl/sstpd.crl")
        #expect(several.effectiveCRLFile == "/var/lib/sstpd/pki/crl.pem")
        _ = try several.validate()
        #expect(throws: ServerConfiguration.Error.self) { try ConfigurationFile.parse("[auth]\nclient_ca = 3\n") }
    }

    @Test("[state], [admin] and [lockout] parse, validate and name their keys")
    func adminKeys() throws {
        let c = try ConfigurationFile.parse(
            """
            [state]
            database = "/srv/sstpd/state.sqlite"
            accounting_flush_interval = 5
            [admin]
            control_socket = "/run/x/c.sock"
            control_group = "root"
            metrics_listen = "127.0.0.1:9443"
            [lockout]
            user_threshold = 3
            address_threshold = 10
            window = 60
            duration = 30
            max_duration = 600
            max_tracked = 500
            """)
        #expect(c.stateDatabase == "/srv/sstpd/state.sqlite" && c.accountingFlushInterval == 5)
        #expect(c.controlSocket == "/run/x/c.sock" && c.controlGroup == "root" && c.metricsListen == "127.0.0.1:9443")
        #expect(try c.controlGroupID() == 0)
        let policy = c.lockoutPolicy
        #expect(policy.userThreshold == 3 && policy.addressThreshold == 10 && policy.window == .seconds(60))
        #expect(policy.lockoutDuration == .seconds(30) && policy.maximumLockout == .seconds(600))
        #expect(policy.maximumTrackedKeys == 500)
        _ = try c.validate()
        for (change, key) in [
            ({ (c: inout ServerConfiguration) in c.stateDatabase = "relative.sqlite" }, "state.database"),
            ({ (c: inout ServerConfiguration) in c.accountingFlushInterval = 0 }, "state.accounting_flush_interval"),
            ({ (c: inout ServerConfiguration) in c.controlSocket = "relative.sock" }, "admin.control_socket"),
            ({ (c: inout ServerConfiguration) in c.metricsListen = "9443" }, "admin.metrics_listen"),
            ({ (c: inout ServerConfiguration) in c.lockoutUserThreshold = 0 }, "lockout.user_threshold"),
            ({ (c: inout ServerConfiguration) in c.lockoutMaxDuration = 10 }, "lockout.max_duration"),
        ] {
            var bad = c
            change(&bad)
            #expect(throws: ServerConfiguration.Error.self, "\(key)") { try bad.validate() }
            #expect((try? bad.validate()) == nil)
            do { _ = try bad.validate() } catch { #expect(error.description.hasPrefix(key), "\(error)") }
        }
        var noGroup = c
        noGroup.controlGroup = "no-such-group-sstpd"
        #expect(throws: ServerConfiguration.Error.self) { try noGroup.controlGroupID() }
    }

    @Test(
        "certificate settings that cannot work are refused with the key named",
        arguments: ["auth.client_ca", "auth.crl", "crl.listen", "crl.path", "crl.file"])
    func certificateValidation(key: String) {
        var c = ServerConfiguration()
        switch key {
        case "auth.client_ca": c.authMethods = ["eap-tls"]
        case "auth.crl": c.crlFiles = ["/x.crl"]
        case "crl.listen": (c.crlListen, c.crlFile) = ("80", "/x")
        case "crl.path": (c.crlListen, c.crlFile, c.crlPath) = ("0.0.0.0:80", "/x", "x")
        default: c.crlListen = "0.0.0.0:80"
        }
        do {
            _ = try c.validate()
            Issue.record("accepted a bad \(key)")
        } catch {
            #expect(error.description.hasPrefix(key), "\(error)")
        }
    }

    @Test(
        "validation names the offending key",
        arguments: ["pool.network", "pool.network/31", "pool.gateway", "pool.dns", "sstp.hash_protocols", "ppp.mru", "log.level"])
    func validation(key: String) {
        var c = ServerConfiguration()
        switch key {
        case "pool.network": c.poolNetwork = "10.77.0.1/24"
        case "pool.network/31": c.poolNetwork = "10.77.0.0/31"
        case "pool.gateway": c.gatewayAddress = "10.77.0"
        case "pool.dns": c.dnsServers = ["a", "b"]
        case "sstp.hash_protocols": c.hashProtocols = ["md5"]
        case "ppp.mru": c.mru = 5000
        default: c.logLevel = "loud"
        }
        do {
            _ = try c.validate()
            Issue.record("accepted a bad \(key)")
        } catch {
            #expect(error.description.hasPrefix(String(key.prefix { $0 != "/" })))
        }
    }
}

@Suite("user database")
struct UserDatabaseTests {
    /// RFC 2759 §9.2: NtPasswordHash("clientPass") = 44EBBA8D5312B8D611474411F56989AE.
    static let clientPassHash: [UInt8] = [
        0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6, 0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE,
    ]

    @Test("the file format: parse(vector) == value and serialized() == vector")
    func format() throws {
        let text = """
            # sstpd users: NAME:NT-HASH[:METHODS] (MD4 of the UTF-16LE password; * = none). Managed by `sstpctl user`.
            User:44EBBA8D5312B8D611474411F56989AE
            pw-only:44EBBA8D5312B8D611474411F56989AE:mschapv2
            both:44EBBA8D5312B8D611474411F56989AE:eap-tls,mschapv2
            cert-only:*:eap-tls

            """
        let database = try UserDatabase(parsing: text)
        #expect(
            database.users == [
                UserRecord(name: "User", ntPasswordHash: Self.clientPassHash),
                UserRecord(name: "pw-only", ntPasswordHash: Self.clientPassHash, allowedMethods: [.msCHAPv2]),
                UserRecord(name: "both", ntPasswordHash: Self.clientPassHash, allowedMethods: [.msCHAPv2, .eapTLS]),
                UserRecord(name: "cert-only", ntPasswordHash: nil, allowedMethods: [.eapTLS]),
            ])
        #expect(database.serialized() == text)
        #expect(database.lookup("User")?.allows(.eapTLS) == true)
        #expect(database.lookup("pw-only")?.allows(.eapTLS) == false)
        #expect(database.lookup("cert-only")?.allows(.msCHAPv2) == false)
    }

    @Test("lookups ignore a DOMAIN\\\\ prefix and letter case")
    func lookup() throws {
        let database = try UserDatabase(parsing: "Alice:44EBBA8D5312B8D611474411F56989AE\n")
        #expect(database.lookup("alice")?.name == "Alice")
        #expect(database.lookup("CORP\\ALICE")?.name == "Alice")
        #expect(database.lookup("bob") == nil)
    }

    @Test(
        "malformed files are refused with the line number",
        arguments: [
            "alice\n", "alice:1234\n", "alice:ZZEBBA8D5312B8D611474411F56989AE\n",
            "a b:44EBBA8D5312B8D611474411F56989AE\n",
            "a:44EBBA8D5312B8D611474411F56989AE\nA:44EBBA8D5312B8D611474411F56989AE\n",
            // Per-user methods: unknown or empty lists, and a password-less user that could use MS-CHAPv2.
            "a:44EBBA8D5312B8D611474411F56989AE:pap\n", "a:44EBBA8D5312B8D611474411F56989AE:\n", "a:*\n",
            "a:*:mschapv2\n", "a:*:eap-tls:x\n",
        ])
    func malformed(text: String) {
        #expect(throws: UserDatabase.Error.self) { try UserDatabase(parsing: text) }
    }

    @Test("saving writes a 0600 file atomically and loading gives the same users")
    func saveAndLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state/users").path
        var database = UserDatabase()
        try database.set(UserRecord(name: "alice", ntPasswordHash: Self.clientPassHash))
        try UserDatabaseFile.save(database, path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        #expect(try UserDatabaseFile.load(path: path) == database)
        let removed = database.remove("ALICE")
        #expect(removed)
        #expect(database.users.isEmpty)
    }
}
