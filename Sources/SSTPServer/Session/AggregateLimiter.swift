import GatewayPolicy
import NIOCore
import Synchronization
import struct NIOConcurrencyHelpers.NIOLockedValueBox

/// One token bucket shared by every session of the gateway (all tunnels share the gateway's bandwidth, as on an
/// Azure VPN gateway). Packets over the cap are dropped (policed) and counted; TCP inside the tunnel backs off.
/// Uplink and downlink each have their own bucket at the full rate.
public final class AggregateLimiter: Sendable {
    public let bitsPerSecond: UInt64
    private let uplink: NIOLockedValueBox<TokenBucket>
    private let downlink: NIOLockedValueBox<TokenBucket>
    /// Packets dropped because the gateway was over its cap, per direction.
    public let droppedUplink = Atomic<Int>(0)
    public let droppedDownlink = Atomic<Int>(0)

    public init(bitsPerSecond: UInt64) {
        self.bitsPerSecond = bitsPerSecond
        let now = NIODeadline.now().uptimeNanoseconds
        uplink = NIOLockedValueBox(TokenBucket(bitsPerSecond: bitsPerSecond, now: now))
        downlink = NIOLockedValueBox(TokenBucket(bitsPerSecond: bitsPerSecond, now: now))
    }

    /// Whether a client → network packet of `bytes` may pass now.
    func admitUplink(_ bytes: Int) -> Bool { admit(bytes, uplink, droppedUplink) }

    /// Whether a network → client packet of `bytes` may pass now.
    func admitDownlink(_ bytes: Int) -> Bool { admit(bytes, downlink, droppedDownlink) }

    private func admit(_ bytes: Int, _ bucket: NIOLockedValueBox<TokenBucket>, _ dropped: borrowing Atomic<Int>) -> Bool {
        let now = NIODeadline.now().uptimeNanoseconds
        if bucket.withLockedValue({ $0.consume(bytes, now: now) }) { return true }
        dropped.add(1, ordering: .relaxed)
        return false
    }
}
