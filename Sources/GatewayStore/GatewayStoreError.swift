import Foundation
import GRDB

/// The one error type of the state store: a public code to branch on and a description for people.
///
/// Descriptions name users, addresses and record ids, never an NT hash or a statement's arguments: SQLite's
/// own messages are passed on, but GRDB's `DatabaseError.description` is not, because with
/// `publicStatementArguments` it may quote bound values.
public struct GatewayStoreError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, for callers that react differently (for example `sstpctl` exit codes).
    public enum Code: String, Sendable, Equatable {
        /// The database is locked by another writer for longer than the busy timeout, or was closed.
        case unavailable
        /// A user name is not 1–64 printable ASCII characters without `:`, `\`, `/` or white space.
        case invalidUserName
        /// A user record breaks a rule (hash length, method list).
        case invalidUser
        /// The named user does not exist.
        case unknownUser
        /// The address is reserved for another user.
        case addressReserved
        /// The text is not a dotted-quad IPv4 address.
        case invalidAddress
        /// No accounting record has that id.
        case unknownRecord
        /// The accounting record was already stopped.
        case recordClosed
        /// A legacy users file line could not be parsed.
        case invalidUsersFile
        /// The file was written by a newer sstpd (it has migrations this build does not know).
        case unsupportedSchema
        /// The file is not an SQLite database, or is damaged.
        case corrupt
        /// The file or its directory cannot be created, opened, read or written.
        case io
    }

    /// What went wrong.
    public let code: Code
    /// A sentence for logs and `sstpctl` output. Never contains a secret.
    public let description: String

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    @inline(never) static func unavailable(_ detail: String) -> Self { Self(.unavailable, "state store unavailable: \(detail)") }
    @inline(never) static func invalidUserName(_ name: String) -> Self {
        Self(.invalidUserName, "invalid user name \(name.debugDescription): 1–64 printable ASCII characters without ':', '\\', '/' or white space")
    }
    @inline(never) static func invalidUser(_ name: String, _ reason: String) -> Self { Self(.invalidUser, "user \(name): \(reason)") }
    @inline(never) static func unknownUser(_ name: String) -> Self { Self(.unknownUser, "no user \(name.debugDescription)") }
    @inline(never) static func addressReserved(_ address: String, by user: String) -> Self {
        Self(.addressReserved, "address \(address) is already reserved for \(user)")
    }
    @inline(never) static func invalidAddress(_ text: String) -> Self {
        Self(.invalidAddress, "\(text.debugDescription) is not an IPv4 address (a.b.c.d)")
    }
    @inline(never) static func unknownRecord(_ id: Int64) -> Self { Self(.unknownRecord, "no accounting record \(id)") }
    @inline(never) static func recordClosed(_ id: Int64) -> Self { Self(.recordClosed, "accounting record \(id) is already stopped") }
    @inline(never) static func invalidUsersFile(line: Int, _ reason: String) -> Self {
        Self(.invalidUsersFile, "users file line \(line): \(reason)")
    }
    @inline(never) static func unsupportedSchema(_ unknown: [String]) -> Self {
        Self(.unsupportedSchema, "the state file has schema migrations this sstpd does not know (\(unknown.joined(separator: ", "))); upgrade sstpd")
    }
    @inline(never) static func corrupt(_ detail: String) -> Self { Self(.corrupt, "state store damaged: \(detail)") }
    @inline(never) static func io(_ detail: String) -> Self { Self(.io, "state store I/O error: \(detail)") }

    /// Translates whatever GRDB or SQLite threw. Only the SQLite result code and message are used.
    static func wrapping(_ error: any Error) -> Self {
        if let error = error as? GatewayStoreError { return error }
        guard let error = error as? DatabaseError else { return .io(String(describing: type(of: error))) }
        let detail = "\(error.message ?? "SQLite error") (code \(error.extendedResultCode.rawValue))"
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_MISUSE, .SQLITE_INTERRUPT, .SQLITE_ABORT: return .unavailable(detail)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT, .SQLITE_SCHEMA: return .corrupt(detail)
        default: return .io(detail)
        }
    }
}
