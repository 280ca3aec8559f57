import Glibc

/// A failed system call on a TUN device, with the operation and errno (no secrets are involved here).
public struct TUNError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done, e.g. "TUNSETIFF" or "SIOCSIFMTU".
    public let operation: String
    /// The errno value.
    public let errno: Int32

    public init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// Turns a shim's `-errno` / non-negative result into a value or an error.
    @inline(never)
    static func check(_ result: CInt, _ operation: String) throws(TUNError) -> CInt {
        guard result >= 0 else { throw TUNError(operation: operation, errno: -result) }
        return result
    }
}
