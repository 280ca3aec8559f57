internal import COpenSSL

/// Which implementation serves MD4 and single DES.
public enum LegacyAlgorithmBackend: Sendable, Hashable, CustomStringConvertible {
    /// OpenSSL 3's `legacy` provider, loaded into a private library context.
    case openSSLLegacyProvider
    /// The built-in Swift implementations (used when `legacy.so` is missing).
    case swift

    public var description: String {
        switch self {
        case .openSSLLegacyProvider: "openssl-legacy-provider"
        case .swift: "swift"
        }
    }
}

/// MD4 and DES-ECB fetched from OpenSSL's `legacy` provider in a private `OSSL_LIB_CTX`.
///
/// MD4 (RFC 1320) and single DES are only in OpenSSL 3's legacy provider. Loading it into the *default*
/// library context would change what the TLS stack can negotiate, so this loads "legacy" and "default" into a
/// context of its own. The context and the fetched algorithms live for the whole process; they are immutable
/// after creation, and OpenSSL documents fetched `EVP_MD`/`EVP_CIPHER` objects as usable from any thread.
final class LegacyProvider: @unchecked Sendable {
    private let libraryContext: OpaquePointer
    let md4: OpaquePointer
    let desECB: OpaquePointer

    /// The process-wide instance, created on first use (Swift globals are initialised once, thread-safely), or
    /// `nil` when the legacy provider cannot be loaded.
    static let shared: LegacyProvider? = LegacyProvider(providerName: "legacy")

    /// Loads `providerName` (normally "legacy"; tests pass a missing name to exercise the fallback).
    init?(providerName: String) {
        guard let context = OSSL_LIB_CTX_new() else { return nil }
        guard OSSL_PROVIDER_load(context, providerName) != nil,
            OSSL_PROVIDER_load(context, "default") != nil,
            let md4 = EVP_MD_fetch(context, "MD4", nil)
        else {
            _ = OpenSSLErrors.drain()  // leave no stale errors for the next OpenSSL user on this thread
            OSSL_LIB_CTX_free(context)
            return nil
        }
        guard let des = EVP_CIPHER_fetch(context, "DES-ECB", nil) else {
            _ = OpenSSLErrors.drain()
            EVP_MD_free(md4)
            OSSL_LIB_CTX_free(context)
            return nil
        }
        self.libraryContext = context
        self.md4 = md4
        self.desECB = des
    }

    /// Whether the *default* library context (the one TLS uses) can fetch digest `name`; used to check that
    /// loading the legacy provider privately left the default context unchanged.
    static func defaultContextFetchesDigest(_ name: String) -> Bool {
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            _ = OpenSSLErrors.drain()
            return false
        }
        EVP_MD_free(md)
        return true
    }

    deinit {
        EVP_CIPHER_free(self.desECB)
        EVP_MD_free(self.md4)
        OSSL_LIB_CTX_free(self.libraryContext)
    }

    /// MD4 of `data`.
    func md4Digest(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var outLength: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &outLength, self.md4, nil)
            }
        }
        guard ok == 1, outLength == 16 else { fatalError("EVP_Digest(MD4) failed: \(OpenSSLErrors.drain())") }
        return out
    }

    /// DES-ECB encryption of one 8-byte block under an 8-byte key, without padding.
    func desEncrypt(key8: [UInt8], block: [UInt8]) -> [UInt8] {
        precondition(key8.count == 8 && block.count == 8)
        guard let ctx = EVP_CIPHER_CTX_new() else { fatalError("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: 16)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        let ok = key8.withUnsafeBufferPointer { key in
            block.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    guard EVP_EncryptInit_ex2(ctx, self.desECB, key.baseAddress, nil, nil) == 1,
                        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1,
                        EVP_EncryptUpdate(ctx, output.baseAddress, &written, input.baseAddress, 8) == 1,
                        EVP_EncryptFinal_ex(ctx, output.baseAddress! + Int(written), &finalWritten) == 1
                    else { return false }
                    return true
                }
            }
        }
        guard ok, written + finalWritten == 8 else {
            fatalError("DES-ECB encryption failed: \(OpenSSLErrors.drain())")
        }
        return Array(out.prefix(8))
    }
}

/// MD4 (RFC 1320), for the NT password hash (RFC 2759 §8.3). Not a general-purpose hash.
public enum MD4 {
    /// The implementation in use for this process.
    public static var backend: LegacyAlgorithmBackend {
        LegacyProvider.shared == nil ? .swift : .openSSLLegacyProvider
    }

    /// MD4 of `data` (16 bytes).
    public static func digest(_ data: [UInt8]) -> [UInt8] {
        if let provider = LegacyProvider.shared {
            return provider.md4Digest(data)
        }
        return SoftwareMD4.digest(data)
    }
}

/// Single DES, as MS-CHAPv2 uses it (RFC 2759 §8.6 DesEncrypt).
public enum DES {
    /// The implementation in use for this process.
    public static var backend: LegacyAlgorithmBackend { MD4.backend }

    /// RFC 2759 DesEncrypt: 7-byte key expanded to 8 with parity bits, one 8-byte block, ECB.
    ///
    /// > Use the DES encryption algorithm [4] in ECB mode (10) to encrypt Clear into Cypher such that Cypher
    /// > can only be decrypted back to Clear by providing Key. Note that the DES algorithm takes as input a
    /// > 64-bit stream where the 8th, 16th, 24th, etc. bits are parity bits ignored by the encrypting algorithm.
    /// > Unless you write your own DES to accept 56-bit input without parity, you will need to insert the
    /// > parity bits yourself. (RFC 2759 §8.6)
    public static func encryptBlock(key7: [UInt8], block: [UInt8]) -> [UInt8] {
        precondition(key7.count == 7, "DES key must be 7 bytes")
        precondition(block.count == 8, "DES block must be 8 bytes")
        let key8 = Self.expandKey(key7)
        if let provider = LegacyProvider.shared {
            return provider.desEncrypt(key8: key8, block: block)
        }
        return SoftwareDES.encrypt(key8: key8, block: block)
    }

    /// Spreads 56 key bits over 8 bytes (7 bits each, most significant first) and sets odd parity in bit 0.
    static func expandKey(_ key7: [UInt8]) -> [UInt8] {
        var bits: UInt64 = 0
        for byte in key7 { bits = (bits << 8) | UInt64(byte) }
        var key8 = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 {
            let seven = UInt8(truncatingIfNeeded: bits >> UInt64(49 - 7 * i)) & 0x7F
            var byte = seven << 1
            if (seven.nonzeroBitCount & 1) == 0 { byte |= 1 }  // odd parity over all 8 bits
            key8[i] = byte
        }
        return key8
    }
}
