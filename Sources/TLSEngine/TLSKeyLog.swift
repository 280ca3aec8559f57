internal import COpenSSL
import struct NIOConcurrencyHelpers.NIOLockedValueBox

/// A collector of TLS secrets in the NSS key log format, for tests and for debugging with Wireshark. Off unless a
/// `TLSContext` is given one with `enableKeyLog(_:)`, which nothing in sstpd's production paths does.
///
/// OpenSSL (`SSL_CTX_set_keylog_callback`) reports one line per secret as the handshake derives it, in the format
/// NSS defined for `SSLKEYLOGFILE` (draft-ietf-tls-keylogfile):
///
///     <label> <client_random, 64 hex digits> <secret, hex>
///
/// - TLS 1.2: `CLIENT_RANDOM` with the 48-octet master secret.
/// - TLS 1.3: `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`,
///   `SERVER_TRAFFIC_SECRET_0` and `EXPORTER_SECRET` (RFC 8446 §7.1 `exporter_master_secret`, the input of the
///   §7.5 exporter that yields the EAP-TLS 1.3 MSK).
///
/// Wireshark: write `lines` (or, via `sink`, each line as it arrives) to a file, one per line, and point
/// Preferences → Protocols → TLS → "(Pre)-Master-Secret log filename" at it to decrypt a capture of the sessions.
///
/// **Every line is a live session key.** Anyone with the log and a capture reads the traffic (for an SSTP tunnel:
/// the PPP frames, and so the user's packets). Never enable it on a production gateway, never write it anywhere
/// shared, and delete it after use.
public final class TLSKeyLog: Sendable {
    /// An NSS key log label.
    public struct Label: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { self.rawValue }

        /// TLS 1.2 and earlier: the master secret.
        public static let clientRandom = Label(rawValue: "CLIENT_RANDOM")
        /// TLS 1.3 `client_handshake_traffic_secret` (RFC 8446 §7.1).
        public static let clientHandshakeTrafficSecret = Label(rawValue: "CLIENT_HANDSHAKE_TRAFFIC_SECRET")
        /// TLS 1.3 `server_handshake_traffic_secret`.
        public static let serverHandshakeTrafficSecret = Label(rawValue: "SERVER_HANDSHAKE_TRAFFIC_SECRET")
        /// TLS 1.3 `client_application_traffic_secret_0`.
        public static let clientTrafficSecret0 = Label(rawValue: "CLIENT_TRAFFIC_SECRET_0")
        /// TLS 1.3 `server_application_traffic_secret_0`.
        public static let serverTrafficSecret0 = Label(rawValue: "SERVER_TRAFFIC_SECRET_0")
        /// TLS 1.3 `exporter_master_secret`.
        public static let exporterSecret = Label(rawValue: "EXPORTER_SECRET")
    }

    /// One parsed key log line.
    public struct Entry: Hashable, Sendable {
        public let label: Label
        /// The 32-octet `ClientHello.random` identifying the session.
        public let clientRandom: [UInt8]
        public let secret: [UInt8]

        public init(label: Label, clientRandom: [UInt8], secret: [UInt8]) {
            self.label = label
            self.clientRandom = clientRandom
            self.secret = secret
        }

        /// Parses `<label> <client_random hex> <secret hex>`; `nil` for anything else (comments, blank lines).
        public init?(line: String) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, let random = Self.bytes(hex: fields[1]), random.count == 32,
                let secret = Self.bytes(hex: fields[2]), !secret.isEmpty
            else { return nil }
            self.init(label: Label(rawValue: String(fields[0])), clientRandom: random, secret: secret)
        }

        /// The line in NSS key log format (lower-case hex), without a line break.
        public var line: String {
            "\(self.label.rawValue) \(Self.hex(self.clientRandom)) \(Self.hex(self.secret))"
        }

        private static func bytes(hex: Substring) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count.isMultiple(of: 2) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(digits.count / 2)
            var index = 0
            while index < digits.count {
                guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else {
                    return nil
                }
                out.append(high << 4 | low)
                index += 2
            }
            return out
        }

        private static func nibble(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        private static func hex(_ bytes: [UInt8]) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 2)
            for byte in bytes {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private let recorded = NIOLockedValueBox<[String]>([])
    private let sink: (@Sendable (String) -> Void)?

    /// - Parameter sink: also called with each line (no line break) as OpenSSL reports it, on the thread running
    ///   the handshake; for example to append it to a Wireshark key log file. Keep it short: it runs inside
    ///   `TLSConnection.drive()`.
    public init(sink: (@Sendable (String) -> Void)? = nil) {
        self.sink = sink
    }

    /// Every line reported so far, in order, as OpenSSL wrote them.
    public var lines: [String] { self.recorded.withLockedValue { $0 } }

    /// Every well-formed line reported so far, parsed.
    public var entries: [Entry] { self.lines.compactMap(Entry.init(line:)) }

    /// The last secret logged under `label` for the session whose `ClientHello.random` is `clientRandom`.
    public func secret(_ label: Label, clientRandom: [UInt8]) -> [UInt8]? {
        self.entries.last { $0.label == label && $0.clientRandom == clientRandom }?.secret
    }

    /// Forgets everything recorded (the sink has already seen it).
    public func removeAll() {
        self.recorded.withLockedValue { $0.removeAll() }
    }

    fileprivate func record(_ line: String) {
        self.recorded.withLockedValue { $0.append(line) }
        self.sink?(line)
    }
}

