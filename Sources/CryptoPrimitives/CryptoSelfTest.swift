/// Startup known-answer tests (cf. FIPS 140 power-up self-tests and pppd's crypto checks).
///
/// Run once before accepting connections: a libcrypto without working MD4/DES would make every MS-CHAPv2
/// login fail with a misleading E=691.
public enum CryptoSelfTest {
    /// Checks MD4, DES (8-byte and RFC 2759 7-byte key forms), SHA-1, SHA-256 and HMAC against published values.
    ///
    /// MD4 and DES are checked on the backend in use (`MD4.backend`) and, additionally, on the built-in Swift
    /// implementation, so a fallback is never first exercised in production.
    public static func run() throws(CryptoError) {
        try Self.run(legacyProvider: LegacyProvider.shared)
    }

    /// The same checks against an explicit legacy backend (`nil` = Swift implementations only).
    static func run(legacyProvider: LegacyProvider?) throws(CryptoError) {
        var md4Implementations: [(String, ([UInt8]) -> [UInt8])] = [("swift", SoftwareMD4.digest)]
        var desImplementations: [(String, ([UInt8], [UInt8]) -> [UInt8])] = [("swift", SoftwareDES.encrypt)]
        if let provider = legacyProvider {
            md4Implementations.append(("openssl", provider.md4Digest))
            desImplementations.append(("openssl", { provider.desEncrypt(key8: $0, block: $1) }))
        }

        // RFC 1320 §A.5 test suite.
        for (name, md4) in md4Implementations {
            try expect(md4([]), "31d6cfe0d16ae931b73c59d7e0c089c0", "MD4(\"\") [\(name)]")
            try expect(md4(Array("abc".utf8)), "a448017aaf21d8525fc10ae87aa6729d", "MD4(\"abc\") [\(name)]")
            try expect(
                md4(Array("message digest".utf8)),
                "d9130a8164549fe818874806e1c7014b",
                "MD4(\"message digest\") [\(name)]"
            )
        }

        // FIPS 81 Appendix B: key 0123456789ABCDEF, "Now is t" -> 3FA40E8A984D4815.
        // RFC 2759 §9.2: DesEncrypt(Challenge, PasswordHash[0..6]) is the first third of the NT-Response.
        let rfc2759Key8 = DES.expandKey(Hex.decode("44EBBA8D5312B8"))
        for (name, des) in desImplementations {
            try expect(
                des(Hex.decode("0123456789ABCDEF"), Array("Now is t".utf8)),
                "3fa40e8a984d4815",
                "DES-ECB FIPS 81 [\(name)]"
            )
            try expect(
                des(rfc2759Key8, Hex.decode("D02E4386BCE91226")),
                "82309ecd8d708b5e",
                "DesEncrypt RFC 2759 [\(name)]"
            )
        }

        // FIPS 180 examples.
        try expect(HashFunction.sha1.digest(Array("abc".utf8)), "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA-1")
        try expect(
            HashFunction.sha256.digest(Array("abc".utf8)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "SHA-256"
        )

        // RFC 2202 test case 2 and RFC 4231 test case 2.
        let jefe = Array("Jefe".utf8)
        let question = Array("what do ya want for nothing?".utf8)
        try expect(
            HMAC.authenticationCode(.sha1, key: jefe, message: question),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            "HMAC-SHA1 RFC 2202"
        )
        try expect(
            HMAC.authenticationCode(.sha256, key: jefe, message: question),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "HMAC-SHA256 RFC 4231"
        )
    }

    private static func expect(_ actual: [UInt8], _ expectedHex: String, _ test: String) throws(CryptoError) {
        guard actual == Hex.decode(expectedHex) else { throw CryptoError.selfTestFailed(test) }
    }
}

/// Hex helpers for compile-time-constant vectors.
enum Hex {
    /// Decodes a hex string of constant test data; traps on malformed input (a programming error).
    static func decode(_ string: String) -> [UInt8] {
        let nibbles = string.utf8.map { c -> UInt8 in
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: preconditionFailure("not a hex digit")
            }
        }
        precondition(nibbles.count % 2 == 0, "odd hex length")
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}
