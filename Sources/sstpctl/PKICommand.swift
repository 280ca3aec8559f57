import ArgumentParser
import Foundation
import PKI

/// `--pki-dir`, shared by the `ca`, `cert` and `crl` commands.
struct PKIOptions: ParsableArguments {
    @Option(name: .customLong("pki-dir"), help: "The CA state directory.")
    var directory: String = PKIStore.defaultDirectory

    var store: PKIStore { PKIStore(directory: self.directory) }
}

/// `sstpctl ca init`.
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca", abstract: "Manage the certificate authority.", subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the CA key and self-signed certificate.")
        @OptionGroup var pki: PKIOptions
        @Option(help: "The CA's common name.") var name = "sstpd CA"
        @Option(help: "Validity in days.") var days = 3650
        @Flag(help: "ECDSA P-256 instead of RSA-3072 (RSA works with every Windows client).") var ecdsa = false

        func run() throws {
            let entry = try pki.store.initializeCA(
                commonName: name, algorithm: ecdsa ? .ecdsaP256 : .defaultCA, days: days)
            print("created CA \(entry.subject) (\(ecdsa ? "ECDSA P-256" : "RSA-3072")), thumbprint \(entry.thumbprint)")
            print("certificate: \(pki.store.caCertificatePath)")
            print("key:         \(pki.store.caKeyPath)")
        }
    }
}

/// `sstpctl cert server|client|list`.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Issue, revoke and list certificates.",
        subcommands: [Server.self, Client.self, List.self])

    struct Server: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a server certificate for sstpd (serverAuth, SAN, CRL distribution point).")
        @OptionGroup var pki: PKIOptions
        @Option(help: "The host name clients dial (subject CN and DNS SAN; an IP literal becomes an IP SAN).")
        var name: String
        @Option(name: .customLong("ip"), help: "An IP address SAN (repeatable).") var ipAddresses: [String] = []
        @Option(help: "Validity in days.") var days = 825
        @Option(name: .customLong("crl-url"), help: "The CRL distribution point, an http:// URL Windows can reach.")
        var crlURL: String?

        func run() throws {
            let issued = try pki.store.issueServer(name: name, ipAddresses: ipAddresses, days: days, crlURL: crlURL)
            print("issued server certificate \(issued.entry.subject), serial \(issued.entry.serial)")
            print("thumbprint: \(issued.entry.thumbprint)")
            print("chain:      \(issued.chainPath ?? issued.certificatePath)   (tls.certificate)")
            print("key:        \(issued.keyPath)   (tls.private_key)")
            if crlURL == nil {
                print("note: no --crl-url; Windows clients fail with 0x80092013 unless they skip revocation checks")
            }
        }
    }

    struct Client: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue and revoke client certificates (EAP-TLS).", subcommands: [Issue.self, Revoke.self])

        struct Issue: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Issue a client certificate (clientAuth) and export it as PKCS#12.")
            @OptionGroup var pki: PKIOptions
            @Argument(help: "The user name (subject CN).") var name: String
            @Option(help: "Validity in days.") var days = 365
            @Option(name: .customLong("crl-url"), help: "An optional CRL distribution point (http:// URL).")
            var crlURL: String?
            @Option(help: "Also copy the PKCS#12 file here (mode 0600).") var out: String?
            @Flag(help: "Read the PKCS#12 password from the first line of standard input instead of prompting.")
            var p12PasswordStdin = false

            func run() throws {
                let password = try readExportPassword(stdin: p12PasswordStdin, name: name)
                let issued = try pki.store.issueClient(name: name, pkcs12Password: password, days: days, crlURL: crlURL)
                print("issued client certificate \(issued.entry.subject), serial \(issued.entry.serial)")
                print("thumbprint: \(issued.entry.thumbprint)")
                print("PKCS#12:    \(issued.pkcs12Path ?? "")")
                if let out, let source = issued.pkcs12Path {
                    let data = try Data(contentsOf: URL(fileURLWithPath: source))
                    guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600])
                    else { throw ValidationError("cannot create \(out)") }
                    try data.write(to: URL(fileURLWithPath: out))
                    print("copied to:  \(out)")
                }
            }
        }

        struct Revoke: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Revoke client certificates by user name or SHA-1 thumbprint, then write a new CRL.")
            @OptionGroup var pki: PKIOptions
            @Argument(help: "A user name (every valid certificate of that user) or a SHA-1 thumbprint.")
            var nameOrThumbprint: String
            @Option(help: "Validity of the new CRL in days.") var crlDays = 7

            func run() throws {
                for entry in try pki.store.revokeClient(nameOrThumbprint) {
                    print("revoked \(entry.subject), serial \(entry.serial), thumbprint \(entry.thumbprint)")
                }
                let crl = try pki.store.makeCRL(days: crlDays)
                print("wrote CRL number \(crl.number) to \(pki.store.crlPath)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List issued certificates.")
        @OptionGroup var pki: PKIOptions
        @Flag(help: "JSON output (an array of objects).") var json = false

        func run() throws {
            let now = Date()
            let entries = try pki.store.loadIndex().entries
            let formatter = ISO8601DateFormatter()
            if json {
                let objects: [[String: String]] = entries.map { entry in
                    var object = [
                        "serial": entry.serial, "kind": entry.kind.rawValue, "subject": entry.subject,
                        "thumbprint": entry.thumbprint, "notAfter": formatter.string(from: entry.notAfter),
                        "status": entry.displayStatus(at: now),
                    ]
                    if let date = entry.revocationDate { object["revocationDate"] = formatter.string(from: date) }
                    return object
                }
                let data = try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print(["KIND", "STATUS", "NOT AFTER", "THUMBPRINT", "SUBJECT"].joined(separator: "\t"))
            for entry in entries {
                print(
                    [
                        entry.kind.rawValue, entry.displayStatus(at: now), formatter.string(from: entry.notAfter),
                        entry.thumbprint, entry.subject,
                    ].joined(separator: "\t"))
            }
        }
    }
}

/// `sstpctl crl`.
struct CRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl", abstract: "Write a signed CRL (v2, CRL number incremented) of the revoked certificates.")
    @OptionGroup var pki: PKIOptions
    @Option(help: "Also write the CRL (PEM) to this file.") var out: String?
    @Option(help: "Days until nextUpdate.") var days = 7

    func run() throws {
        let crl = try pki.store.makeCRL(days: days)
        if let out { try crl.pem.write(toFile: out, atomically: true, encoding: .utf8) }
        print("wrote CRL number \(crl.number) to \(pki.store.crlPath)" + (out.map { " and \($0)" } ?? ""))
    }
}

/// The PKCS#12 password: the first line of standard input, or asked twice on the terminal.
private func readExportPassword(stdin: Bool, name: String) throws -> String {
    let password: String
    if stdin {
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
        password = line
    } else {
        guard let first = getpass("PKCS#12 password for \(name): ").map({ String(cString: $0) }) else {
            throw ValidationError("cannot read a password (no terminal?); use --p12-password-stdin")
        }
        guard let second = getpass("Again: ").map({ String(cString: $0) }), second == first else {
            throw ValidationError("the passwords do not match")
        }
        password = first
    }
    guard !password.isEmpty else { throw ValidationError("empty password") }
    return password
}
