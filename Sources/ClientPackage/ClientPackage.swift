import Foundation

/// A client configuration package for one user of one SSTP server: the files a Windows, NetworkManager, sstpc or
/// sstp-dial user needs to connect, as in Azure VPN Gateway's "VPN client package" (a zip with installers, the
/// server's root certificate and the routes baked in).
///
/// It is a pure function of its inputs: the same values give the same files, and the same zip for the same date.
/// Nothing in the package holds a secret that was not asked for: MS-CHAPv2 passwords and the PKCS#12 password are
/// asked for at run time by the scripts and are never inputs here; the only secret-bearing file is the PKCS#12 file
/// itself, which is encrypted with the password chosen when the certificate was issued.
public struct ClientPackage: Sendable {
    /// How the user authenticates inside PPP.
    public enum AuthenticationMethod: String, Sendable, Hashable, CaseIterable {
        /// User name and password (RFC 2759).
        case mschapv2 = "mschapv2"
        /// Client certificate (RFC 5216); needs `clientPKCS12`.
        case eapTLS = "eap-tls"
    }

    /// One file of the package.
    public struct File: Sendable, Hashable {
        /// Path inside the zip, `/`-separated.
        public var path: String
        public var contents: [UInt8]
        /// Unix permission bits.
        public var mode: UInt16
        /// One line for the README and for `sstpctl` to print.
        public var summary: String

        public init(path: String, contents: [UInt8], mode: UInt16, summary: String) {
            self.path = path
            self.contents = contents
            self.mode = mode
            self.summary = summary
        }
    }

    /// Invalid inputs; the message names the input at fault and never includes secret material.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The connection's display name (Windows phone book entry, NetworkManager `id`).
    public var connectionName: String
    /// The host name clients dial; it must match the server certificate's subject or SAN (MS-SSTP §3.2.4.1).
    public var serverHost: String
    /// TCP port of the server (443 unless the server listens elsewhere).
    public var port: Int
    /// The PPP user name (MS-CHAPv2), or the EAP identity and certificate subject (EAP-TLS).
    public var userName: String
    public var authenticationMethod: AuthenticationMethod
    /// IPv4 prefixes routed through the tunnel (split tunnel); empty means full tunnel (default route).
    public var routes: [String]
    /// DNS suffix for the connection (Windows `-DnsSuffix`, NetworkManager `dns-search`).
    public var dnsSuffix: String?
    /// The CA certificate(s), PEM, that issued the server certificate; the first one is also written as DER for
    /// Windows.
    public var caCertificatePEM: String
    /// The client's PKCS#12 file, as issued (EAP-TLS only); copied unchanged.
    public var clientPKCS12: [UInt8]?

    /// A package description; nothing is checked until `validate()`, `files()` or `zip(modificationDate:)`.
    public init(
        connectionName: String,
        serverHost: String,
        port: Int = 443,
        userName: String,
        authenticationMethod: AuthenticationMethod,
        routes: [String] = [],
        dnsSuffix: String? = nil,
        caCertificatePEM: String,
        clientPKCS12: [UInt8]? = nil
    ) {
        self.connectionName = connectionName
        self.serverHost = serverHost
        self.port = port
        self.userName = userName
        self.authenticationMethod = authenticationMethod
        self.routes = routes
        self.dnsSuffix = dnsSuffix
        self.caCertificatePEM = caCertificatePEM
        self.clientPKCS12 = clientPKCS12
    }

    // MARK: - Derived values

    /// Split tunnel when routes are given; otherwise the tunnel carries the default route.
    public var isSplitTunnel: Bool { !routes.isEmpty }

    /// `host`, or `host:port` when the port is not 443 (what sstpc, NetworkManager and Windows take).
    public var serverAddress: String { port == 443 ? serverHost : "\(serverHost):\(port)" }

    /// The NetworkManager connection UUID: a version-5 UUID of the server, port, user and connection name, so
    /// re-importing a newer package replaces the connection.
    public var connectionUUID: UUID {
        NameBasedUUID.v5(
            namespace: NameBasedUUID.clientPackageNamespace,
            name: "sstp\n\(serverHost.lowercased())\n\(port)\n\(userName)\n\(connectionName)")
    }

    /// The connection name made safe for file names.
    public var fileStem: String { Self.slug(connectionName, fallback: "sstp-vpn") }
    /// The user name made safe for file names.
    public var userFileStem: String { Self.slug(userName, fallback: "client") }
    /// Name of the PKCS#12 file at the root of the package (EAP-TLS).
    public var pkcs12FileName: String { userFileStem + ".p12" }
    /// Where README.txt tells Linux users to copy `ca.pem` (and the PKCS#12 file); the NetworkManager keyfile points
    /// there, because keyfiles need absolute paths.
    public var linuxInstallDirectory: String { "/etc/sstp-client/" + fileStem }

    // MARK: - Building

