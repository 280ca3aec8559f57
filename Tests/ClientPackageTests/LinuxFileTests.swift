import ClientPackage
import Foundation
import Testing

/// The NetworkManager keyfile parses as a keyfile (strictly, and with libnm itself) and says
/// what the SSTP plugin needs; the EAP-TLS package's PKCS#12 file opens with its password.
@Suite struct LinuxFileTests {
    let client: IssuedClient

    init() throws {
        client = try IssuedClient(name: "bob", pkcs12Password: Fixture.pkcs12Password)
    }

    /// Parses `text` with Python's configparser in strict mode (duplicate sections or keys are errors).
    private func parseKeyfile(_ text: String) throws -> [String: [String: String]] {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(Array(text.utf8), "c.nmconnection")
        let parsed = try python(
            """
            import configparser, json, sys
            c = configparser.ConfigParser(strict=True, interpolation=None, delimiters=("=",),
                                          comment_prefixes=("#",), empty_lines_in_values=False)
            c.optionxform = str
            with open(sys.argv[1], encoding="utf-8") as f:
                c.read_file(f)
            print(json.dumps({s: dict(c[s]) for s in c.sections()}))
            """, [path])
        guard parsed.succeeded else { throw TestFailure("configparser: \(parsed.stderr)") }
        return try JSONDecoder().decode([String: [String: String]].self, from: Data(parsed.stdout.utf8))
    }

    @Test func msCHAPv2Keyfile() throws {
        defer { client.directory.remove() }
        let package = Fixture.msCHAPv2(caPEM: client.caPEM)
        let sections = try parseKeyfile(try package.text("linux/networkmanager/Example-VPN.nmconnection"))
        #expect(Set(sections.keys) == ["connection", "vpn", "ipv4", "ipv6"])
        #expect(sections["connection"]?["id"] == "Example VPN")
        #expect(sections["connection"]?["type"] == "vpn")
        #expect(sections["connection"]?["uuid"] == package.connectionUUID.uuidString.lowercased())
        let vpn = try #require(sections["vpn"])
        #expect(vpn["service-type"] == "org.freedesktop.NetworkManager.sstp")
        #expect(vpn["gateway"] == "vpn.example.test")
        #expect(vpn["connection-type"] == "password")
        #expect(vpn["user"] == "alice")
        #expect(vpn["password-flags"] == "2")  // NOT_SAVED: asked each time
        #expect(vpn["password"] == nil)
        #expect(vpn["ca-cert"] == "/etc/sstp-client/Example-VPN/ca.pem")
        #expect(vpn.keys.allSatisfy { Self.pluginKeys.contains($0) }, "\(vpn.keys.sorted())")
        let ipv4 = try #require(sections["ipv4"])
        #expect(ipv4["method"] == "auto")
        #expect(ipv4["never-default"] == "true")
        #expect(ipv4["route1"] == "10.1.0.0/16" && ipv4["route2"] == "10.2.0.0/24" && ipv4["route3"] == "192.168.50.0/24")
        #expect(ipv4["dns-search"] == "corp.example.test;")
    }

    @Test func eapTLSKeyfile() throws {
        defer { client.directory.remove() }
        let package = Fixture.eapTLS(client)
        let sections = try parseKeyfile(try package.text("linux/networkmanager/Example-VPN-certificate.nmconnection"))
        let vpn = try #require(sections["vpn"])
        #expect(vpn["gateway"] == "vpn.example.test:8443")
        #expect(vpn["connection-type"] == "tls")
        #expect(vpn["tls-identity"] == "bob")
        #expect(vpn["tls-user-cert"] == "/etc/sstp-client/Example-VPN-certificate/bob.p12")
        #expect(vpn["tls-user-key"] == vpn["tls-user-cert"])
        #expect(vpn["tls-user-key-secret-flags"] == "2")
        #expect(vpn["tls-ca-cert"] == "/etc/sstp-client/Example-VPN-certificate/ca.pem")
        #expect(vpn["user"] == nil && vpn["password-flags"] == nil)
        #expect(vpn.keys.allSatisfy { Self.pluginKeys.contains($0) }, "\(vpn.keys.sorted())")
        #expect(sections["ipv4"]?["dns-search"] == nil)
    }

    /// network-manager-sstp's `valid_properties` (nm-sstp-service.c) plus `service-type`; anything else makes the
    /// plugin refuse the connection ("property invalid or not supported").
    static let pluginKeys: Set<String> = [
        "service-type", "gateway", "user", "password-flags", "domain", "connection-type", "ca-cert", "ignore-cert-warn",
        "tls-ext", "refuse-eap", "refuse-pap", "refuse-chap", "refuse-mschap", "refuse-mschapv2", "require-mppe",
        "require-mppe-40", "require-mppe-128", "mppe-stateful", "nobsdcomp", "nodeflate", "no-vj-comp",
        "lcp-echo-failure", "lcp-echo-interval", "unit", "proxy-server", "proxy-port", "proxy-user",
        "proxy-password-flags", "uuid", "no-secret", "crl-file", "tls-ca-cert", "tls-identity", "tls-subject-name",
        "tls-user-cert", "tls-user-key", "tls-user-key-secret-flags", "tls-verify-key-usage", "tls-verify-method",
        "tls-remotename", "tls-max-version",
    ]

