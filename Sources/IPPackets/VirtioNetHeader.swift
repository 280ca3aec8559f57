import NIOCore

/// The `struct virtio_net_hdr` a Linux TUN device opened with `IFF_VNET_HDR` puts before every packet it hands to
/// userspace, and expects before every packet written to it (include/uapi/linux/virtio_net.h; the virtio
/// specification, §5.1.6 "Device Operation"). With `TUNSETOFFLOAD` granting TSO, the kernel hands over TCP
/// "super-packets" of up to 64 KiB with ``gsoType`` and ``gsoSize`` (the MSS) saying how to cut them, and
/// packets whose checksum is left for the reader to finish (``needsChecksum``).
///
/// The 10-byte form (no `num_buffers`), in the host's byte order: little-endian on the machines this runs on (a TUN
/// device uses the host's order unless `TUNSETVNETBE`/`TUNSETVNETLE` says otherwise).
public struct VirtioNetHeader: Hashable, Sendable {
    /// Bytes on the wire.
    public static let length = 10

    /// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum from ``checksumStart`` to the end of the packet is to be computed
    /// and stored at ``checksumStart`` + ``checksumOffset``; that field already holds the pseudo-header's sum.
    public static let needsChecksum: UInt8 = 1
    /// `VIRTIO_NET_HDR_F_DATA_VALID`: the checksum was verified already.
    public static let dataValid: UInt8 = 2

    /// `VIRTIO_NET_HDR_GSO_*`.
    public struct GSOType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let none = GSOType(rawValue: 0)
        public static let tcpv4 = GSOType(rawValue: 1)
        public static let udp = GSOType(rawValue: 3)
        public static let tcpv6 = GSOType(rawValue: 4)
        /// `VIRTIO_NET_HDR_GSO_ECN`, or-ed into the type: the TCP flow uses ECN (CWR on the first segment only).
        public static let ecnFlag: UInt8 = 0x80

        /// The type without the ECN bit.
        public var withoutECN: GSOType { GSOType(rawValue: rawValue & ~Self.ecnFlag) }
    }

    public var flags: UInt8
    public var gsoType: GSOType
    /// `hdr_len`: the length of the headers before the payload (IP + TCP for a TUN device). Advisory: the
    /// segmenter reads the headers' own length fields.
    public var headerLength: UInt16
    /// `gso_size`: the payload of each segment (the MSS).
    public var gsoSize: UInt16
    /// `csum_start`: where checksumming starts, from the start of the packet (the transport header).
    public var checksumStart: UInt16
    /// `csum_offset`: where the checksum goes, from ``checksumStart`` (16 for TCP, 6 for UDP).
    public var checksumOffset: UInt16

    public init(
        flags: UInt8 = 0, gsoType: GSOType = .none, headerLength: UInt16 = 0, gsoSize: UInt16 = 0,
        checksumStart: UInt16 = 0, checksumOffset: UInt16 = 0
    ) {
        self.flags = flags
        self.gsoType = gsoType
        self.headerLength = headerLength
        self.gsoSize = gsoSize
        self.checksumStart = checksumStart
        self.checksumOffset = checksumOffset
    }

    /// The header of a packet that needs nothing done (what the gateway writes before each uplink packet).
    public static let none = VirtioNetHeader()

    /// Parses the 10 bytes at the reader index of `buffer` (the reader index does not move).
    public init(parsing buffer: ByteBuffer) throws(IPPacketError) {
        guard buffer.readableBytes >= Self.length else { throw .truncated }
        let base = buffer.readerIndex
        func word(_ offset: Int) -> UInt16 {
            buffer.getInteger(at: base + offset, endianness: .little, as: UInt16.self)!
        }
        self.init(
            flags: buffer.getInteger(at: base, as: UInt8.self)!,
            gsoType: GSOType(rawValue: buffer.getInteger(at: base + 1, as: UInt8.self)!),
            headerLength: word(2), gsoSize: word(4), checksumStart: word(6), checksumOffset: word(8))
    }

    /// Parses the first 10 of `bytes`; nil if there are fewer.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.length else { return nil }
        func word(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
        self.init(
            flags: bytes[0], gsoType: GSOType(rawValue: bytes[1]), headerLength: word(2), gsoSize: word(4),
            checksumStart: word(6), checksumOffset: word(8))
    }

    public var needsChecksumCompletion: Bool { flags & Self.needsChecksum != 0 }
}

extension ByteBuffer {
    /// Writes `header` in its 10-byte little-endian form; returns the bytes written.
    @discardableResult
    public mutating func writeVirtioNetHeader(_ header: VirtioNetHeader) -> Int {
        writeInteger(header.flags)
        writeInteger(header.gsoType.rawValue)
        writeInteger(header.headerLength, endianness: .little)
        writeInteger(header.gsoSize, endianness: .little)
        writeInteger(header.checksumStart, endianness: .little)
        writeInteger(header.checksumOffset, endianness: .little)
        return VirtioNetHeader.length
    }
}
