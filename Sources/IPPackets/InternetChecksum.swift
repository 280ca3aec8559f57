import NIOCore

/// The Internet checksum of RFC 1071: the 16-bit one's complement of the one's complement sum of the data taken
/// as big-endian 16-bit words (an odd trailing byte is padded with zero).
///
/// An accumulator, so a header and a pseudo header or several slices can be summed without concatenating them.
/// Data that already contains its checksum field sums to a ``checksum`` of zero (RFC 1071 §1 (2)).
public struct InternetChecksum: Sendable {
    private var accumulator: UInt64 = 0
    /// The high byte of a word whose low byte is the first byte of the next ``add(_:)-(UnsafeRawBufferPointer)``.
    private var pendingHighByte: UInt8?

    public init() {}

    /// Adds raw bytes; successive calls behave as if the bytes were concatenated.
    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        if let high = pendingHighByte, count > 0 {
            accumulator &+= UInt64(high) << 8 | UInt64(bytes[0])
            pendingHighByte = nil
            index = 1
        }
        var sum = accumulator
        while index + 1 < count {
            sum &+= UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        accumulator = sum
        if index < count {
            pendingHighByte = bytes[index]
        }
    }

    /// Adds the readable bytes of `buffer` without moving its reader index.
    public mutating func add(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { add($0) }
    }

    /// Adds one 16-bit word (for example a pseudo-header field). Must not follow an odd-length add.
    public mutating func add(word: UInt16) {
        precondition(pendingHighByte == nil, "word added after an odd number of bytes")
        accumulator &+= UInt64(word)
    }

    /// The folded one's complement sum (without the final complement).
    public var sum: UInt16 {
        var total = accumulator
        if let high = pendingHighByte {
            total &+= UInt64(high) << 8
        }
        while total > 0xFFFF {
            total = (total & 0xFFFF) &+ (total >> 16)
        }
        return UInt16(total)
    }

    /// The checksum to put on the wire: the complement of ``sum``.
    public var checksum: UInt16 { ~sum }

    /// The checksum of the readable bytes of `buffer`.
    public static func checksum(of buffer: ByteBuffer) -> UInt16 {
        var checksum = InternetChecksum()
        checksum.add(buffer)
        return checksum.checksum
    }
}