    static let libnmAvailable = FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libnm.so.0")
        || FileManager.default.fileExists(atPath: "/usr/lib/aarch64-linux-gnu/libnm.so.0")

    /// libnm's own keyfile reader (`nm_keyfile_read`) and `nm_connection_verify` accept both keyfiles.
    @Test(arguments: [false, true]) func libnmReadsAndVerifies(eap: Bool) throws {
        // scripts/install-deps.sh installs libnm0: without it this test fails rather than skips.
        try #require(Self.libnmAvailable, "libnm.so.0 is not installed (scripts/install-deps.sh installs libnm0)")
        defer { client.directory.remove() }
        let package = eap ? Fixture.eapTLS(client) : Fixture.msCHAPv2(caPEM: client.caPEM)
        let file = try #require(try package.files().first { $0.path.hasSuffix(".nmconnection") })
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(file.contents, "c.nmconnection", mode: 0o600)
        let result = try python(Self.libnmProgram, [path])
        #expect(result.succeeded, "\(result.stdout)\(result.stderr)")
        let fields = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "|")
        #expect(
            fields == [
                "org.freedesktop.NetworkManager.sstp", package.connectionName, package.connectionUUID.uuidString.lowercased(),
                package.serverAddress, eap ? "tls" : "password", "\(Fixture.routes.count)",
            ])
    }

    static let libnmProgram = """
        import ctypes, sys
        glib = ctypes.CDLL("libglib-2.0.so.0"); nm = ctypes.CDLL("libnm.so.0")
        class GError(ctypes.Structure):
            _fields_ = [("domain", ctypes.c_uint32), ("code", ctypes.c_int), ("message", ctypes.c_char_p)]
        P, S, E = ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.POINTER(GError))
        glib.g_key_file_new.restype = P
        glib.g_key_file_load_from_data.argtypes = [P, S, ctypes.c_size_t, ctypes.c_int, E]
        nm.nm_keyfile_read.restype = P
        nm.nm_keyfile_read.argtypes = [P, S, ctypes.c_int, P, P, E]
        nm.nm_connection_verify.argtypes = [P, E]
        for f, r, a in [("nm_connection_get_setting_vpn", P, [P]), ("nm_connection_get_setting_ip4_config", P, [P]),
                        ("nm_connection_get_id", S, [P]), ("nm_connection_get_uuid", S, [P]),
                        ("nm_setting_vpn_get_service_type", S, [P]), ("nm_setting_vpn_get_data_item", S, [P, S]),
                        ("nm_setting_ip_config_get_num_routes", ctypes.c_uint, [P])]:
            getattr(nm, f).restype = r; getattr(nm, f).argtypes = a
        data = open(sys.argv[1], "rb").read()
        kf = glib.g_key_file_new(); err = ctypes.POINTER(GError)()
        if not glib.g_key_file_load_from_data(kf, data, len(data), 0, ctypes.byref(err)):
            sys.exit("GKeyFile: " + err.contents.message.decode())
        c = nm.nm_keyfile_read(kf, b"/etc/NetworkManager/system-connections", 0, None, None, ctypes.byref(err))
        if not c: sys.exit("nm_keyfile_read: " + err.contents.message.decode())
        if not nm.nm_connection_verify(c, ctypes.byref(err)): sys.exit("verify: " + err.contents.message.decode())
        vpn = nm.nm_connection_get_setting_vpn(c)
        print("|".join([nm.nm_setting_vpn_get_service_type(vpn).decode(), nm.nm_connection_get_id(c).decode(),
                        nm.nm_connection_get_uuid(c).decode(), nm.nm_setting_vpn_get_data_item(vpn, b"gateway").decode(),
                        nm.nm_setting_vpn_get_data_item(vpn, b"connection-type").decode(),
                        str(nm.nm_setting_ip_config_get_num_routes(nm.nm_connection_get_setting_ip4_config(c)))]))
        """

    /// The PKCS#12 file in the zip is the issued one, opens with its password and not with another.
    @Test func pkcs12OpensWithItsPassword() throws {
        defer { client.directory.remove() }
        let package = Fixture.eapTLS(client)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let zip = try directory.write(try package.zip(modificationDate: Date()), "bob.zip", mode: 0o600)
        let extracted = try python(
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('bob.p12', sys.argv[2])", [zip, directory.path])
        #expect(extracted.succeeded, "\(extracted.stderr)")
        let p12 = directory.file("bob.p12")
        #expect(FileManager.default.contents(atPath: p12).map(Array.init) == client.pkcs12)
        let openssl = try #require(opensslTool)
        let opened = try run(openssl, ["pkcs12", "-in", p12, "-noout", "-passin", "pass:" + Fixture.pkcs12Password])
        #expect(opened.succeeded, "\(opened.stderr)")
        let certificate = try run(
            openssl, ["pkcs12", "-in", p12, "-clcerts", "-nokeys", "-passin", "pass:" + Fixture.pkcs12Password])
        #expect(certificate.stdout.contains("subject=CN = bob"), "\(certificate.stdout)")
        let wrong = try run(openssl, ["pkcs12", "-in", p12, "-noout", "-passin", "pass:" + Fixture.userPassword])
        #expect(!wrong.succeeded)
    }
}
