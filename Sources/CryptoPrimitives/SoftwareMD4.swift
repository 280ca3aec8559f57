/// MD4 (RFC 1320) in Swift, used only when OpenSSL's legacy provider is unavailable.
///
/// Written from the RFC's description (§3.1–§3.5); speed is irrelevant (one or two hashes per login).
enum SoftwareMD4 {
    /// The MD4 digest of `message` (16 bytes).
    static func digest(_ message: [UInt8]) -> [UInt8] {
        // §3.1–3.2: append a 1 bit, zeros to 448 mod 512, then the 64-bit little-endian bit length.
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) &* 8
        for i in 0..<8 { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(8 * i))) }

        // §3.3: initial buffer.
        var a: UInt32 = 0x6745_2301
        var b: UInt32 = 0xEFCD_AB89
        var c: UInt32 = 0x98BA_DCFE
        var d: UInt32 = 0x1032_5476

        var x = [UInt32](repeating: 0, count: 16)
        for blockStart in stride(from: 0, to: padded.count, by: 64) {
            for j in 0..<16 {
                let o = blockStart + 4 * j
                x[j] =
                    UInt32(padded[o]) | UInt32(padded[o + 1]) << 8 | UInt32(padded[o + 2]) << 16
                    | UInt32(padded[o + 3]) << 24
            }
            let (aa, bb, cc, dd) = (a, b, c, d)

            // Round 1: F(X,Y,Z) = XY v not(X) Z; [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s.
            for k in stride(from: 0, to: 16, by: 4) {
                a = rotl(a &+ f(b, c, d) &+ x[k], 3)
                d = rotl(d &+ f(a, b, c) &+ x[k + 1], 7)
                c = rotl(c &+ f(d, a, b) &+ x[k + 2], 11)
                b = rotl(b &+ f(c, d, a) &+ x[k + 3], 19)
            }
            // Round 2: G(X,Y,Z) = XY v XZ v YZ; a = (a + G(b,c,d) + X[k] + 5A827999) <<< s.
            for k in 0..<4 {
                a = rotl(a &+ g(b, c, d) &+ x[k] &+ 0x5A82_7999, 3)
                d = rotl(d &+ g(a, b, c) &+ x[k + 4] &+ 0x5A82_7999, 5)
                c = rotl(c &+ g(d, a, b) &+ x[k + 8] &+ 0x5A82_7999, 9)
                b = rotl(b &+ g(c, d, a) &+ x[k + 12] &+ 0x5A82_7999, 13)
            }
            // Round 3: H(X,Y,Z) = X xor Y xor Z; a = (a + H(b,c,d) + X[k] + 6ED9EBA1) <<< s.
            for k in [0, 2, 1, 3] {
                a = rotl(a &+ (b ^ c ^ d) &+ x[k] &+ 0x6ED9_EBA1, 3)
                d = rotl(d &+ (a ^ b ^ c) &+ x[k + 8] &+ 0x6ED9_EBA1, 9)
                c = rotl(c &+ (d ^ a ^ b) &+ x[k + 4] &+ 0x6ED9_EBA1, 11)
                b = rotl(b &+ (c ^ d ^ a) &+ x[k + 12] &+ 0x6ED9_EBA1, 15)
            }
            a = a &+ aa
            b = b &+ bb
            c = c &+ cc
            d = d &+ dd
        }

        // §3.5: output A, B, C, D, each low-order byte first.
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for word in [a, b, c, d] {
            for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: word >> UInt32(8 * i))) }
        }
        return out
    }

    private static func f(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x & y) | (~x & z) }
    private static func g(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 { (x & y) | (x & z) | (y & z) }
    private static func rotl(_ v: UInt32, _ s: UInt32) -> UInt32 { (v << s) | (v >> (32 - s)) }
}
