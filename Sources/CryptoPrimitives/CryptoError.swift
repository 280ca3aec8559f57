/// The one error type of `CryptoPrimitives`.
///
/// Carries a public `code` and a private, secret-free diagnostic (never key material or digests of secrets).
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case selfTestFailed
            case openSSLFailure
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A known-answer test produced a value other than the published one.
        public static let selfTestFailed = Code(.selfTestFailed)
        /// An OpenSSL call failed.
        public static let openSSLFailure = Code(.openSSLFailure)

        public var description: String {
            switch self.base {
            case .selfTestFailed: "selfTestFailed"
            case .openSSLFailure: "openSSLFailure"
            }
        }
    }

    public let code: Code
    private let diagnostic: String

    private init(code: Code, diagnostic: String) {
        self.code = code
        self.diagnostic = diagnostic
    }

    /// A known-answer test failed; `test` names the algorithm and vector, never the values.
    @inline(never)
    static func selfTestFailed(_ test: String) -> CryptoError {
        CryptoError(code: .selfTestFailed, diagnostic: "known-answer test failed: \(test)")
    }

    /// An OpenSSL call failed; `detail` is OpenSSL's error queue text.
    @inline(never)
    static func openSSLFailure(_ call: String, detail: String) -> CryptoError {
        CryptoError(code: .openSSLFailure, diagnostic: "\(call) failed: \(detail)")
    }

    public var description: String { "CryptoError.\(self.code): \(self.diagnostic)" }
}
