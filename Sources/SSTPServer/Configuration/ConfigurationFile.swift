import Foundation
import TOML

/// Reads `sstpd`'s TOML configuration file into a `ServerConfiguration`.
///
/// Unknown sections and keys are errors (a misspelt key must not be silently ignored), and so are values of the
/// wrong type; both name the key.
public enum ConfigurationFile {
    public static func load(path: String) throws -> ServerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServerConfiguration.Error("\(path): cannot read the file")
        }
        var configuration = try parse(text, source: path)
        configuration.sourceFile = path
        return configuration
    }

    public static func parse(_ text: String, source: String = "configuration") throws -> ServerConfiguration {
        let document: TOMLValue
        do {
            document = try TOMLParser.parse(text)
        } catch {
            throw ServerConfiguration.Error("\(source): \(error)")
        }
        var reader = Reader(source: source)
        var c = ServerConfiguration()
        let root = document.table ?? [:]
        for (section, value) in root {
            guard let table = value.table else { throw reader.error("\(section) must be a [section]") }
            reader.section = section
            try reader.checkKeys(table, allowed: Self.keys[section])
            switch section {
            case "listen":
                try reader.string(table, "address", into: &c.listenAddress)
                try reader.int(table, "port", into: &c.listenPort)
            case "tls":
                try reader.string(table, "certificate", into: &c.certificateChainFile)
                try reader.string(table, "private_key", into: &c.privateKeyFile)
                try reader.string(table, "min_version", into: &c.minimumTLSVersion)
            case "sstp":
                try reader.strings(table, "hash_protocols", into: &c.hashProtocols)
                try reader.int(table, "handshake_timeout", into: &c.handshakeTimeout)
                try reader.int(table, "negotiation_timeout", into: &c.negotiationTimeout)
                try reader.int(table, "hello_interval", into: &c.helloInterval)
                try reader.int(table, "max_connect_retries", into: &c.maxConnectRequestRetries)
                try reader.bool(table, "legacy_eap_tls_binding", into: &c.legacyEAPTLSBinding)
            case "ppp":
                try reader.int(table, "mru", into: &c.mru)
                try reader.int(table, "max_auth_attempts", into: &c.maxAuthenticationAttempts)
                try reader.bool(table, "ipv6", into: &c.ipv6)
            case "pool":
                try reader.string(table, "network", into: &c.poolNetwork)
                try reader.string(table, "gateway", into: &c.gatewayAddress)
                try reader.strings(table, "dns", into: &c.dnsServers)
                try reader.strings(table, "routes", into: &c.routes)
                try reader.optionalString(table, "domain", into: &c.domain)
            case "daemon":
                try reader.optionalString(table, "user", into: &c.runAsUser)
                try reader.optionalString(table, "group", into: &c.runAsGroup)
            case "tun":
                try reader.string(table, "name", into: &c.tunName)
                try reader.int(table, "mtu", into: &c.tunMTU)
                try reader.int(table, "queues", into: &c.tunQueues)
                try reader.bool(table, "offload", into: &c.tunOffload)
            case "users":
                try reader.optionalString(table, "file", into: &c.usersFile)
            case "state":
                try reader.string(table, "database", into: &c.stateDatabase)
                try reader.int(table, "accounting_flush_interval", into: &c.accountingFlushInterval)
            case "auth":
                try reader.strings(table, "methods", into: &c.authMethods)
                try reader.stringOrStrings(table, "client_ca", into: &c.clientCAFiles)
                try reader.optionalString(table, "pki_dir", into: &c.pkiDirectory)
                try reader.stringOrStrings(table, "crl", into: &c.crlFiles)
            case "crl":
                try reader.optionalString(table, "listen", into: &c.crlListen)
                try reader.string(table, "path", into: &c.crlPath)
                try reader.optionalString(table, "file", into: &c.crlFile)
            case "limits":
                try reader.optionalInt(table, "max_sessions", into: &c.maxSessions)
                try reader.optionalString(table, "sku", into: &c.sku)
                try reader.optionalInt(table, "aggregate_mbps", into: &c.aggregateMbps)
                try reader.int(table, "max_unauthenticated", into: &c.maxUnauthenticated)
                try reader.int(table, "max_unauthenticated_per_address", into: &c.maxUnauthenticatedPerAddress)
            case "vnet":
                try reader.optionalString(table, "topology", into: &c.topologyFile)
            case "lockout":
                try reader.int(table, "user_threshold", into: &c.lockoutUserThreshold)
                try reader.int(table, "address_threshold", into: &c.lockoutAddressThreshold)
                try reader.int(table, "window", into: &c.lockoutWindow)
                try reader.int(table, "duration", into: &c.lockoutDuration)
                try reader.int(table, "max_duration", into: &c.lockoutMaxDuration)
                try reader.int(table, "max_tracked", into: &c.lockoutMaxTracked)
            case "admin":
                try reader.optionalString(table, "control_socket", into: &c.controlSocket)
                try reader.optionalString(table, "control_group", into: &c.controlGroup)
                try reader.optionalString(table, "metrics_listen", into: &c.metricsListen)
            case "log":
                try reader.string(table, "level", into: &c.logLevel)
            default:
                throw reader.error("unknown section [\(section)]")
            }
        }
        return c
    }

    static let keys: [String: Set<String>] = [
        "listen": ["address", "port"],
        "tls": ["certificate", "private_key", "min_version"],
        "sstp": ["hash_protocols", "handshake_timeout", "negotiation_timeout", "hello_interval", "max_connect_retries", "legacy_eap_tls_binding"],
        "ppp": ["mru", "max_auth_attempts", "ipv6"],
        "pool": ["network", "gateway", "dns", "routes", "domain"],
        "tun": ["name", "mtu", "queues", "offload"],
        "daemon": ["user", "group"],
        "users": ["file"],
        "state": ["database", "accounting_flush_interval"],
        "auth": ["methods", "client_ca", "pki_dir", "crl"],
        "crl": ["listen", "path", "file"],
        "limits": ["max_sessions", "sku", "aggregate_mbps", "max_unauthenticated", "max_unauthenticated_per_address"],
        "vnet": ["topology"],
        "lockout": ["user_threshold", "address_threshold", "window", "duration", "max_duration", "max_tracked"],
        "admin": ["control_socket", "control_group", "metrics_listen"],
        "log": ["level"],
    ]

    /// Typed reads that name the offending key.
    struct Reader {
        let source: String
        var section = ""

        func error(_ text: String) -> ServerConfiguration.Error {
            ServerConfiguration.Error("\(source): \(text)")
        }

        func checkKeys(_ table: [String: TOMLValue], allowed: Set<String>?) throws(ServerConfiguration.Error) {
            guard let allowed else { throw error("unknown section [\(section)]") }
            for key in table.keys.sorted() where !allowed.contains(key) {
                throw error("unknown key \(section).\(key)")
            }
        }

        func string(_ t: [String: TOMLValue], _ key: String, into target: inout String) throws(ServerConfiguration.Error) {
            guard let value = t[key] else { return }
            guard let s = value.string else { throw error("\(section).\(key) must be a string") }
            target = s
        }

        func int(_ t: [String: TOMLValue], _ key: String, into target: inout Int) throws(ServerConfiguration.Error) {
            guard let value = t[key] else { return }
            guard let i = value.int else { throw error("\(section).\(key) must be an integer") }
            target = i
        }

        func optionalInt(_ t: [String: TOMLValue], _ key: String, into target: inout Int?) throws(ServerConfiguration.Error) {
            guard t[key] != nil else { return }
            var value = 0
            try int(t, key, into: &value)
            target = value
        }

        func optionalString(_ t: [String: TOMLValue], _ key: String, into target: inout String?) throws(ServerConfiguration.Error) {
            guard t[key] != nil else { return }
            var value = ""
            try string(t, key, into: &value)
            target = value
        }

        func bool(_ t: [String: TOMLValue], _ key: String, into target: inout Bool) throws(ServerConfiguration.Error) {
            guard let value = t[key] else { return }
            guard let b = value.bool else { throw error("\(section).\(key) must be true or false") }
            target = b
        }

        /// A string or an array of strings (a single file or several).
        func stringOrStrings(_ t: [String: TOMLValue], _ key: String, into target: inout [String])
            throws(ServerConfiguration.Error)
        {
            if let single = t[key]?.string {
                target = [single]
            } else {
                do { try strings(t, key, into: &target) } catch { throw self.error("\(section).\(key) must be a string or an array of strings") }
            }
        }

        func strings(_ t: [String: TOMLValue], _ key: String, into target: inout [String]) throws(ServerConfiguration.Error) {
            guard let value = t[key] else { return }
            guard let array = value.array else { throw error("\(section).\(key) must be an array of strings") }
            var out: [String] = []
            for element in array {
                guard let s = element.string else { throw error("\(section).\(key) must be an array of strings") }
                out.append(s)
            }
            target = out
        }
    }
}
