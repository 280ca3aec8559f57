import Foundation

/// The index of everything the CA issued (`index.json` in the state directory): one entry per certificate, by
/// serial, with its thumbprint, validity and revocation status, plus the number of the last CRL.
public struct PKIIndex: Codable, Sendable, Hashable {
    /// What a certificate is for.
    public enum Kind: String, Codable, Sendable, Hashable {
        case ca
        case server
        case client
    }

    /// Revocation status as recorded; expiry is derived from `notAfter` (`Entry.status(at:)`).
    public enum Status: String, Codable, Sendable, Hashable {
        case valid
        case revoked
    }

    /// One issued certificate.
    public struct Entry: Codable, Sendable, Hashable {
        /// Serial number, upper-case hex; also the file name stem under `certs/` and `private/`.
        public var serial: String
        public var kind: Kind
        /// The subject as a distinguished name string, `CN=...`.
        public var subject: String
        public var commonName: String
        /// SHA-1 over the DER, upper-case hex (the Windows/Azure "thumbprint").
        public var thumbprint: String
        public var notBefore: Date
        public var notAfter: Date
        public var status: Status
        public var revocationDate: Date?

        public init(
            serial: String, kind: Kind, subject: String, commonName: String, thumbprint: String, notBefore: Date,
            notAfter: Date, status: Status, revocationDate: Date?
        ) {
            self.serial = serial
            self.kind = kind
            self.subject = subject
            self.commonName = commonName
            self.thumbprint = thumbprint
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.status = status
            self.revocationDate = revocationDate
        }

        /// `"valid"`, `"revoked"` or `"expired"` (a revoked certificate stays "revoked" after it expires).
        public func displayStatus(at now: Date) -> String {
            switch self.status {
            case .revoked: "revoked"
            case .valid: now > self.notAfter ? "expired" : "valid"
            }
        }
    }

    /// Index format version.
    public var version: Int = 1
    /// The number of the last CRL issued (0: none yet). RFC 5280 §5.2.3: monotonically increasing.
    public var crlNumber: Int = 0
    /// Entries in issue order.
    public var entries: [Entry] = []

    public init() {}

    /// Encodes as pretty-printed JSON with ISO 8601 dates.
    public func encoded() throws(PKIError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return Array(try encoder.encode(self)) + [0x0a]
        } catch {
            throw .corruptState("encoding the index")
        }
    }

    /// Decodes `encoded()` output.
    public init(json: [UInt8]) throws(PKIError) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            self = try decoder.decode(PKIIndex.self, from: Data(json))
        } catch {
            throw .corruptState("cannot parse index.json")
        }
    }
}
