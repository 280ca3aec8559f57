internal import COpenSSL
internal import COpenSSLShims

/// The hash functions SSTP crypto binding and MS-CHAPv2 need (MS-SSTP §2.2.7, RFC 2759 §8, RFC 3079 §3).
///
/// Both come from OpenSSL's default provider in the default library context.
public enum HashFunction: Sendable, Hashable {
    case sha1
    case sha256

    /// Output length in bytes: 20 for SHA-1, 32 for SHA-256.
    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        }
    }

    var evpMD: OpaquePointer {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        }
    }

    /// The digest of `data`.
    public func digest(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: self.digestLength)
        var outLength: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &outLength, self.evpMD, nil)
            }
        }
        // Hashing in the default provider cannot fail short of memory exhaustion.
        guard ok == 1, Int(outLength) == self.digestLength else {
            fatalError("EVP_Digest failed: \(OpenSSLErrors.drain())")
        }
        return out
    }
}

/// HMAC (RFC 2104) over `HashFunction`.
public enum HMAC {
    /// HMAC-H(key, message).
    public static func authenticationCode(_ hash: HashFunction, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: hash.digestLength)
        var outLength: UInt32 = 0
        let result = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    // An empty array may have a nil base address; OpenSSL wants a valid pointer for the key.
                    withUnsafePointer(to: UInt8(0)) { zero in
                        COpenSSL.HMAC(
                            hash.evpMD,
                            UnsafeRawPointer(k.baseAddress ?? zero),
                            Int32(k.count),
                            m.baseAddress ?? zero,
                            m.count,
                            o.baseAddress,
                            &outLength
                        )
                    }
                }
            }
        }
        guard result != nil, Int(outLength) == hash.digestLength else {
            fatalError("HMAC failed: \(OpenSSLErrors.drain())")
        }
        return out
    }
}

/// Comparison whose duration does not depend on where the inputs differ.
public enum ConstantTime {
    /// `true` when `a` and `b` have the same length and contents (`CRYPTO_memcmp`).
    ///
    /// The length is not secret (MAC and authenticator lengths are fixed by the protocols), so a length mismatch
    /// returns `false` at once.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
        }
    }
}

/// The process's cryptographically secure random source (OpenSSL's DRBG).
public enum SecureRandom {
    /// `count` random bytes from `RAND_bytes`. A failing CSPRNG is unrecoverable, so this traps.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard ok == 1 else { fatalError("RAND_bytes failed: \(OpenSSLErrors.drain())") }
        return out
    }
}

/// Reads this thread's OpenSSL error queue.
enum OpenSSLErrors {
    /// Drains the queue into one line (OpenSSL's texts name functions and reasons, never data).
    static func drain() -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = buffer.withUnsafeMutableBufferPointer { cshim_err_string($0.baseAddress, $0.count) }
        guard length > 0 else { return "no OpenSSL error queued" }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
