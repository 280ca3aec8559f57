import ClientPackage
import Foundation
import Testing

/// The sstpc and sstp-dial scripts, run for real with stand-ins for `sstpc` and `sstp-dial` that record their
/// arguments: the command lines, the way the secret travels, and pppd's and sstpc's own option
/// parsers accept what the script passes.
@Suite struct ScriptTests {
    let client: IssuedClient
    /// A password with the characters pppd's options-file quoting must escape.
    static let trickyPassword = #"pa"ss\word with space"#

    init() throws {
        client = try IssuedClient(name: "bob", pkcs12Password: Fixture.pkcs12Password)
    }

    /// Unpacks `package` with Python's zipfile and installs a recording stand-in for `tool` in `bin/`.
    private func unpack(_ package: ClientPackage, standIn tool: String) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let zip = try directory.write(try package.zip(modificationDate: Date()), "package.zip")
        let unpacked = try python(
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", [zip, directory.file("pkg")])
        guard unpacked.succeeded else { throw TestFailure(unpacked.stderr) }
        let recorder = """
            #!/bin/sh
            for a in "$@"; do printf '%s\\n' "$a"; done >"$CAPTURE/argv"
            prev=
            for a in "$@"; do
                case "$prev" in
                file|--cert-password-file) cp "$a" "$CAPTURE/secret"; stat -c %a "$a" >"$CAPTURE/secret-mode" ;;
                esac
                prev=$a
            done
            case " $* " in *" --password-stdin "*) IFS= read -r line; printf '%s\\n' "$line" >"$CAPTURE/secret" ;; esac
            exit 3
            """
        _ = try directory.write(Array(recorder.utf8), "bin/" + tool, mode: 0o755)
        return directory
    }

    private func runScript(_ script: String, in directory: TemporaryDirectory, input: String) throws -> ProcessResult {
        try run(
            "/bin/sh", [directory.file("pkg/" + script)], input: input,
            environment: ["PATH": directory.file("bin") + ":/usr/sbin:/usr/bin:/sbin:/bin", "CAPTURE": directory.path])
    }

    private func captured(_ directory: TemporaryDirectory, _ name: String) -> String {
        (try? String(contentsOfFile: directory.file(name), encoding: .utf8)) ?? ""
    }

    @Test func scriptsAreValidShell() throws {
        defer { client.directory.remove() }
        for package in [Fixture.msCHAPv2(caPEM: client.caPEM), Fixture.eapTLS(client)] {
            for file in try package.files() where file.path.hasSuffix(".sh") {
                let directory = try TemporaryDirectory()
                defer { directory.remove() }
                let path = try directory.write(file.contents, "script.sh")
                let checked = try run("/bin/sh", ["-n", path])
                #expect(checked.succeeded, "\(file.path): \(checked.stderr)")
                #expect(String(decoding: file.contents, as: UTF8.self).hasPrefix("#!/bin/sh\n"))
            }
        }
    }

    @Test func sstpcCommandLineForMSCHAPv2() throws {
        defer { client.directory.remove() }
        let directory = try unpack(Fixture.msCHAPv2(caPEM: client.caPEM), standIn: "sstpc")
        defer { directory.remove() }
        let result = try runScript("linux/sstpc.sh", in: directory, input: Self.trickyPassword + "\n")
        #expect(result.status == 3, "\(result.stderr)")
        let argv = captured(directory, "argv").split(separator: "\n").map(String.init)
        let separator = try #require(argv.firstIndex(of: "--"))
        let sstpcArguments = Array(argv[..<separator])
        let pppdArguments = Array(argv[(separator + 1)...])
        #expect(sstpcArguments.last == "vpn.example.test")
        #expect(sstpcArguments.contains("--ca-cert"))
        #expect(sstpcArguments[sstpcArguments.firstIndex(of: "--ca-cert")! + 1] == directory.file("pkg/ca.pem"))
        #expect(sstpcArguments.joined(separator: " ").contains("--user alice"))
        for option in ["require-mschap-v2", "refuse-eap", "refuse-pap", "refuse-chap", "refuse-mschap", "noauth"] {
            #expect(pppdArguments.contains(option), "\(option)")
        }
        #expect(pppdArguments.joined(separator: " ").contains("ifname sstp0"))
        // The password reached pppd only through the options file, quoted for pppd, in a 0600 file.
        #expect(captured(directory, "secret") == #"password "pa\"ss\\word with space""# + "\n")
        #expect(captured(directory, "secret-mode") == "600\n")
        #expect(!argv.contains { $0.contains("word with space") })
        try checkWithRealTools(sstpc: sstpcArguments, pppd: pppdArguments, secretFile: directory.file("secret"))
    }

