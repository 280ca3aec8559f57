import Foundation

/// An authentication method a user may be allowed (`[auth] methods` globally, per user in the users file).
public enum AuthenticationMethod: String, Sendable, Hashable, CaseIterable, Comparable {
    case msCHAPv2 = "mschapv2"
    case eapTLS = "eap-tls"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One local user: a name, the NT password hash (MD4 of the UTF-16LE password, RFC 2759 §8.3) and which
/// authentication methods the user may use. The password itself is never stored.
public struct UserRecord: Sendable, Equatable {
    public var name: String
    /// nil for a certificate-only user (no MS-CHAPv2 password).
    public var ntPasswordHash: [UInt8]?
    /// nil: whatever `[auth] methods` allows. Otherwise only these (still within `[auth] methods`).
    public var allowedMethods: Set<AuthenticationMethod>?
    /// A locked user (`sstpctl user lock`) may not connect by any method.
    public var locked: Bool

    public init(
        name: String, ntPasswordHash: [UInt8]?, allowedMethods: Set<AuthenticationMethod>? = nil, locked: Bool = false
    ) {
        self.name = name
        self.ntPasswordHash = ntPasswordHash
        self.allowedMethods = allowedMethods
        self.locked = locked
    }

    /// Whether this user's own policy lets `method` through (the global policy is checked separately).
    public func allows(_ method: AuthenticationMethod) -> Bool {
        !locked && (allowedMethods?.contains(method) ?? true)
    }
}

/// The local credential store: a text file readable by root only, one line per user:
///
///     NAME:NTHASH                  password user, methods as `[auth] methods`
///     NAME:NTHASH:mschapv2         password user limited to these methods (comma-separated)
///     NAME:*:eap-tls               certificate-only user (no password), limited to EAP-TLS
///
/// Certificate users need no line at all (the certificate's subject CN is the user name); a line restricts them.
///
/// Lookups ignore a `DOMAIN\` prefix and letter case, as Windows sends `DOMAIN\user` and treats
/// user names case-insensitively.
public struct UserDatabase: Sendable, Equatable {
    public private(set) var users: [UserRecord] = []

    public init(users: [UserRecord] = []) {
        self.users = users
    }

    /// Errors reading or changing the database. Never carries a hash.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Parses the file format. Blank lines and `#` comments are ignored.
    public init(parsing text: String) throws(UserDatabase.Error) {
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 2 || fields.count == 3 else {
                throw Error("line \(index + 1): expected NAME:NTHASH or NAME:NTHASH:METHODS")
            }
            let name = fields[0]
            guard Self.isValidName(name) else { throw Error("line \(index + 1): invalid user name") }
            var hash: [UInt8]?
            if fields[1] != "*" {
                guard let decoded = Self.decodeHex(fields[1]), decoded.count == 16 else {
                    throw Error("line \(index + 1): the NT hash must be 32 hex digits (or * for none)")
                }
                hash = decoded
            }
            var methods: Set<AuthenticationMethod>?
            if fields.count == 3 {
                let names = fields[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let parsed = names.compactMap(AuthenticationMethod.init(rawValue:))
                guard !parsed.isEmpty, parsed.count == names.count else {
                    throw Error("line \(index + 1): methods are a comma-separated list of mschapv2, eap-tls")
                }
                methods = Set(parsed)
            }
            if hash == nil && methods?.contains(.msCHAPv2) != false {
                throw Error("line \(index + 1): a user without a password must be limited to eap-tls")
            }
            guard lookup(name) == nil else { throw Error("line \(index + 1): duplicate user \(name)") }
            users.append(UserRecord(name: name, ntPasswordHash: hash, allowedMethods: methods))
        }
    }

    /// The file text for this database.
    public func serialized() -> String {
        var out = "# sstpd users: NAME:NT-HASH[:METHODS] (MD4 of the UTF-16LE password; * = none). Managed by `sstpctl user`.\n"
        for user in users {
            let hash = user.ntPasswordHash.map { $0.map { Self.hexDigits($0) }.joined() } ?? "*"
            let methods = user.allowedMethods.map { ":" + $0.sorted().map(\.rawValue).joined(separator: ",") } ?? ""
            out += "\(user.name):\(hash)\(methods)\n"
        }
        return out
    }

    /// The record for `name` as a client sent it (`DOMAIN\user` or `user`, any letter case).
    public func lookup(_ name: String) -> UserRecord? {
        let key = Self.canonical(name)
        return users.first { Self.canonical($0.name) == key }
    }

    /// Adds a user or replaces the hash of an existing one.
    public mutating func set(_ record: UserRecord) throws(UserDatabase.Error) {
        guard Self.isValidName(record.name) else { throw Error("invalid user name: \(record.name.debugDescription)") }
        guard record.ntPasswordHash == nil || record.ntPasswordHash?.count == 16 else {
            throw Error("an NT hash is 16 bytes")
        }
        if record.ntPasswordHash == nil && record.allowedMethods?.contains(.msCHAPv2) != false {
            throw Error("a user without a password must be limited to eap-tls")
        }
        if let methods = record.allowedMethods, methods.isEmpty { throw Error("an empty method list locks the user out") }
        let key = Self.canonical(record.name)
        if let index = users.firstIndex(where: { Self.canonical($0.name) == key }) {
            users[index] = record
        } else {
            users.append(record)
        }
    }

    /// Removes a user; returns whether it existed.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        let key = Self.canonical(name)
        let before = users.count
        users.removeAll { Self.canonical($0.name) == key }
        return users.count != before
    }

    /// Names are 1–64 printable ASCII characters without `:`, `\`, `/` or white space.
    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "/") }
    }

    /// The lookup key of a name: without a `DOMAIN\` prefix, lower-cased.
    public static func canonical(_ name: String) -> String {
        let withoutDomain = name.split(separator: "\\", omittingEmptySubsequences: false).last.map(String.init) ?? name
        return withoutDomain.lowercased()
    }

    static func hexDigits(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Reads and writes the user database file with root-only permissions.
public enum UserDatabaseFile {
    /// Loads the file; a missing file is an empty database.
    public static func load(path: String) throws -> UserDatabase {
        guard FileManager.default.fileExists(atPath: path) else { return UserDatabase() }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try UserDatabase(parsing: text)
    }

    /// Writes atomically (temporary file + rename) with mode 0600, creating the directory (0700) if needed.
    public static func save(_ database: UserDatabase, path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp.\(getpid())"
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(database.serialized().utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw UserDatabase.Error("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw UserDatabase.Error("cannot replace \(path): \(String(cString: strerror(code)))")
        }
    }
}
