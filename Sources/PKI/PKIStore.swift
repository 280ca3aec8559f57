import CryptoPrimitives
import Foundation

/// The CA's state directory and the operations of `sstpctl ca|cert|crl`.
///
/// Layout (directories 0700, private keys and PKCS#12 files 0600, the rest 0644):
///
/// ```
/// DIR/                    0700
///   ca.pem                the CA certificate (give it to clients as the trust root)
///   index.json            every issued certificate: serial, subject, thumbprint, validity, status
///   crl.pem               the last CRL written by `makeCRL`
///   certs/SERIAL.pem      an issued certificate
///   certs/SERIAL-chain.pem  a server certificate followed by the CA (for sstpd's `tls.certificate`)
///   private/              0700
///     ca.key              the CA key
///     SERIAL.key          an issued certificate's key
///     SERIAL.p12          a client's PKCS#12 (certificate, key, CA), password-protected
///   .lock                 held while the index changes
/// ```
///
/// Time is an input (`now`), so tests can issue expired certificates; the serials come from OpenSSL's CSPRNG.
public struct PKIStore: Sendable {
    /// Default state directory (`--pki-dir`).
    public static let defaultDirectory = "/var/lib/sstpd/pki"
    /// How far `notBefore` and a CRL's `thisUpdate` are set back, for clients whose clocks run a little slow.
    public static let backdating: TimeInterval = 300

    public let directory: String