extension TLSContext {
    /// Diagnostic: reports the secrets of every handshake of connections made from this context to `keyLog`
    /// (NSS key log format; see `TLSKeyLog`). For tests and Wireshark debugging only: it exposes session keys.
    ///
    /// Call it once, right after creating the context and before making any connection from it: the context is
    /// shared between threads without locking once connections exist, so installing the callback later would
    /// race with their handshakes. A second call on the same context is a programming error and traps.
    ///
    /// The context keeps `keyLog` alive (a strong reference in the `SSL_CTX`'s ex_data, released when the
    /// `SSL_CTX` is freed).
    public func enableKeyLog(_ keyLog: TLSKeyLog) {
        let index = keyLogExDataIndex
        precondition(index >= 0, "CRYPTO_get_ex_new_index failed")
        precondition(SSL_CTX_get_ex_data(self.sslContext, index) == nil, "the key log is already enabled")
        let retained = Unmanaged.passRetained(keyLog).toOpaque()
        guard SSL_CTX_set_ex_data(self.sslContext, index, retained) == 1 else {
            Unmanaged<TLSKeyLog>.fromOpaque(retained).release()
            preconditionFailure("SSL_CTX_set_ex_data failed")
        }
        // `SSL_CTX_keylog_cb_func`: called by OpenSSL on the handshaking thread with one NUL-terminated line.
        SSL_CTX_set_keylog_callback(self.sslContext) { ssl, line in
            guard let ssl, let line, let context = SSL_get_SSL_CTX(ssl),
                let pointer = SSL_CTX_get_ex_data(context, keyLogExDataIndex)
            else { return }
            Unmanaged<TLSKeyLog>.fromOpaque(pointer).takeUnretainedValue().record(String(cString: line))
        }
    }
}

/// The `SSL_CTX` ex_data slot holding a retained `TLSKeyLog` (`Unmanaged.passRetained`).
///
/// A C callback cannot capture context, so the key log callback finds the collector through the `SSL`'s `SSL_CTX`.
/// The free function releases the reference when OpenSSL frees the `SSL_CTX` (it is also called with `nil` for
/// contexts that never had a key log). A Swift global `let` is initialised once, thread-safely.
private let keyLogExDataIndex: Int32 = CRYPTO_get_ex_new_index(
    CRYPTO_EX_INDEX_SSL_CTX, 0, nil, nil, nil,
    { _, pointer, _, _, _, _ in
        guard let pointer else { return }
        Unmanaged<TLSKeyLog>.fromOpaque(pointer).release()
    }
)
