import NIOCore

/// A 128-bit IPv6 address as two big-endian halves.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, most significant first.
    public var high: UInt64
    /// The last 8 bytes.
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Full, uncompressed form ("2001:db8:0:0:0:0:0:1"); enough for logs.
    public var description: String {
        (0..<8).map { index -> String in
            let half = index < 4 ? high : low
            let group = UInt16(truncatingIfNeeded: half >> UInt64((3 - index % 4) * 16))
            return String(group, radix: 16)
        }.joined(separator: ":")
    }
}

/// The fixed IPv6 header (RFC 8200 §3), enough to check the source of a client's packet and route by destination.
/// Extension headers are not walked.
public struct IPv6Header: Hashable, Sendable {
    /// The length of the fixed header.
    public static let length = 40

    public var trafficClass: UInt8
    public var flowLabel: UInt32
    /// Payload Length: bytes after this 40-byte header (including extension headers).
    public var payloadLength: UInt16
    public var nextHeader: IPProtocol
    public var hopLimit: UInt8
    public var source: IPv6Address
    public var destination: IPv6Address

    /// Parses the header at `buffer`'s reader index (without moving it). Requires version 6 and
    /// 40 + Payload Length ≤ readable bytes.
    public init(parsing buffer: ByteBuffer) throws(IPPacketError) {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= Self.length, let first = buffer.getInteger(at: start, as: UInt32.self)
        else { throw .truncated }
        guard first >> 28 == 6 else { throw .unsupportedVersion(UInt8(first >> 28)) }
        self.trafficClass = UInt8(truncatingIfNeeded: first >> 20)
        self.flowLabel = first & 0xF_FFFF
        self.payloadLength = buffer.getInteger(at: start + 4)!
        guard Self.length + Int(payloadLength) <= buffer.readableBytes else { throw .truncated }
        self.nextHeader = IPProtocol(rawValue: buffer.getInteger(at: start + 6)!)
        self.hopLimit = buffer.getInteger(at: start + 7)!
        self.source = IPv6Address(high: buffer.getInteger(at: start + 8)!, low: buffer.getInteger(at: start + 16)!)
        self.destination = IPv6Address(
            high: buffer.getInteger(at: start + 24)!, low: buffer.getInteger(at: start + 32)!)
    }
}
