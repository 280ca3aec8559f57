import GatewayPolicy
import Testing

/// Mutating calls cannot sit inside `#expect`; these wrappers make the assertions read straight.
private func take(_ bucket: inout TokenBucket, _ bytes: Int, now: UInt64) -> Bool { bucket.consume(bytes, now: now) }
private func level(_ bucket: inout TokenBucket, now: UInt64) -> UInt64 { bucket.available(now: now) }

@Suite("Token bucket")
struct TokenBucketTests {
    static let second: UInt64 = 1_000_000_000

    @Test("a full bucket passes a burst, then polices until time refills it")
    func burstThenPolice() {
        // 8 Mbit/s = 1 MB/s; burst 10 000 bytes.
        var bucket = TokenBucket(bitsPerSecond: 8_000_000, burstBytes: 10_000, now: 0)
        #expect(take(&bucket, 6_000, now: 0))
        #expect(take(&bucket, 4_000, now: 0))
        #expect(!take(&bucket, 1, now: 0))
        // 1 ms at 1 MB/s = 1000 bytes.
        #expect(take(&bucket, 1_000, now: 1_000_000))
        #expect(!take(&bucket, 1, now: 1_000_000))
        // Never more than the burst, however long it idles.
        #expect(level(&bucket, now: 100 * Self.second) == 10_000)
    }

    @Test("over ten seconds of offered overload the passed bytes stay within the rate plus one burst")
    func longRun() {
        var bucket = TokenBucket(bitsPerSecond: 100_000_000, now: 0)  // 12.5 MB/s
        var passed: UInt64 = 0
        var now: UInt64 = 0
        // Offer 1400-byte packets every 50 µs (28 MB/s, more than twice the rate) for 10 s.
        while now < 10 * Self.second {
            if bucket.consume(1400, now: now) { passed += 1400 }
            now += 50_000
        }
        let allowed = 10 * bucket.rate + bucket.burst
        #expect(passed <= allowed)
        #expect(passed >= allowed * 95 / 100)
    }

    @Test("slow trickles are not lost to rounding")
    func trickle() {
        var bucket = TokenBucket(bitsPerSecond: 8, burstBytes: 10, now: 0)  // 1 byte per second
        #expect(take(&bucket, 10, now: 0))
        var passed = 0
        for step in 1...100 {
            // Every 0.3 s: a byte is earned every third-to-fourth step.
            if bucket.consume(1, now: UInt64(step) * 300_000_000) { passed += 1 }
        }
        #expect(passed == 30)
    }
}

@Suite("Gateway SKUs")
struct GatewaySKUTests {
    @Test("profiles match the documented Azure figures")
    func figures() {
        #expect(GatewaySKU(name: "vpngw1") == .vpnGw1)
        #expect(GatewaySKU(name: "VpnGw9") == nil)
        #expect(GatewaySKU.basic.aggregateBitsPerSecond == 100_000_000)
        #expect(GatewaySKU.vpnGw3.aggregateBitsPerSecond == 1_250_000_000)
        #expect(GatewaySKU.allCases.allSatisfy { $0.maximumSSTPConnections == 128 })
    }
}