    /// Checks every input; `files()` and `zip(modificationDate:)` call it first.
    public func validate() throws(ClientPackage.Error) {
        guard !connectionName.isEmpty, connectionName.count <= 100, !Self.hasControlCharacters(connectionName) else {
            throw Error("connection name: 1–100 characters, no control characters")
        }
        guard Self.isHostName(serverHost) else {
            throw Error("server: \(serverHost.debugDescription) is not a DNS name or IPv4 address")
        }
        guard (1...65535).contains(port) else { throw Error("port: \(port) is not a TCP port") }
        guard !userName.isEmpty, userName.utf8.count <= 256, !Self.hasControlCharacters(userName) else {
            throw Error("user name: 1–256 bytes, no control characters")
        }
        for route in routes where IPv4Prefix(route) == nil {
            throw Error("route: \(route.debugDescription) is not an IPv4 CIDR prefix (host bits must be zero)")
        }
        if let dnsSuffix, !Self.isHostName(dnsSuffix) || IPv4Prefix.address(dnsSuffix) != nil {
            throw Error("DNS suffix: \(dnsSuffix.debugDescription) is not a DNS domain name")
        }
        guard PEM.firstCertificateDER(caCertificatePEM) != nil else {
            throw Error("CA certificate: no PEM CERTIFICATE block")
        }
        switch authenticationMethod {
        case .eapTLS:
            guard let p12 = clientPKCS12, !p12.isEmpty else { throw Error("EAP-TLS needs the client's PKCS#12 file") }
        case .mschapv2:
            // A certificate the user was not asked to use is a secret the package must not carry.
            guard clientPKCS12 == nil else { throw Error("MS-CHAPv2 packages carry no PKCS#12 file") }
        }
    }

    /// The package's files, in zip order.
    public func files() throws(ClientPackage.Error) -> [File] {
        try validate()
        let routes = uniqueRoutes
        var files: [File] = [
            File(
                path: "ca.pem", contents: Array(Self.normalizedPEM(caCertificatePEM).utf8), mode: 0o644,
                summary: "the CA certificate (PEM) that issued the server certificate: the trust root for Linux clients")
        ]
        if authenticationMethod == .eapTLS, let p12 = clientPKCS12 {
            files.append(
                File(
                    path: pkcs12FileName, contents: p12, mode: 0o600,
                    summary: "your client certificate, key and the CA (PKCS#12), encrypted with the password you were "
                        + "given separately"))
        }
        files += [
            File(
                path: "windows/install-vpn.ps1", contents: WindowsScript(package: self, routes: routes).bytes,
                mode: 0o755,
                summary: "Windows PowerShell script: imports the CA"
                    + (authenticationMethod == .eapTLS ? " and your certificate" : "")
                    + ", creates the SSTP connection and its routes"),
            File(
                path: "windows/ca.cer", contents: PEM.firstCertificateDER(caCertificatePEM) ?? [], mode: 0o644,
                summary: "the CA certificate in DER form, for Windows"),
            File(
                path: "linux/networkmanager/\(fileStem).nmconnection",
                contents: Array(NetworkManagerKeyfile(package: self, routes: routes).text.utf8), mode: 0o600,
                summary: "NetworkManager keyfile for the SSTP plugin (network-manager-sstp)"),
            File(
                path: "linux/sstpc.sh", contents: Array(SSTPCScript(package: self, routes: routes).text.utf8),
                mode: 0o755, summary: "the sstpc (sstp-client) and pppd command line, as a script"),
            File(
                path: "sstp-dial/\(fileStem).sh",
                contents: Array(SSTPDialProfile(package: self, routes: routes).text.utf8), mode: 0o755,
                summary: "a profile that runs this project's userspace client, sstp-dial"),
        ]
        let readme = Readme(package: self, routes: routes, files: files).text
        files.insert(
            File(path: "README.txt", contents: Array(readme.utf8), mode: 0o644, summary: "this file"), at: 0)
        return files
    }

    /// The package as a zip archive, every entry stamped with `modificationDate`.
    public func zip(modificationDate: Date) throws(ClientPackage.Error) -> [UInt8] {
        var archive = ZipArchive(modificationDate: modificationDate)
        do {
            for file in try files() {
                try archive.add(ZipArchive.Entry(path: file.path, contents: file.contents, mode: file.mode))
            }
            return try archive.bytes()
        } catch let error as ZipArchive.Error {
            throw Error("zip: \(error)")
        } catch let error as ClientPackage.Error {
            throw error
        } catch {
            throw Error("zip: \(error)")
        }
    }

    // MARK: - Helpers

    /// Routes in input order without duplicates.
    var uniqueRoutes: [String] {
        var seen = Set<String>()
        return routes.filter { seen.insert($0).inserted }
    }

    /// Letters, digits, `.`, `_` and `-`; runs of anything else become one `-`.
    static func slug(_ text: String, fallback: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            let safe = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
            if safe {
                result.unicodeScalars.append(scalar)
            } else if !result.hasSuffix("-") {
                result += "-"
            }
        }
        let trimmed = result.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
        return trimmed.isEmpty ? fallback : String(trimmed.prefix(64))
    }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// A DNS name (letters, digits, hyphens; dot-separated labels of 1–63) or an IPv4 address.
    static func isHostName(_ text: String) -> Bool {
        if IPv4Prefix.address(text) != nil { return true }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !text.isEmpty, text.utf8.count <= 253, !labels.isEmpty else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
        }
    }

    /// PEM text with LF line endings and a final newline.
    static func normalizedPEM(_ text: String) -> String {
        let lf = text.replacingOccurrences(of: "\r\n", with: "\n")
        return lf.hasSuffix("\n") ? lf : lf + "\n"
    }
}
