import Testing

@testable import CryptoPrimitives

@Suite struct HashTests {
    @Test func sha1AndSHA256MatchFIPS180Examples() {
        #expect(HashFunction.sha1.digest(Array("abc".utf8)) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
        #expect(
            HashFunction.sha256.digest(Array("abc".utf8))
                == hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        )
        #expect(HashFunction.sha1.digest([]) == hex("da39a3ee5e6b4b0d3255bfef95601890afd80709"))
    }

    @Test func digestLengths() {
        #expect(HashFunction.sha1.digestLength == 20)
        #expect(HashFunction.sha256.digestLength == 32)
    }

    /// RFC 2202 §3 test cases 1 and 2.
    @Test func hmacSHA1MatchesRFC2202() {
        #expect(
            HMAC.authenticationCode(.sha1, key: [UInt8](repeating: 0x0B, count: 20), message: Array("Hi There".utf8))
                == hex("b617318655057264e28bc0b6fb378c8ef146be00")
        )
        #expect(
            HMAC.authenticationCode(.sha1, key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        )
    }

    /// RFC 4231 §4.2, §4.3 test cases 1 and 2.
    @Test func hmacSHA256MatchesRFC4231() {
        #expect(
            HMAC.authenticationCode(.sha256, key: [UInt8](repeating: 0x0B, count: 20), message: Array("Hi There".utf8))
                == hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        )
        #expect(
            HMAC.authenticationCode(
                .sha256,
                key: Array("Jefe".utf8),
                message: Array("what do ya want for nothing?".utf8)
            ) == hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        )
    }

    /// RFC 4231 §4.7 test case 6: a key longer than the block size is hashed first.
    @Test func hmacSHA256WithLongKey() {
        #expect(
            HMAC.authenticationCode(
                .sha256,
                key: [UInt8](repeating: 0xAA, count: 131),
                message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
            ) == hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        )
    }

    @Test func hmacAcceptsEmptyKeyAndMessage() {
        // HMAC-SHA256("", "") as printed by `openssl dgst -sha256 -hmac ""` on empty input.
        #expect(
            HMAC.authenticationCode(.sha256, key: [], message: [])
                == hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
        )
    }
}

@Suite struct ConstantTimeAndRandomTests {
    @Test func constantTimeEquals() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
        #expect(ConstantTime.equals([], []))
    }

    @Test func secureRandomProducesRequestedLengthAndVaries() {
        #expect(SecureRandom.bytes(0).isEmpty)
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)  // 2^-256 chance of a false failure
    }
}
