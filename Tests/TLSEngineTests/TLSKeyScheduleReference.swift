import CryptoPrimitives

// Reference implementations of the TLS exporters, written from the RFC text for the known-answer tests in
// ExporterKnownAnswerTests.swift. Deliberately plain and slow: they must not share code (or bugs) with OpenSSL's
// key schedule. HMAC-SHA-256 comes from CryptoPrimitives (libcrypto's HMAC, a different code path from libssl's
// exporter); SHA-384 is implemented here because CryptoPrimitives has only SHA-1 and SHA-256.

/// The hash of a cipher suite's PRF / HKDF.
enum SuiteHash: String, Sendable, CustomStringConvertible {
    case sha256 = "SHA-256"
    case sha384 = "SHA-384"

    var description: String { self.rawValue }

    var length: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        }
    }

    /// The PRF (TLS 1.2) or HKDF (TLS 1.3) hash of an OpenSSL cipher suite name, or `nil` if not one we expect.
    ///
    /// - TLS 1.3 (RFC 8446 §B.4): the suite name ends in its hash: `TLS_AES_128_GCM_SHA256`,
    ///   `TLS_CHACHA20_POLY1305_SHA256`, `TLS_AES_256_GCM_SHA384`.
    /// - TLS 1.2: RFC 5289 §3.2 gives the ECDHE AES-GCM and AES-CBC-SHA256/384 suites the PRF "with SHA-256 as the
    ///   hash function" or SHA-384 for the `_SHA384` suites. (Suites ending in `-SHA`, i.e. an HMAC-SHA-1 MAC,
    ///   would use the SHA-256 PRF; sstpd's servers never offer them, so they are left out on purpose.)
    init?(cipher: String) {
        if cipher.hasSuffix("SHA384") {
            self = .sha384
        } else if cipher.hasSuffix("SHA256") {
            self = .sha256
        } else {
            return nil
        }
    }

    func digest(_ message: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: HashFunction.sha256.digest(message)
        case .sha384: SHA384.digest(message)
        }
    }

    func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: HMAC.authenticationCode(.sha256, key: key, message: message)
        case .sha384: SHA384.hmac(key: key, message: message)
        }
    }
}

// MARK: - TLS 1.2 (RFC 5246 §5, RFC 5705 §4)

enum TLS12Reference {
    /// RFC 5246 §5:
    ///
    ///     P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
    ///     A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
    ///     PRF(secret, label, seed) = P_<hash>(secret, label + seed)
    static func prf(_ hash: SuiteHash, secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        let labelAndSeed = Array(label.utf8) + seed
        var output: [UInt8] = []
        var a = labelAndSeed
        while output.count < length {
            a = hash.hmac(key: secret, message: a)
            output += hash.hmac(key: secret, message: a + labelAndSeed)
        }
        return Array(output.prefix(length))
    }

    /// RFC 5705 §4:
    ///
    ///     PRF(master_secret, label, client_random + server_random)[length]                       (no context)
    ///     PRF(master_secret, label, client_random + server_random + context_value_length + context_value)[length]
    ///
    /// with `context_value_length` a uint16. RFC 5216 §2.3 (EAP-TLS) uses the first form.
    static func exporter(
        _ hash: SuiteHash, masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8], label: String,
        context: [UInt8]?, length: Int
    ) -> [UInt8] {
        var seed = clientRandom + serverRandom
        if let context {
            precondition(context.count <= 0xFFFF)
            seed += [UInt8(context.count >> 8), UInt8(context.count & 0xFF)] + context
        }
        return self.prf(hash, secret: masterSecret, label: label, seed: seed, length: length)
    }
}

// MARK: - TLS 1.3 (RFC 5869, RFC 8446 §7.1 and §7.5)

enum TLS13Reference {
    /// RFC 5869 §2.2: `PRK = HMAC-Hash(salt, IKM)`; an absent salt is `HashLen` zero octets.
    static func hkdfExtract(_ hash: SuiteHash, salt: [UInt8]?, inputKeyingMaterial: [UInt8]) -> [UInt8] {
        hash.hmac(key: salt ?? [UInt8](repeating: 0, count: hash.length), message: inputKeyingMaterial)
    }

    /// RFC 5869 §2.3: `T(0) = ""`, `T(i) = HMAC-Hash(PRK, T(i-1) | info | i)`, `OKM` = the first `length` octets.
    static func hkdfExpand(_ hash: SuiteHash, pseudorandomKey: [UInt8], info: [UInt8], length: Int) -> [UInt8] {
        precondition(length <= 255 * hash.length, "RFC 5869 §2.3: L <= 255*HashLen")
        var output: [UInt8] = []
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < length {
            previous = hash.hmac(key: pseudorandomKey, message: previous + info + [counter])
            output += previous
            counter += 1
        }
        return Array(output.prefix(length))
    }