    public init(directory: String) {
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    public var caCertificatePath: String { self.directory + "/ca.pem" }
    public var caKeyPath: String { self.directory + "/private/ca.key" }
    public var indexPath: String { self.directory + "/index.json" }
    public var crlPath: String { self.directory + "/crl.pem" }
    public func certificatePath(serial: String) -> String { self.directory + "/certs/\(serial).pem" }
    public func chainPath(serial: String) -> String { self.directory + "/certs/\(serial)-chain.pem" }
    public func keyPath(serial: String) -> String { self.directory + "/private/\(serial).key" }
    public func pkcs12Path(serial: String) -> String { self.directory + "/private/\(serial).p12" }
    private var lockPath: String { self.directory + "/.lock" }

    /// Whether `ca init` has run.
    public var isInitialized: Bool { FileStore.exists(self.caCertificatePath) }

    /// Files written for one issued certificate.
    public struct Issued: Sendable {
        public var entry: PKIIndex.Entry
        public var certificatePath: String
        /// Leaf followed by the CA (server certificates only).
        public var chainPath: String?
        public var keyPath: String
        /// The PKCS#12 file (client certificates only).
        public var pkcs12Path: String?
    }

    // MARK: - CA

    /// Creates the directory layout, a CA key and a self-signed CA certificate valid for `days` days.
    @discardableResult
    public func initializeCA(
        commonName: String = "sstpd CA",
        algorithm: KeyAlgorithm = .defaultCA,
        days: Int = 3650,
        now: Date = Date()
    ) throws(PKIError) -> PKIIndex.Entry {
        try Self.checkDays(days)
        let parent = (self.directory as NSString).deletingLastPathComponent
        if !parent.isEmpty, !FileStore.exists(parent) {
            // For the default /var/lib/sstpd/pki on a fresh host; private like the state directory itself.
            do {
                try FileManager.default.createDirectory(
                    atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .fileSystem("creating parent directory \(parent)", errno: ENOENT)
            }
        }
        try FileStore.ensureDirectory(self.directory, mode: 0o700)
        return try FileStore.withLock(self.lockPath) { () throws(PKIError) -> PKIIndex.Entry in
            guard !self.isInitialized else { throw .alreadyInitialized(self.directory) }
            try FileStore.ensureDirectory(self.directory + "/certs", mode: 0o700)
            try FileStore.ensureDirectory(self.directory + "/private", mode: 0o700)
            let key = try PrivateKey.generate(algorithm)
            let certificate = try CertificateBuilder.issue(
                commonName: commonName, subjectKey: key, serial: Self.newSerial(),
                notBefore: now - Self.backdating, notAfter: now + TimeInterval(days) * 86_400,
                profile: .certificateAuthority, issuer: nil)
            try FileStore.write(try key.pemEncoded(), to: self.caKeyPath, mode: 0o600)
            let entry = Self.entry(for: certificate, kind: .ca)
            try FileStore.write(try certificate.pemEncoded(), to: self.certificatePath(serial: entry.serial), mode: 0o644)
            var index = PKIIndex()
            index.entries.append(entry)
            try self.save(index)
            // Written last: its presence is what marks the directory as initialized.
            try FileStore.write(try certificate.pemEncoded(), to: self.caCertificatePath, mode: 0o644)
            return entry
        }
    }

    /// The CA certificate and key.
    public func loadIssuer() throws(PKIError) -> CertificateBuilder.Issuer {
        guard self.isInitialized else { throw .notInitialized(self.directory) }
        let certificate = try Certificate(pem: try FileStore.readText(self.caCertificatePath))
        let key = try PrivateKey(pem: try FileStore.readText(self.caKeyPath))
        guard certificate.matches(key) else { throw .corruptState("the CA key does not match ca.pem") }
        return CertificateBuilder.Issuer(certificate: certificate, key: key)
    }

    // MARK: - Issuing

    /// Issues a server certificate for `name` (subject CN and first SAN; an IP literal becomes an IP SAN) plus
    /// `ipAddresses`, and writes the certificate, the chain (leaf, then CA) and the key.
    public func issueServer(
        name: String,
        ipAddresses: [String] = [],
        days: Int = 825,
        crlURL: String? = nil,
        now: Date = Date()
    ) throws(PKIError) -> Issued {
        try Self.checkDays(days)
        let nameIsAddress = CertificateProfile.isValidIPAddress(name)
        let profile = CertificateProfile.server(
            dnsNames: nameIsAddress ? [] : [name],
            ipAddresses: (nameIsAddress ? [name] : []) + ipAddresses.filter { $0 != name },
            crlDistributionPoint: crlURL)
        return try self.issue(commonName: name, kind: .server, profile: profile, days: days, now: now) {
            (certificate, key, issuer, entry) throws(PKIError) in
            let chain = try certificate.pemEncoded() + issuer.certificate.pemEncoded()
            try FileStore.write(chain, to: self.chainPath(serial: entry.serial), mode: 0o644)
            return (self.chainPath(serial: entry.serial), nil)
        }
    }

    /// Issues a client certificate with subject `CN=name` and writes it, its key, and a PKCS#12 file protected by
    /// `pkcs12Password` (see `PKCS12Archive`).
    public func issueClient(
        name: String,
        pkcs12Password: String,
        days: Int = 365,
        crlURL: String? = nil,
        now: Date = Date()
    ) throws(PKIError) -> Issued {
        try Self.checkDays(days)
        guard !pkcs12Password.isEmpty else { throw .invalidInput("the PKCS#12 password must not be empty") }
        return try self.issue(
            commonName: name, kind: .client, profile: .client(crlDistributionPoint: crlURL), days: days, now: now
        ) { (certificate, key, issuer, entry) throws(PKIError) in
            let p12 = try PKCS12Archive.make(
                certificate: certificate, key: key, caCertificates: [issuer.certificate], friendlyName: name,
                password: pkcs12Password)
            try FileStore.write(p12, to: self.pkcs12Path(serial: entry.serial), mode: 0o600)
            return (nil, self.pkcs12Path(serial: entry.serial))
        }
    }

    private func issue(
        commonName: String,
        kind: PKIIndex.Kind,
        profile: CertificateProfile,
        days: Int,
        now: Date,
        extraFiles: (Certificate, PrivateKey, CertificateBuilder.Issuer, PKIIndex.Entry) throws(PKIError) -> (
            chain: String?, pkcs12: String?
        )
    ) throws(PKIError) -> Issued {
        try self.withInitializedLock { () throws(PKIError) -> Issued in
            let issuer = try self.loadIssuer()
            var index = try self.loadIndex()
            let notAfter = now + TimeInterval(days) * 86_400
            // RFC 5280 §4.1.2.5 leaves it to the CA; Windows rejects a chain whose leaf outlives its CA.
            guard notAfter <= issuer.certificate.notAfter else {
                throw .invalidInput("the certificate would outlive the CA (lower --days)")
            }
            let key = try PrivateKey.generate(try self.caAlgorithm(issuer).leafAlgorithm)
            let certificate = try CertificateBuilder.issue(
                commonName: commonName, subjectKey: key, serial: Self.newSerial(), notBefore: now - Self.backdating,
                notAfter: notAfter, profile: profile, issuer: issuer)
            let entry = Self.entry(for: certificate, kind: kind)
            try FileStore.write(try key.pemEncoded(), to: self.keyPath(serial: entry.serial), mode: 0o600)
            try FileStore.write(try certificate.pemEncoded(), to: self.certificatePath(serial: entry.serial), mode: 0o644)
            let extra = try extraFiles(certificate, key, issuer, entry)
            index.entries.append(entry)
            try self.save(index)
            return Issued(
                entry: entry, certificatePath: self.certificatePath(serial: entry.serial), chainPath: extra.chain,
                keyPath: self.keyPath(serial: entry.serial), pkcs12Path: extra.pkcs12)
        }
    }

    /// Runs `body` under the state directory's lock, after checking that `ca init` has run.
    private func withInitializedLock<T>(_ body: () throws(PKIError) -> T) throws(PKIError) -> T {
        guard self.isInitialized else { throw .notInitialized(self.directory) }
        return try FileStore.withLock(self.lockPath, body)
    }

    private func caAlgorithm(_ issuer: CertificateBuilder.Issuer) throws(PKIError) -> KeyAlgorithm {
        issuer.key.isRSA ? .rsa(bits: issuer.key.bits) : .ecdsaP256
    }

    // MARK: - Revocation

    /// Revokes the valid client certificates whose SHA-1 thumbprint (hex, any case, colons allowed) or common name
    /// (ignoring letter case) is `nameOrThumbprint`; returns the entries revoked.
    @discardableResult
    public func revokeClient(_ nameOrThumbprint: String, now: Date = Date()) throws(PKIError) -> [PKIIndex.Entry] {
        try self.withInitializedLock { () throws(PKIError) -> [PKIIndex.Entry] in
            var index = try self.loadIndex()
            let thumbprint = Self.normalizedThumbprint(nameOrThumbprint)
            var revoked: [PKIIndex.Entry] = []
            for position in index.entries.indices where index.entries[position].kind == .client {
                let entry = index.entries[position]
                let matches =
                    entry.thumbprint == thumbprint
                    || entry.commonName.lowercased() == nameOrThumbprint.lowercased()
                guard matches, entry.status == .valid else { continue }
                index.entries[position].status = .revoked
                index.entries[position].revocationDate = now
                revoked.append(index.entries[position])
            }
            guard !revoked.isEmpty else {
                throw .notFound("no valid client certificate matches \(nameOrThumbprint.debugDescription)")
            }
            try self.save(index)
            return revoked
        }
    }

    /// Makes a CRL with every revoked serial, numbered one more than the last, valid for `days` days; writes it to
    /// `crl.pem` and returns it (PEM) with its number.
    public func makeCRL(days: Int = 7, now: Date = Date()) throws(PKIError) -> (pem: String, number: Int) {
        try Self.checkDays(days)
        return try self.withInitializedLock { () throws(PKIError) -> (pem: String, number: Int) in
            let issuer = try self.loadIssuer()
            var index = try self.loadIndex()
            let revoked = index.entries.filter { $0.status == .revoked }.map {
                CRLBuilder.RevokedEntry(serialHex: $0.serial, revocationDate: $0.revocationDate ?? now)
            }
            let number = index.crlNumber + 1
            let pem = try CRLBuilder.make(
                issuer: issuer, revoked: revoked, crlNumber: number, thisUpdate: now - Self.backdating,
                nextUpdate: now + TimeInterval(days) * 86_400)
            try FileStore.write(pem, to: self.crlPath, mode: 0o644)
            index.crlNumber = number
            try self.save(index)
            return (pem, number)
        }
    }

    // MARK: - Index

    /// The index (an empty one before `ca init`).
    public func loadIndex() throws(PKIError) -> PKIIndex {
        guard FileStore.exists(self.indexPath) else {
            guard self.isInitialized else { throw .notInitialized(self.directory) }
            throw .corruptState("index.json is missing")
        }
        return try PKIIndex(json: try FileStore.read(self.indexPath))
    }

    private func save(_ index: PKIIndex) throws(PKIError) {
        try FileStore.write(try index.encoded(), to: self.indexPath, mode: 0o644)
    }

    /// Thumbprint text without colons or spaces, upper-case.
    public static func normalizedThumbprint(_ text: String) -> String {
        String(text.filter { $0 != ":" && $0 != " " }).uppercased()
    }

    private static func entry(for certificate: Certificate, kind: PKIIndex.Kind) -> PKIIndex.Entry {
        let commonName = certificate.subjectCommonName ?? ""
        return PKIIndex.Entry(
            serial: certificate.serialHex, kind: kind, subject: "CN=" + commonName, commonName: commonName,
            thumbprint: certificate.sha1Thumbprint, notBefore: certificate.notBefore, notAfter: certificate.notAfter,
            status: .valid, revocationDate: nil)
    }

    /// 16 random bytes with the top bit clear and the next one set: positive, always 16 octets (RFC 5280 §4.1.2.2
    /// allows up to 20), so serials are 32 hex digits.
    static func newSerial() -> [UInt8] {
        var serial = SecureRandom.bytes(16)
        serial[0] = (serial[0] & 0x7f) | 0x40
        return serial
    }

    private static func checkDays(_ days: Int) throws(PKIError) {
        guard (1...36_500).contains(days) else { throw .invalidInput("days must be 1...36500") }
    }
}
