/// The control socket's protocol: JSON lines over a Unix stream socket (docs/control.md).
///
/// Each request is one JSON object on one line; the daemon answers each with one JSON object on one line, in order.
/// A connection may carry any number of requests. Requests are at most 64 KiB; a longer or malformed line gets a
/// `bad_request` answer and the connection is closed.
///
///     → {"op":"sessions"}
///     ← {"ok":true,"sessions":[{"id":3,"user":"alice","address":"10.77.0.2",...}]}
///     → {"op":"disconnect","user":"alice"}
///     ← {"ok":true,"disconnected":1}
public struct ControlRequest: Codable, Sendable, Equatable {
    /// The operation.
    public enum Operation: String, Codable, Sendable, CaseIterable {
        /// Gateway status: uptime, sessions, pool, counters, lockouts.
        case status
        /// Every live session.
        case sessions
        /// Disconnect one session (`id`) or every session of a user (`user`): Call Disconnect, lease released.
        case disconnect
        /// The pool: size, used, free, reservations and leases.
        case pool
        /// Re-read the configuration, users, reservations and revocations without dropping sessions.
        case reload
    }

    public var op: Operation
    public var id: UInt64?
    public var user: String?

    public init(op: Operation, id: UInt64? = nil, user: String? = nil) {
        self.op = op
        self.id = id
        self.user = user
    }
}

/// One answer. `ok` says whether `error` or the operation's field is set.
public struct ControlResponse: Codable, Sendable {
    public var ok: Bool
    public var error: ControlError?
    public var status: GatewayStatusReport?
    public var sessions: [SessionReport]?
    public var disconnected: Int?
    public var pool: PoolReport?
    public var reload: ReloadReport?

    public init(
        ok: Bool = true, error: ControlError? = nil, status: GatewayStatusReport? = nil, sessions: [SessionReport]? = nil,
        disconnected: Int? = nil, pool: PoolReport? = nil, reload: ReloadReport? = nil
    ) {
        self.ok = ok
        self.error = error
        self.status = status
        self.sessions = sessions
        self.disconnected = disconnected
        self.pool = pool
        self.reload = reload
    }

    public static func failure(_ code: ControlError.Code, _ message: String) -> ControlResponse {
        ControlResponse(ok: false, error: ControlError(code: code, message: message))
    }
}

/// A typed refusal.
public struct ControlError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public enum Code: String, Codable, Sendable {
        case badRequest = "bad_request"
        case unknownSession = "unknown_session"
        case unknownUser = "unknown_user"
        case reloadFailed = "reload_failed"
        case internalError = "internal"
    }

    public var code: Code
    public var message: String
    public var description: String { "\(message) (\(code.rawValue))" }

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }
}

/// One live session as `sstpctl sessions list` shows it.
public struct SessionReport: Codable, Sendable, Equatable {
    public var id: UInt64
    public var user: String?
    public var address: String?
    /// The client's TCP address and port.
    public var peer: String
    /// "MS-CHAPv2" or "EAP-TLS", once authenticated.
    public var method: String?
    /// "SHA-256" or "SHA-1" once the crypto binding was verified.
    public var cryptoBinding: String?
    public var phase: String
    /// Seconds since 1970 UTC when the TCP connection was accepted.
    public var since: Double
    public var bytesIn: Int
    public var bytesOut: Int
    public var packetsIn: Int
    public var packetsOut: Int
}

/// The pool as `sstpctl pool show` shows it.
public struct PoolReport: Codable, Sendable, Equatable {
    public struct Reservation: Codable, Sendable, Equatable {
        public var user: String
        public var address: String
        public init(user: String, address: String) {
            self.user = user
            self.address = address
        }
    }

    public struct Lease: Codable, Sendable, Equatable {
        public var address: String
        public var user: String?
        public var session: UInt64
    }

    public var network: String
    public var gateway: String
    public var size: Int
    public var used: Int
    public var free: Int
    public var reservations: [Reservation]
    public var leases: [Lease]
}

/// What `sstpctl status` shows.
public struct GatewayStatusReport: Codable, Sendable, Equatable {
    public struct Lockout: Codable, Sendable, Equatable {
        /// "user" or "address".
        public var scope: String
        public var key: String
        public var failures: Int
        /// Seconds since 1970 UTC until which attempts are refused.
        public var until: Double
    }

    public var version: String
    public var pid: Int32
    /// Seconds since 1970 UTC.
    public var startedAt: Double
    public var listen: String
    public var sessions: Int
    public var maxSessions: Int
    public var poolSize: Int
    public var poolUsed: Int
    public var authMethods: [String]
    /// Refusal and drop counters since start, by name.
    public var counters: [String: Int]
    public var lockouts: [Lockout]
    /// The configuration in force: the file it came from and when it was (re)loaded.
    public var configurationFile: String?
    public var loadedAt: Double
    /// Where sstpd's memory is (resident set split, malloc's heap); absent from an older sstpd.
    public var memory: ProcessMemory?
}

/// The result of a reload.
public struct ReloadReport: Codable, Sendable, Equatable {
    /// What changed and is now in force (e.g. "users", "limits.max_sessions").
    public var applied: [String]
    /// Keys that changed in the file but only take effect after a restart (e.g. "listen.port").
    public var restartRequired: [String]
}