    @Test func sstpcCommandLineForEAPTLS() throws {
        defer { client.directory.remove() }
        let directory = try unpack(Fixture.eapTLS(client, routes: []), standIn: "sstpc")
        defer { directory.remove() }
        // Without the PEM files made from the PKCS#12, the script says how to make them.
        let refused = try runScript("linux/sstpc.sh", in: directory, input: "x\n")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("openssl pkcs12 -in \(directory.file("pkg/bob.p12")) -nocerts"))
        // The README's openssl commands, with the passwords given on the command line for the test.
        let openssl = try #require(opensslTool)
        let p12 = directory.file("pkg/bob.p12")
        let passIn = "pass:" + Fixture.pkcs12Password
        #expect(
            try run(openssl, ["pkcs12", "-in", p12, "-clcerts", "-nokeys", "-out", directory.file("pkg/bob-cert.pem"), "-passin", passIn]).succeeded)
        #expect(
            try run(openssl, ["pkcs12", "-in", p12, "-nocerts", "-out", directory.file("pkg/bob-key.pem"), "-passin", passIn, "-passout", "pass:key phrase"]).succeeded)

        let result = try runScript("linux/sstpc.sh", in: directory, input: "key phrase\n")
        #expect(result.status == 3, "\(result.stderr)")
        let argv = captured(directory, "argv").split(separator: "\n").map(String.init)
        let separator = try #require(argv.firstIndex(of: "--"))
        let sstpcArguments = Array(argv[..<separator])
        let pppdArguments = Array(argv[(separator + 1)...])
        #expect(sstpcArguments.last == "vpn.example.test:8443")
        #expect(sstpcArguments.contains("--save-server-route"))  // full tunnel
        #expect(!sstpcArguments.contains("--user"))
        let joined = pppdArguments.joined(separator: " ")
        #expect(joined.contains("name bob ca \(directory.file("pkg/ca.pem")) cert \(directory.file("pkg/bob-cert.pem"))"))
        #expect(joined.contains("key \(directory.file("pkg/bob-key.pem"))"))
        for option in ["need-peer-eap", "refuse-mschap-v2", "refuse-pap"] { #expect(pppdArguments.contains(option)) }
        #expect(!pppdArguments.contains("require-mschap-v2"))
        #expect(captured(directory, "secret") == "password \"key phrase\"\n")
        try checkWithRealTools(sstpc: sstpcArguments, pppd: pppdArguments, secretFile: directory.file("secret"))
    }

    /// sstpc's `--help` lists every sstpc flag used, and pppd 2.4.9's parser accepts every pppd option (it stops
    /// later, at the missing /dev/ppp or the stand-in pty, never at "unrecognized option").
    private func checkWithRealTools(sstpc: [String], pppd: [String], secretFile: String) throws {
        // scripts/install-deps.sh installs sstp-client and ppp: without them this fails rather than skips.
        let sstpcTool = try #require(tool("/usr/sbin/sstpc", "/usr/bin/sstpc"), "sstpc is not installed")
        let help = try run(sstpcTool, ["--help"])
        for flag in sstpc where flag.hasPrefix("--") {
            #expect((help.stdout + help.stderr).contains("  \(flag) "), "sstpc has no \(flag)")
        }
        let pppdTool = try #require(tool("/usr/sbin/pppd", "/sbin/pppd"), "pppd is not installed")
        var options = pppd
        if let file = options.firstIndex(of: "file") { options[file + 1] = secretFile }
        let parsed = try run(pppdTool, options + ["nodetach", "pty", "/bin/true"])
        let output = parsed.stdout + parsed.stderr
        #expect(!output.contains("unrecognized option") && !output.contains("pppd version"), "\(output)")
    }

    @Test func sstpDialProfileForMSCHAPv2() throws {
        defer { client.directory.remove() }
        let directory = try unpack(Fixture.msCHAPv2(caPEM: client.caPEM), standIn: "sstp-dial")
        defer { directory.remove() }
        let result = try runScript("sstp-dial/Example-VPN.sh", in: directory, input: Fixture.userPassword + "\n")
        #expect(result.status == 3, "\(result.stderr)")
        let argv = captured(directory, "argv").split(separator: "\n").map(String.init)
        #expect(
            argv == [
                "--server", "vpn.example.test", "--ca", directory.file("pkg/ca.pem"), "--user", "alice",
                "--password-stdin", "--route", "10.1.0.0/16", "--route", "10.2.0.0/24", "--route", "192.168.50.0/24",
            ])
        #expect(captured(directory, "secret") == Fixture.userPassword + "\n")
        try checkSSTPDialFlags(argv)
    }

    @Test func sstpDialProfileForEAPTLS() throws {
        defer { client.directory.remove() }
        let directory = try unpack(Fixture.eapTLS(client), standIn: "sstp-dial")
        defer { directory.remove() }
        let result = try runScript(
            "sstp-dial/Example-VPN-certificate.sh", in: directory, input: Fixture.pkcs12Password + "\n")
        #expect(result.status == 3, "\(result.stderr)")
        let argv = captured(directory, "argv").split(separator: "\n").map(String.init)
        #expect(Array(argv.prefix(8)) == ["--server", "vpn.example.test:8443", "--ca", directory.file("pkg/ca.pem"), "--user", "bob", "--cert", directory.file("pkg/bob.p12")])
        #expect(argv.contains("--cert-password-file"))
        #expect(captured(directory, "secret") == Fixture.pkcs12Password + "\n")
        #expect(captured(directory, "secret-mode") == "600\n")
        // The temporary password file is gone once sstp-dial exits.
        let passwordFile = argv[argv.firstIndex(of: "--cert-password-file")! + 1]
        #expect(!FileManager.default.fileExists(atPath: passwordFile))
        try checkSSTPDialFlags(argv)
    }

    /// Every flag the profile passes is declared by `sstp-dial` (Sources/sstp-dial/main.swift).
    private func checkSSTPDialFlags(_ argv: [String]) throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Sources/sstp-dial/main.swift")
        let text = try String(contentsOf: source, encoding: .utf8)
        var declared: Set<String> = []
        for match in text.matches(of: /@(?:Option|Flag)\((.*?)\)\s*var (\w+)/.dotMatchesNewlines()) {
            if let custom = match.output.1.firstMatch(of: /customLong\("([^"]+)"\)/) {
                declared.insert(String(custom.output.1))
            } else {
                declared.insert(String(match.output.2).replacing(/[A-Z]/) { "-" + $0.output.lowercased() })
            }
        }
        #expect(declared.isSuperset(of: ["server", "ca", "user", "password-stdin", "route", "cert", "log-level"]))
        for flag in argv where flag.hasPrefix("--") {
            #expect(declared.contains(String(flag.dropFirst(2))), "sstp-dial has no \(flag)")
        }
    }
}
