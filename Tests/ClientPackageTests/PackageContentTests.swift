import ClientPackage
import Foundation
import Testing

/// What each file of the package says, for both authentication methods.
@Suite struct PackageContentTests {
    let client: IssuedClient

    init() throws {
        client = try IssuedClient(name: "bob", pkcs12Password: Fixture.pkcs12Password)
    }

    @Test func fileListPerMethod() throws {
        defer { client.directory.remove() }
        let mschap = try Fixture.msCHAPv2(caPEM: client.caPEM).files().map(\.path)
        #expect(
            mschap == [
                "README.txt", "ca.pem", "windows/install-vpn.ps1", "windows/ca.cer",
                "linux/networkmanager/Example-VPN.nmconnection", "linux/sstpc.sh", "sstp-dial/Example-VPN.sh",
            ])
        #expect(!mschap.contains { $0.hasSuffix(".p12") })
        let eap = try Fixture.eapTLS(client).files()
        #expect(eap.map(\.path).contains("bob.p12"))
        #expect(eap.first { $0.path == "bob.p12" }?.mode == 0o600)
        #expect(eap.first { $0.path.hasSuffix(".nmconnection") }?.mode == 0o600)
        #expect(eap.first { $0.path == "linux/sstpc.sh" }?.mode == 0o755)
    }

    @Test(arguments: [false, true]) func readmeMentionsEveryFile(eap: Bool) throws {
        defer { client.directory.remove() }
        let package = eap ? Fixture.eapTLS(client) : Fixture.msCHAPv2(caPEM: client.caPEM)
        let readme = try package.text("README.txt")
        for file in try package.files() {
            #expect(readme.contains(file.path), "README.txt does not mention \(file.path)")
        }
        #expect(readme.contains(Fixture.host))
        #expect(readme.contains(eap ? "EAP-TLS" : "MS-CHAPv2"))
        for route in Fixture.routes { #expect(readme.contains(route)) }
    }

    /// No file, and not the zip as a whole, holds the user's password or the PKCS#12 password, nor anything that
    /// looks like a stored secret.
    @Test(arguments: [false, true]) func noSecretAnywhere(eap: Bool) throws {
        defer { client.directory.remove() }
        let package = eap ? Fixture.eapTLS(client) : Fixture.msCHAPv2(caPEM: client.caPEM)
        let zip = try package.zip(modificationDate: Date(timeIntervalSince1970: 1_763_776_862))
        for secret in [Fixture.userPassword, Fixture.pkcs12Password] {
            #expect(!String(decoding: zip, as: UTF8.self).contains(secret))
            #expect(!zip.contains(subsequence: Array(secret.utf8)))
            #expect(!zip.contains(subsequence: Array(secret.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })))
        }
        for file in try package.files() where !file.path.hasSuffix(".p12") && !file.path.hasSuffix(".cer") {
            let text = String(decoding: file.contents, as: UTF8.self)
            #expect(!text.contains("[vpn-secrets]"), "\(file.path)")
            #expect(!text.contains("-AsPlainText"), "\(file.path)")
            #expect(!text.contains("PRIVATE KEY"), "\(file.path)")
            #expect(text.range(of: #"--password[ =]"#, options: .regularExpression) == nil, "\(file.path)")
        }
    }

    @Test func caCertificateIsTheInputInBothForms() throws {
        defer { client.directory.remove() }
        let package = Fixture.eapTLS(client)
        #expect(try package.text("ca.pem") == client.caPEM)
        let files = try package.files()
        let der = try #require(files.first { $0.path == "windows/ca.cer" }).contents
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pem = try directory.write(Array(client.caPEM.utf8), "ca.pem")
        let openssl = try #require(opensslTool)
        let converted = try run(openssl, ["x509", "-in", pem, "-outform", "DER", "-out", directory.file("ca.der")])
        #expect(converted.succeeded, "\(converted.stderr)")
        #expect(FileManager.default.contents(atPath: directory.file("ca.der")).map(Array.init) == der)
    }

    // MARK: - Windows

    @Test func powerShellScriptForMSCHAPv2() throws {
        defer { client.directory.remove() }
        let package = Fixture.msCHAPv2(caPEM: client.caPEM)
        let bytes = try #require(try package.files().first { $0.path == "windows/install-vpn.ps1" }).contents
        #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]))  // UTF-8 BOM for Windows PowerShell 5.1
        let script = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(!script.replacingOccurrences(of: "\r\n", with: "").contains("\n"))  // CRLF only
        let lines = script.components(separatedBy: "\r\n")
        #expect(lines.first == "#Requires -RunAsAdministrator")
        #expect(lines.contains("$ServerAddress = 'vpn.example.test'"))
        #expect(lines.contains("$ConnectionName = 'Example VPN'"))
        #expect(lines.contains { $0.hasPrefix("Import-Certificate -FilePath (Join-Path $PSScriptRoot 'ca.cer') -CertStoreLocation 'Cert:\\LocalMachine\\Root'") })
        let add = try #require(lines.first { $0.hasPrefix("Add-VpnConnection ") })
        for part in ["-TunnelType Sstp", "-AuthenticationMethod MSChapv2", "-EncryptionLevel Required", "-SplitTunneling",
            "-DnsSuffix 'corp.example.test'", "-ServerAddress $ServerAddress"]
        {
            #expect(add.contains(part), "\(part)")
        }
        #expect(!script.contains("Eap") && !script.contains("Import-PfxCertificate"))
        for route in Fixture.routes {
            #expect(lines.contains { $0.hasPrefix("Add-VpnConnectionRoute -ConnectionName $ConnectionName -DestinationPrefix '\(route)'") })
        }
        #expect(lines.filter { $0.hasPrefix("Add-VpnConnectionRoute") }.count == Fixture.routes.count)
        try checkCmdletParameters(script)
    }

    @Test func powerShellScriptForEAPTLS() throws {
        defer { client.directory.remove() }
        let package = Fixture.eapTLS(client)
        let script = try package.text("windows/install-vpn.ps1").replacingOccurrences(of: "\r\n", with: "\n")
        #expect(script.contains("$ServerAddress = 'vpn.example.test:8443'"))
        #expect(script.contains("$Eap = New-EapConfiguration -Tls -UserCertificate -VerifyServerIdentity"))
        #expect(script.contains("-AuthenticationMethod Eap -EapConfigXmlStream $Eap.EapConfigXmlStream"))
        #expect(!script.contains("MSChapv2"))
        #expect(script.contains("Import-PfxCertificate -FilePath $Pkcs12Path -CertStoreLocation 'Cert:\\CurrentUser\\My' -Password $Pkcs12Password"))
        #expect(script.contains("$Pkcs12Password = Read-Host -AsSecureString"))
        #expect(script.contains("(Split-Path -Parent $PSScriptRoot) 'bob.p12'"))
        for route in Fixture.routes { #expect(script.contains("-DestinationPrefix '\(route)'")) }
        #expect(!script.contains("-DnsSuffix"))
        try checkCmdletParameters(script)
    }

    @Test func fullTunnelAndQuoting() throws {
        defer { client.directory.remove() }
        var package = Fixture.msCHAPv2(caPEM: client.caPEM, routes: [])
        package.connectionName = "Bob\u{2019}s 'VPN'"
        let script = try package.text("windows/install-vpn.ps1")
        #expect(script.contains("$ConnectionName = 'Bob\u{2019}\u{2019}s ''VPN'''"))
        #expect(!script.contains("-SplitTunneling"))
        #expect(!script.contains("Add-VpnConnectionRoute"))
        let keyfile = try package.text("linux/networkmanager/Bob-s-VPN.nmconnection")
        #expect(!keyfile.contains("never-default") && !keyfile.contains("route1="))
    }

    /// Every `-Parameter` used with a VpnClient/PKI cmdlet is one the cmdlet documents (learn.microsoft.com).
    private func checkCmdletParameters(_ script: String) throws {
        let documented: [String: Set<String>] = [
            "Import-Certificate": ["FilePath", "CertStoreLocation"],
            "Import-PfxCertificate": ["FilePath", "CertStoreLocation", "Password"],
            "Add-VpnConnection": [
                "Name", "ServerAddress", "TunnelType", "EncryptionLevel", "AuthenticationMethod", "EapConfigXmlStream",
                "SplitTunneling", "DnsSuffix", "Force", "AllUserConnection", "RememberCredential",
            ],
            "Add-VpnConnectionRoute": ["ConnectionName", "DestinationPrefix", "AllUserConnection"],
            "New-EapConfiguration": ["Tls", "UserCertificate", "VerifyServerIdentity"],
            "Get-VpnConnection": ["Name", "ErrorAction", "AllUserConnection"],
            "Remove-VpnConnection": ["Name", "Force", "AllUserConnection"],
        ]
        for line in script.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n") {
            for (cmdlet, parameters) in documented {
                guard let range = line.range(of: cmdlet + " ") else { continue }
                let used = line[range.upperBound...].matches(of: /(?:^|\s)-([A-Za-z]+)/).map { String($0.output.1) }
                for parameter in used { #expect(parameters.contains(parameter), "\(cmdlet) -\(parameter)") }
            }
        }
    }

    // MARK: - Validation

    @Test func invalidInputsAreRefused() throws {
        defer { client.directory.remove() }
        let good = Fixture.msCHAPv2(caPEM: client.caPEM)
        var bad = good
        bad.routes = ["10.1.0.1/16"]
        #expect(throws: ClientPackage.Error.self) { try bad.files() }
        bad = good
        bad.serverHost = "vpn.example.test:443"
        #expect(throws: ClientPackage.Error.self) { try bad.files() }
        bad = good
        bad.port = 0
        #expect(throws: ClientPackage.Error.self) { try bad.files() }
        bad = good
        bad.userName = "alice\nrequire-pap"
        #expect(throws: ClientPackage.Error.self) { try bad.files() }
        bad = good
        bad.clientPKCS12 = client.pkcs12  // a certificate nobody asked for
        #expect(throws: ClientPackage.Error.self) { try bad.files() }
        bad = good
        bad.caCertificatePEM = "not a certificate"
        #expect(throws: ClientPackage.Error.self) { try bad.files() }
        var eap = Fixture.eapTLS(client)
        eap.clientPKCS12 = nil
        #expect(throws: ClientPackage.Error.self) { try eap.files() }
    }

    @Test func sameInputsSameZip() throws {
        defer { client.directory.remove() }
        let date = Date(timeIntervalSince1970: 1_763_776_862)
        let package = Fixture.eapTLS(client)
        #expect(try package.zip(modificationDate: date) == (try package.zip(modificationDate: date)))
        var other = package
        other.userName = "carol"
        #expect(other.connectionUUID != package.connectionUUID)
        #expect(package.connectionUUID == Fixture.eapTLS(client).connectionUUID)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard !subsequence.isEmpty, subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<$0 + subsequence.count].elementsEqual(subsequence) }
    }
}