    /// RFC 8446 §7.1:
    ///
    ///     HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)
    ///     struct { uint16 length = Length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255> = Context; } HkdfLabel;
    static func hkdfExpandLabel(
        _ hash: SuiteHash, secret: [UInt8], label: String, context: [UInt8], length: Int
    ) -> [UInt8] {
        let fullLabel = Array("tls13 ".utf8) + Array(label.utf8)
        precondition((7...255).contains(fullLabel.count) && context.count <= 255 && length <= 0xFFFF)
        let hkdfLabel =
            [UInt8(length >> 8), UInt8(length & 0xFF)] + [UInt8(fullLabel.count)] + fullLabel
            + [UInt8(context.count)] + context
        return self.hkdfExpand(hash, pseudorandomKey: secret, info: hkdfLabel, length: length)
    }

    /// RFC 8446 §7.1: `Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
    /// Transcript-Hash(Messages), Hash.length)`; here with the transcript hash given directly.
    static func deriveSecret(_ hash: SuiteHash, secret: [UInt8], label: String, transcriptHash: [UInt8]) -> [UInt8] {
        self.hkdfExpandLabel(hash, secret: secret, label: label, context: transcriptHash, length: hash.length)
    }

    /// RFC 8446 §7.5:
    ///
    ///     TLS-Exporter(label, context_value, key_length) =
    ///         HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length)
    ///
    /// > A zero-length context_value and no context_value are the same (§7.5: "the same as providing an empty
    /// > context"), so `context` `nil` and `[]` agree, unlike in TLS 1.2.
    static func exporter(
        _ hash: SuiteHash, exporterMasterSecret: [UInt8], label: String, context: [UInt8]?, length: Int
    ) -> [UInt8] {
        let perLabel = self.deriveSecret(
            hash, secret: exporterMasterSecret, label: label, transcriptHash: hash.digest([]))
        return self.hkdfExpandLabel(
            hash, secret: perLabel, label: "exporter", context: hash.digest(context ?? []), length: length)
    }
}

// MARK: - SHA-384 (FIPS 180-4 §6.5 = SHA-512's compression with other initial values, truncated)

enum SHA384 {
    /// FIPS 180-4 §4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80 primes
    /// (recomputed with exact integer arithmetic; any error would break the FIPS "abc" known answers below).
    private static let roundConstants: [UInt64] = [
        0x428a_2f98_d728_ae22, 0x7137_4491_23ef_65cd, 0xb5c0_fbcf_ec4d_3b2f, 0xe9b5_dba5_8189_dbbc,
        0x3956_c25b_f348_b538, 0x59f1_11f1_b605_d019, 0x923f_82a4_af19_4f9b, 0xab1c_5ed5_da6d_8118,
        0xd807_aa98_a303_0242, 0x1283_5b01_4570_6fbe, 0x2431_85be_4ee4_b28c, 0x550c_7dc3_d5ff_b4e2,
        0x72be_5d74_f27b_896f, 0x80de_b1fe_3b16_96b1, 0x9bdc_06a7_25c7_1235, 0xc19b_f174_cf69_2694,
        0xe49b_69c1_9ef1_4ad2, 0xefbe_4786_384f_25e3, 0x0fc1_9dc6_8b8c_d5b5, 0x240c_a1cc_77ac_9c65,
        0x2de9_2c6f_592b_0275, 0x4a74_84aa_6ea6_e483, 0x5cb0_a9dc_bd41_fbd4, 0x76f9_88da_8311_53b5,
        0x983e_5152_ee66_dfab, 0xa831_c66d_2db4_3210, 0xb003_27c8_98fb_213f, 0xbf59_7fc7_beef_0ee4,
        0xc6e0_0bf3_3da8_8fc2, 0xd5a7_9147_930a_a725, 0x06ca_6351_e003_826f, 0x1429_2967_0a0e_6e70,
        0x27b7_0a85_46d2_2ffc, 0x2e1b_2138_5c26_c926, 0x4d2c_6dfc_5ac4_2aed, 0x5338_0d13_9d95_b3df,
        0x650a_7354_8baf_63de, 0x766a_0abb_3c77_b2a8, 0x81c2_c92e_47ed_aee6, 0x9272_2c85_1482_353b,
        0xa2bf_e8a1_4cf1_0364, 0xa81a_664b_bc42_3001, 0xc24b_8b70_d0f8_9791, 0xc76c_51a3_0654_be30,
        0xd192_e819_d6ef_5218, 0xd699_0624_5565_a910, 0xf40e_3585_5771_202a, 0x106a_a070_32bb_d1b8,
        0x19a4_c116_b8d2_d0c8, 0x1e37_6c08_5141_ab53, 0x2748_774c_df8e_eb99, 0x34b0_bcb5_e19b_48a8,
        0x391c_0cb3_c5c9_5a63, 0x4ed8_aa4a_e341_8acb, 0x5b9c_ca4f_7763_e373, 0x682e_6ff3_d6b2_b8a3,
        0x748f_82ee_5def_b2fc, 0x78a5_636f_4317_2f60, 0x84c8_7814_a1f0_ab72, 0x8cc7_0208_1a64_39ec,
        0x90be_fffa_2363_1e28, 0xa450_6ceb_de82_bde9, 0xbef9_a3f7_b2c6_7915, 0xc671_78f2_e372_532b,
        0xca27_3ece_ea26_619c, 0xd186_b8c7_21c0_c207, 0xeada_7dd6_cde0_eb1e, 0xf57d_4f7f_ee6e_d178,
        0x06f0_67aa_7217_6fba, 0x0a63_7dc5_a2c8_98a6, 0x113f_9804_bef9_0dae, 0x1b71_0b35_131c_471b,
        0x28db_77f5_2304_7d84, 0x32ca_ab7b_40c7_2493, 0x3c9e_be0a_15c9_bebc, 0x431d_67c4_9c10_0d4c,
        0x4cc5_d4be_cb3e_42b6, 0x597f_299c_fc65_7e2a, 0x5fcb_6fab_3ad6_faec, 0x6c44_198c_4a47_5817,
    ]

