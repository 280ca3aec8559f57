/// A token bucket (RFC 2697's single-rate idea without colours): `rate` bytes per second refill a bucket of at most
/// `burst` bytes; a packet passes if the bucket holds its size, and is dropped (policed) otherwise.
///
/// Pure: time comes in as monotonic nanoseconds, so tests drive it with a synthetic clock.
public struct TokenBucket: Sendable, Hashable {
    /// Refill rate in bytes per second.
    public let rate: UInt64
    /// Bucket depth in bytes.
    public let burst: UInt64
    private var tokens: UInt64
    private var lastRefill: UInt64

    /// - Parameters:
    ///   - bitsPerSecond: the cap; `rate` is this divided by 8.
    ///   - burstBytes: the depth; defaults to 50 ms at the rate, at least 64 KiB, so one TLS record's worth of
    ///     packets arriving together is not cut.
    ///   - now: monotonic nanoseconds.
    public init(bitsPerSecond: UInt64, burstBytes: UInt64? = nil, now: UInt64) {
        precondition(bitsPerSecond > 0, "a token bucket needs a positive rate")
        rate = bitsPerSecond / 8
        burst = burstBytes ?? max(rate / 20, 64 * 1024)
        tokens = burst
        lastRefill = now
    }

    /// Takes `bytes` tokens if the bucket holds them (after refilling up to `now`); returns whether the packet passes.
    public mutating func consume(_ bytes: Int, now: UInt64) -> Bool {
        refill(now: now)
        let needed = UInt64(bytes)
        guard tokens >= needed else { return false }
        tokens -= needed
        return true
    }

    /// Tokens available at `now` (for status).
    public mutating func available(now: UInt64) -> UInt64 {
        refill(now: now)
        return tokens
    }

    private mutating func refill(now: UInt64) {
        guard now > lastRefill else { return }
        let elapsed = now - lastRefill
        // Whole bytes earned so far; keep the remainder of the time so slow trickles are not lost to rounding.
        let earned = elapsed.multipliedFullWidth(by: rate)
        let (bytes, _) = UInt64(1_000_000_000).dividingFullWidth(earned)
        guard bytes > 0 else { return }
        if bytes >= burst - tokens {
            // Full: what would overflow is lost, and so is the time that earned it.
            tokens = burst
            lastRefill = now
        } else {
            tokens += bytes
            // Advance only by the time those whole bytes took (bytes < burst, so no overflow).
            lastRefill += bytes * 1_000_000_000 / rate
        }
    }
}
