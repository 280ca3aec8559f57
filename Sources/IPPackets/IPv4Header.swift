import NIOCore

/// The fixed part of an IPv4 header (RFC 791 §3.1). Addresses are 32-bit values, most significant octet first.
///
/// Used both for parsing (``IPv4Packet``) and for building packets (``NIOCore/ByteBuffer/writeIPv4Header(_:)``,
/// which always writes a 20-byte header without options and computes the checksum).
public struct IPv4Header: Hashable, Sendable {
    /// The length of a header without options.
    public static let minimumLength = 20

    /// Header length in bytes (IHL × 4), 20...60.
    public var headerLength: Int
    /// Type of Service / DSCP+ECN octet.
    public var typeOfService: UInt8
    /// Total Length: header plus data, in bytes.
    public var totalLength: UInt16
    public var identification: UInt16
    /// Flags (3 bits) and Fragment Offset (13 bits) as on the wire.
    public var flagsAndFragmentOffset: UInt16
    public var timeToLive: UInt8
    public var `protocol`: IPProtocol
    /// Header Checksum as read from the wire (ignored when writing: the writer computes it).
    public var headerChecksum: UInt16
    public var source: UInt32
    public var destination: UInt32

    /// Creates a header for a packet to send. `totalLength` includes this 20-byte header.
    public init(
        typeOfService: UInt8 = 0,
        totalLength: UInt16,
        identification: UInt16 = 0,
        dontFragment: Bool = false,
        timeToLive: UInt8 = 64,
        protocol: IPProtocol,
        source: UInt32,
        destination: UInt32
    ) {
        self.headerLength = Self.minimumLength
        self.typeOfService = typeOfService
        self.totalLength = totalLength
        self.identification = identification
        self.flagsAndFragmentOffset = dontFragment ? 0x4000 : 0
        self.timeToLive = timeToLive
        self.protocol = `protocol`
        self.headerChecksum = 0
        self.source = source
        self.destination = destination
    }

    /// Always 4.
    public var version: UInt8 { 4 }

    /// The DF flag (RFC 791 §3.1, bit 1 of Flags).
    public var dontFragment: Bool { flagsAndFragmentOffset & 0x4000 != 0 }

    /// The MF flag.
    public var moreFragments: Bool { flagsAndFragmentOffset & 0x2000 != 0 }

    /// Fragment Offset in units of 8 bytes.
    public var fragmentOffset: UInt16 { flagsAndFragmentOffset & 0x1FFF }
}

/// A validated IPv4 packet: its header and a zero-copy slice of its payload.
public struct IPv4Packet: Sendable {
    public var header: IPv4Header
    /// Whether the header checksum verifies (RFC 791 §3.1; the sum over the header including the field is zero).
    public var isHeaderChecksumValid: Bool
    /// The bytes after the header up to Total Length (a slice sharing storage with the input).
    public var payload: ByteBuffer

    /// Parses the packet starting at `buffer`'s reader index (the reader index is not moved).
    ///
    /// Checks version 4, IHL ≥ 5, IHL×4 ≤ Total Length ≤ readable bytes; trailing bytes past Total Length (link
    /// padding) are ignored. A bad header checksum does not throw: see ``isHeaderChecksumValid``.
    public init(parsing buffer: ByteBuffer) throws(IPPacketError) {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= IPv4Header.minimumLength,
            let versionAndIHL = buffer.getInteger(at: start, as: UInt8.self)
        else { throw .truncated }
        guard versionAndIHL >> 4 == 4 else { throw .unsupportedVersion(versionAndIHL >> 4) }
        let ihl = versionAndIHL & 0x0F
        guard ihl >= 5 else { throw .invalidHeaderLength(ihl) }
        let headerLength = Int(ihl) * 4
        guard let totalLength = buffer.getInteger(at: start + 2, as: UInt16.self) else { throw .truncated }
        guard Int(totalLength) >= headerLength else { throw .invalidTotalLength(totalLength) }
        guard Int(totalLength) <= buffer.readableBytes,
            let headerBytes = buffer.getSlice(at: start, length: headerLength),
            let payload = buffer.getSlice(at: start + headerLength, length: Int(totalLength) - headerLength)
        else { throw .truncated }

        var header = IPv4Header(totalLength: totalLength, protocol: .icmp, source: 0, destination: 0)
        header.headerLength = headerLength
        header.typeOfService = buffer.getInteger(at: start + 1)!
        header.identification = buffer.getInteger(at: start + 4)!
        header.flagsAndFragmentOffset = buffer.getInteger(at: start + 6)!
        header.timeToLive = buffer.getInteger(at: start + 8)!
        header.protocol = IPProtocol(rawValue: buffer.getInteger(at: start + 9)!)
        header.headerChecksum = buffer.getInteger(at: start + 10)!
        header.source = buffer.getInteger(at: start + 12)!
        header.destination = buffer.getInteger(at: start + 16)!
        self.header = header
        self.isHeaderChecksumValid = InternetChecksum.checksum(of: headerBytes) == 0
        self.payload = payload
    }
}

extension ByteBuffer {
    /// Writes a 20-byte IPv4 header (IHL 5, no options) with a freshly computed Header Checksum.
    /// Returns the number of bytes written.
    @discardableResult
    public mutating func writeIPv4Header(_ header: IPv4Header) -> Int {
        var checksum = InternetChecksum()
        let words: [UInt16] = [
            0x4500 | UInt16(header.typeOfService), header.totalLength, header.identification,
            header.flagsAndFragmentOffset, UInt16(header.timeToLive) << 8 | UInt16(header.protocol.rawValue),
            0, UInt16(header.source >> 16), UInt16(truncatingIfNeeded: header.source),
            UInt16(header.destination >> 16), UInt16(truncatingIfNeeded: header.destination),
        ]
        for word in words {
            checksum.add(word: word)
        }
        var written = 0
        for (index, word) in words.enumerated() {
            written += writeInteger(index == 5 ? checksum.checksum : word)
        }
        return written
    }
}
