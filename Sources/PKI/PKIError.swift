internal import COpenSSL
internal import COpenSSLShims

/// The one error type of `PKI`.
///
/// A public `code` to branch on and a private diagnostic: what was being done, plus OpenSSL's error-queue text
/// (which names functions and reasons, never data). Private keys and PKCS#12 passwords never appear in it.
public struct PKIError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case openSSLFailure
            case invalidInput
            case notInitialized
            case alreadyInitialized
            case notFound
            case fileSystem
            case corruptState
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// An OpenSSL call failed (key generation, encoding, signing, ...).
        public static let openSSLFailure = Code(.openSSLFailure)
        /// A name, address, URL, validity or password the caller gave was rejected.
        public static let invalidInput = Code(.invalidInput)
        /// The state directory has no CA yet (`sstpctl ca init`).
        public static let notInitialized = Code(.notInitialized)
        /// `ca init` on a directory that already holds a CA.
        public static let alreadyInitialized = Code(.alreadyInitialized)
        /// No certificate matches the given name or thumbprint.
        public static let notFound = Code(.notFound)
        /// Reading, writing or creating a file or directory failed.
        public static let fileSystem = Code(.fileSystem)
        /// A file in the state directory could not be parsed.
        public static let corruptState = Code(.corruptState)

        public var description: String {
            switch self.base {
            case .openSSLFailure: "openSSLFailure"
            case .invalidInput: "invalidInput"
            case .notInitialized: "notInitialized"
            case .alreadyInitialized: "alreadyInitialized"
            case .notFound: "notFound"
            case .fileSystem: "fileSystem"
            case .corruptState: "corruptState"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    private let diagnostic: String

    private init(code: Code, diagnostic: String) {
        self.code = code
        self.diagnostic = diagnostic
    }

    public var description: String { "PKIError.\(self.code): \(self.diagnostic)" }

    /// `what` failed inside OpenSSL; drains this thread's OpenSSL error queue.
    @inline(never)
    static func openSSL(_ what: String) -> PKIError {
        PKIError(code: .openSSLFailure, diagnostic: withQueue(what))
    }

    @inline(never)
    static func invalidInput(_ what: String) -> PKIError { PKIError(code: .invalidInput, diagnostic: what) }

    @inline(never)
    static func notInitialized(_ directory: String) -> PKIError {
        PKIError(code: .notInitialized, diagnostic: "no CA in \(directory) (run `sstpctl ca init`)")
    }

    @inline(never)
    static func alreadyInitialized(_ directory: String) -> PKIError {
        PKIError(code: .alreadyInitialized, diagnostic: "\(directory) already holds a CA")
    }

    @inline(never)
    static func notFound(_ what: String) -> PKIError { PKIError(code: .notFound, diagnostic: what) }

    @inline(never)
    static func fileSystem(_ what: String, errno code: Int32) -> PKIError {
        PKIError(code: .fileSystem, diagnostic: "\(what): errno \(code)")
    }

    @inline(never)
    static func corruptState(_ what: String) -> PKIError { PKIError(code: .corruptState, diagnostic: what) }

    private static func withQueue(_ what: String) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = buffer.withUnsafeMutableBufferPointer { cshim_err_string($0.baseAddress, $0.count) }
        guard length > 0 else { return what }
        return what + ": " + String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