    /// FIPS 180-4 §5.3.4: the first 64 bits of the fractional parts of the square roots of the 9th to 16th primes.
    private static let initialHash: [UInt64] = [
        0xcbbb_9d5d_c105_9ed8, 0x629a_292a_367c_d507, 0x9159_015a_3070_dd17, 0x152f_ecd8_f70e_5939,
        0x6733_2667_ffc0_0b31, 0x8eb4_4a87_6858_1511, 0xdb0c_2e0d_64f9_8fa7, 0x47b5_481d_befa_4fa4,
    ]

    static let blockLength = 128

    static func digest(_ message: [UInt8]) -> [UInt8] {
        // FIPS 180-4 §5.1.2: append 0x80, zeros, then the message length in bits as a 128-bit big-endian integer.
        var padded = message + [0x80]
        while padded.count % blockLength != blockLength - 16 { padded.append(0) }
        let bitLength = UInt64(message.count) * 8
        padded += [UInt8](repeating: 0, count: 8)  // high 64 bits: messages here are far below 2^64 bits
        padded += (0..<8).map { UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * UInt64($0))) }

        var h = initialHash
        var w = [UInt64](repeating: 0, count: 80)
        for blockStart in stride(from: 0, to: padded.count, by: blockLength) {
            for t in 0..<16 {
                w[t] = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(padded[blockStart + 8 * t + $1]) }
            }
            for t in 16..<80 {
                let s0 = rotr(w[t - 15], 1) ^ rotr(w[t - 15], 8) ^ (w[t - 15] >> 7)
                let s1 = rotr(w[t - 2], 19) ^ rotr(w[t - 2], 61) ^ (w[t - 2] >> 6)
                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for t in 0..<80 {
                let sigma1 = rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)
                let choose = (e & f) ^ (~e & g)
                let t1 = hh &+ sigma1 &+ choose &+ roundConstants[t] &+ w[t]
                let sigma0 = rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)
                let majority = (a & b) ^ (a & c) ^ (b & c)
                let t2 = sigma0 &+ majority
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (index, value) in [a, b, c, d, e, f, g, hh].enumerated() { h[index] = h[index] &+ value }
        }
        // SHA-384 is the first six words (384 bits) of the final state.
        return h.prefix(6).flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64($0))) } }
    }

    /// RFC 2104 with B = 128: `H((K ^ opad) ‖ H((K ^ ipad) ‖ text))`, keys longer than B hashed first.
    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > blockLength ? digest(key) : key
        block += [UInt8](repeating: 0, count: blockLength - block.count)
        let inner = digest(block.map { $0 ^ 0x36 } + message)
        return digest(block.map { $0 ^ 0x5c } + inner)
    }

    private static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { x >> n | x << (64 - n) }
}

// MARK: - Hex

func bytes(hex text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace && $0 != ":" })
    precondition(digits.count.isMultiple(of: 2), "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}
