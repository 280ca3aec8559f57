import ArgumentParser
import Foundation
import Logging
import SSTPClient

/// `sstp-dial`: a userspace SSTP client (TLS, SSTP with crypto binding, PPP with MS-CHAPv2, IPCP), and `sstp-dial
/// bench`, a load generator built on the same client. Without a subcommand it dials: every earlier invocation
/// (`sstp-dial --server ... [--check ...]`) means what it meant before.
struct SSTPDial: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sstp-dial",
        abstract: "Connect to an SSTP VPN server from userspace (no kernel PPP needed).",
        subcommands: [Dial.self, Bench.self],
        defaultSubcommand: Dial.self
    )
}

/// Where and how to connect: shared by dialling and the bench.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Server as HOST[:PORT] (default port 443).") var server: String
    @Option(name: .long, help: "Name for TLS SNI and the HTTP Host header (default: the server host).")
    var serverName: String?
    @Option(name: .long, help: "CA certificate (PEM) that must have issued the server certificate.") var ca: String?
    @Flag(name: .long, help: "Do not verify the server certificate (testing only).") var insecure = false
    @Option(name: .long, help: "User name (with --cert: the EAP identity).") var user: String
    @Option(name: .long, help: "EAP-TLS: client certificate, a PKCS#12 file (.p12/.pfx) or a PEM chain with --key.")
    var cert: String?
    @Option(name: .long, help: "EAP-TLS: the private key (PEM) for a PEM --cert.") var key: String?
    @Option(name: .customLong("cert-password-file"), help: "EAP-TLS: file whose first line is the PKCS#12 password.")
    var certPasswordFile: String?
    @Option(name: .long, help: "Password (visible in the process list; prefer --password-stdin).") var password: String?
    @Flag(name: .long, help: "Read the password from the first line of standard input.") var passwordStdin = false
    @Option(name: .long, help: "Seconds allowed to connect, and to wait for each echo reply.") var timeout: Int = 20

    static func logger(level: String) -> Logger {
        var logger = Logger(label: "sstp-dial")
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }

    /// Checks the options, reads the secret (standard input, a file) and opens the client certificate, so that
    /// every usage error surfaces before the first connection.
    func dialConfiguration() throws -> DialConfiguration {
        guard insecure || ca != nil else { throw ValidationError("give --ca FILE, or --insecure for testing") }
        let secret: String
        if passwordStdin {
            guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
            secret = line
        } else if let password {
            secret = password
        } else if cert != nil {
            secret = ""
        } else {
            throw ValidationError("give --password or --password-stdin (or --cert for EAP-TLS)")
        }
        guard cert != nil || key == nil else { throw ValidationError("--key needs --cert") }
        var pkcs12Password: String?
        if let certPasswordFile {
            guard key == nil else { throw ValidationError("--cert-password-file is for a PKCS#12 --cert (no --key)") }
            guard let text = try? String(contentsOfFile: certPasswordFile, encoding: .utf8) else {
                throw ValidationError("cannot read \(certPasswordFile)")
            }
            pkcs12Password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        let (host, port) = try Self.splitHostPort(server)
        var configuration = DialConfiguration(
            host: host, port: port, serverName: serverName ?? host, caFile: insecure ? nil : ca,
            username: user, password: secret, timeoutSeconds: timeout)
        configuration.certificateFile = cert
        configuration.keyFile = key
        configuration.pkcs12Password = pkcs12Password
        if let cert {
            // Open the certificate now: a wrong PKCS#12 password is a usage error, not a failed connection.
            do { _ = try configuration.eapTLSContext(certificateFile: cert) } catch {
                throw ValidationError("--cert \(cert): \(error)")
            }
        }
        return configuration
    }

    static func splitHostPort(_ text: String) throws -> (String, Int) {
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
                throw ValidationError("bad port in \(text)")
            }
            return (String(text[..<colon]), port)
        }
        return (text, 443)
    }
}

/// One tunnel: a check (`--check`) or a TUN device until SIGINT/SIGTERM.
struct Dial: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dial",
        abstract: "Connect once (the default when no subcommand is given).",
        discussion: """
            Without --check, brings up a TUN device with the assigned address and stays connected until SIGINT or \
            SIGTERM. With --check, crafts ICMP echo requests in userspace through the tunnel (no TUN device), prints \
            what happened and exits non-zero on any failure.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Flag(name: .long, help: "Connect, ping through the tunnel without a TUN device, report and exit.") var check = false
    @Option(name: .long, help: "With --check: address to ping through the tunnel (repeatable).") var ping: [String] = []
    @Option(name: .long, help: "With --check: echo requests per address.") var count: Int = 3
    @Flag(name: .long, help: "Also negotiate IPV6CP; with --check, ping the server's link-local address too.")
    var ipv6 = false
    @Option(name: .long, help: "TUN device name (TUN mode).") var tun: String = "sstpc%d"
    @Option(name: .long, help: "Route CIDR through the tunnel (TUN mode, repeatable).") var route: [String] = []
    @Option(name: .customLong("log-level")) var logLevel: String = "info"

    func run() async throws {
        var configuration = try connection.dialConfiguration()
        configuration.ipv6 = ipv6
        let logger = ConnectionOptions.logger(level: logLevel)
        if check {
            let ok = await CheckMode.run(configuration: configuration, pingTargets: ping, count: count, logger: logger)
            if !ok { throw ExitCode.failure }
        } else {
            try await TunnelMode.run(configuration: configuration, tunName: tun, routes: route, logger: logger)
        }
    }
}

extension SSTPDial {
    /// The entry point. Not `@main` (a target with several files cannot have `@main` in main.swift), and called
    /// from an async function rather than from top-level code: only in an async context does `main()` resolve to
    /// `AsyncParsableCommand`'s overload, which awaits the subcommand's async `run()`.
    static func start() async {
        await main()
    }
}

await SSTPDial.start()
