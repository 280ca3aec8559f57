import ArgumentParser
import ClientPackage
import Foundation
import PKI
import SSTPServer

/// `sstpctl client-package NAME --out NAME.zip`: a zip with everything a user needs to connect (Windows PowerShell
/// installer, NetworkManager keyfile, sstpc command line, sstp-dial profile, CA certificate, and for EAP-TLS the
/// user's PKCS#12 file as issued). See docs/client-package.md.
struct ClientPackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-package",
        abstract: "Write a client configuration package (zip) for one user.",
        discussion: """
            Port, routes (including a [vnet] topology's), DNS suffix, accepted authentication methods and the PKI \
            directory come from --config when given; options override them. The package holds no password: scripts \
            ask for it at run time. For EAP-TLS the user's PKCS#12 file is copied as issued, still encrypted with the \
            password chosen at issue time, which you give the user separately. The zip is written with mode 0600.
            """
    )

    @Argument(help: "The user: MS-CHAPv2 user name, or the client certificate's common name (EAP-TLS).")
    var name: String
    @Option(help: "Where to write the zip (default: NAME.zip).") var out: String?
    @Option(help: "The host name clients dial; must match the server certificate (default: its CN, from --config).")
    var server: String?
    @Option(help: "The server's TCP port (default: [listen] port from --config, else 443).") var port: Int?
    @Option(help: "sstpd's TOML configuration file.") var config: String?
    @Option(
        name: .customLong("route"),
        help: "An IPv4 prefix routed through the tunnel (repeatable; replaces the configuration's routes).")
    var routes: [String] = []
    @Flag(help: "Full tunnel: route everything through the VPN, ignoring the configuration's routes.")
    var fullTunnel = false
    @Option(name: .customLong("dns-suffix"), help: "DNS suffix for the connection (default: [pool] domain).")
    var dnsSuffix: String?
    @Option(help: "mschapv2 or eap-tls (default: eap-tls when NAME has a valid client certificate in the PKI).")
    var auth: String?
    @Option(
        name: .customLong("pki-dir"),
        help: "The CA state directory (default: [auth] pki_dir, else \(PKIStore.defaultDirectory)).")
    var pkiDirectory: String?
    @Option(name: .customLong("ca"), help: "The CA certificate (PEM) clients trust (default: the PKI's ca.pem).")
    var caFile: String?
    @Option(name: .customLong("connection-name"), help: "The connection's name on the client (default: the server host).")
    var connectionName: String?
    @Flag(help: "Overwrite the output file if it exists.") var force = false

    func validate() throws {
        if fullTunnel && !routes.isEmpty { throw ValidationError("--full-tunnel and --route exclude each other") }
    }

    func run() throws {
        let serverConfiguration = try loadConfiguration()
        let store = PKIStore(directory: pkiDirectory ?? serverConfiguration?.pkiDirectory ?? PKIStore.defaultDirectory)
        let host = try serverHost(serverConfiguration)
        let listenPort = port ?? serverConfiguration?.listenPort ?? 443
        guard (1...65535).contains(listenPort) else { throw ValidationError("port \(listenPort): give --port") }

        let certificate = Self.latestValidClientCertificate(store: store, name: name, now: Date())
        let method = try authenticationMethod(serverConfiguration, hasCertificate: certificate != nil)
        var pkcs12: [UInt8]?
        if method == .eapTLS, let certificate {
            pkcs12 = try Self.read(store.pkcs12Path(serial: certificate.serial))
        }
        let caPath = caFile ?? store.caCertificatePath
        guard FileManager.default.fileExists(atPath: caPath) else {
            throw ValidationError("no CA certificate at \(caPath): give --ca FILE or --pki-dir DIR")
        }
        let package = ClientPackage(
            connectionName: connectionName ?? host, serverHost: host, port: listenPort, userName: name,
            authenticationMethod: method,
            routes: fullTunnel ? [] : (routes.isEmpty ? serverConfiguration?.routes ?? [] : routes),
            dnsSuffix: dnsSuffix ?? serverConfiguration?.domain,
            caCertificatePEM: String(decoding: try Self.read(caPath), as: UTF8.self), clientPKCS12: pkcs12)

        let files: [ClientPackage.File]
        let zip: [UInt8]
        do {
            files = try package.files()
            zip = try package.zip(modificationDate: Date())
        } catch {
            throw ValidationError(error.description)
        }
        let output = out ?? "\(package.userFileStem).zip"
        try Self.writePrivately(zip, to: output, replacing: force)

        let tunnel = package.isSplitTunnel ? "split tunnel: " + package.routes.joined(separator: " ") : "full tunnel"
        print("wrote \(output) (mode 0600, \(zip.count) bytes): \(package.serverAddress), \(method.rawValue), \(tunnel)")
        for file in files {
            print("  \(String(file.mode, radix: 8))  \(file.path)  (\(file.contents.count) bytes)")
        }
        if let certificate {
            if method == .eapTLS {
                print("client certificate: serial \(certificate.serial), thumbprint \(certificate.thumbprint)")
                print("give the user the PKCS#12 password chosen at issue time, separately from the package")
            }
        }
        warnIfNoServerCertificateNames(host, store: store)
    }

    // MARK: - Inputs

    private func loadConfiguration() throws -> ServerConfiguration? {
        guard let config else { return nil }
        do {
            return try ConfigurationFile.load(path: config).resolvingTopology()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `--server`, else the CN of the leaf in the configured `[tls] certificate`.
    private func serverHost(_ configuration: ServerConfiguration?) throws -> String {
        if let server { return server }
        guard let configuration,
            let pem = try? String(contentsOfFile: configuration.certificateChainFile, encoding: .utf8),
            let leaf = try? Certificate(pem: pem), let commonName = leaf.subjectCommonName
        else { throw ValidationError("give --server HOST (the name clients dial, as in the server certificate)") }
        return commonName
    }

    private func authenticationMethod(
        _ configuration: ServerConfiguration?, hasCertificate: Bool
    ) throws -> ClientPackage.AuthenticationMethod {
        let accepted =
            configuration?.authMethods.compactMap(ClientPackage.AuthenticationMethod.init(rawValue:))
            ?? ClientPackage.AuthenticationMethod.allCases
        let method: ClientPackage.AuthenticationMethod
        if let auth {
            guard let chosen = ClientPackage.AuthenticationMethod(rawValue: auth) else {
                throw ValidationError("--auth: mschapv2 or eap-tls")
            }
            guard accepted.contains(chosen) else {
                throw ValidationError("the server's [auth] methods do not include \(auth)")
            }
            method = chosen
        } else if hasCertificate && accepted.contains(.eapTLS) {
            method = .eapTLS
        } else if accepted.contains(.mschapv2) {
            method = .mschapv2
        } else {
            method = .eapTLS
        }
        if method == .eapTLS && !hasCertificate {
            throw ValidationError(
                "\(name) has no valid client certificate with a PKCS#12 file in the PKI "
                    + "(sstpctl cert client issue \(name))")
        }
        return method
    }

    /// The newest valid (not revoked, not expired) client certificate for `name` whose PKCS#12 file exists.
    static func latestValidClientCertificate(store: PKIStore, name: String, now: Date) -> PKIIndex.Entry? {
        guard store.isInitialized, let index = try? store.loadIndex() else { return nil }
        return index.entries
            .filter {
                $0.kind == .client && $0.commonName == name && $0.status == .valid && $0.notBefore <= now
                    && now <= $0.notAfter && FileManager.default.fileExists(atPath: store.pkcs12Path(serial: $0.serial))
            }
            .max { $0.notBefore < $1.notBefore }
    }

    /// A note when the PKI issued server certificates but none is for `host` (Windows checks the name).
    private func warnIfNoServerCertificateNames(_ host: String, store: PKIStore) {
        guard store.isInitialized, let index = try? store.loadIndex() else { return }
        let servers = index.entries.filter { $0.kind == .server && $0.status == .valid }
        guard !servers.isEmpty, !servers.contains(where: { $0.commonName.lowercased() == host.lowercased() }) else {
            return
        }
        print("note: no valid server certificate in \(store.directory) has CN=\(host); clients check the name")
    }

    // MARK: - Files

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        return Array(data)
    }

    /// Creates `path` with mode 0600 (never wider, whatever the umask) and writes `bytes`.
    static func writePrivately(_ bytes: [UInt8], to path: String, replacing: Bool) throws {
        if replacing { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ValidationError(
                errno == EEXIST ? "\(path) exists (use --force to replace it)" : "cannot create \(path): errno \(errno)")
        }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw ValidationError("cannot set the mode of \(path)") }
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { throw ValidationError("cannot write \(path): errno \(errno)") }
            written += result
        }
    }
}
