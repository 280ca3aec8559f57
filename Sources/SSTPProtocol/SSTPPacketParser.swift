import NIOCore

/// Splits the decrypted HTTPS byte stream into SSTP packets (MS-SSTP §3.1.7.2, "Receive HTTPS stream").
///
/// Feed it bytes in chunks of any size with ``append(_:)``, then call ``nextPacket()`` until it returns `nil`.
/// The header is validated as soon as its 4 bytes are available, before the rest of the packet is waited for, so a
/// peer cannot make the parser hold more than one (≤ 4095-byte) partial packet beyond what the caller handed in.
///
/// Data packets are returned as slices of the appended buffers: when a chunk holds whole packets, no byte is copied.
/// Bytes are copied only to join a packet split across chunks.
public struct SSTPPacketParser: Sendable {
    /// The largest packet accepted. The 12-bit Length field cannot exceed 4095 (accel-ppp
    /// `SSTP_MAX_PACKET_SIZE`), so the default rejects nothing by itself; a smaller value can be configured.
    public let maximumPacketLength: Int

    private var buffer: ByteBuffer?
    private var failure: SSTPFramingError?

    public init(maximumPacketLength: Int = SSTPPacket.maximumLength) {
        precondition(
            maximumPacketLength >= SSTPControlMessage.fixedLength && maximumPacketLength <= SSTPPacket.maximumLength,
            "maximum packet length out of range"
        )
        self.maximumPacketLength = maximumPacketLength
    }

    /// The number of bytes held back waiting for the rest of a packet.
    public var bufferedByteCount: Int { self.buffer?.readableBytes ?? 0 }

    /// Appends received bytes.
    public mutating func append(_ bytes: ByteBuffer) {
        guard bytes.readableBytes > 0 else { return }
        if self.buffer == nil || self.buffer!.readableBytes == 0 {
            // Keep the caller's storage: packets become slices of it.
            self.buffer = bytes
        } else {
            // Only a partial packet (< 4095 bytes) is left: drop the consumed bytes before it so the buffer cannot
            // grow over the life of the connection.
            self.buffer!.discardReadBytes()
            var incoming = bytes
            self.buffer!.writeBuffer(&incoming)
        }
    }

    /// The next complete packet, or `nil` if more bytes are needed.
    ///
    /// - Throws: ``SSTPParseError/framing(_:)`` if the stream cannot be delineated; every later call throws it
    ///   again. ``SSTPParseError/invalidMessage(_:)`` if one control packet was malformed; that packet has been
    ///   consumed and parsing can continue.
    public mutating func nextPacket() throws(SSTPParseError) -> SSTPPacket? {
        if let failure = self.failure {
            throw .framing(failure)
        }
        guard let available = self.buffer?.readableBytes, available >= SSTPPacket.headerLength else {
            return nil
        }
        let start = self.buffer!.readerIndex
        let version = self.buffer!.getInteger(at: start, as: UInt8.self)!
        let flags = self.buffer!.getInteger(at: start + 1, as: UInt8.self)!
        let length = Int(self.buffer!.getInteger(at: start + 2, as: UInt16.self)! & sstpLengthMask)

        // > The 8-bit value of the Version field MUST be 0x10 (§2.2.1).
        guard version == SSTPVersion.current else {
            return try self.fail(.unsupportedVersion(version))
        }
        guard length >= SSTPPacket.headerLength else {
            return try self.fail(.lengthTooShort(length))
        }
        guard length <= self.maximumPacketLength else {
            return try self.fail(.lengthTooLong(length, maximum: self.maximumPacketLength))
        }
        guard available >= length else {
            return nil
        }

        var packet = self.buffer!.readSlice(length: length)!
        if self.buffer!.readableBytes == 0 {
            self.buffer = nil
        }
        packet.moveReaderIndex(forwardBy: SSTPPacket.headerLength)

        // The C bit is the low bit of the second byte; the 7 reserved bits "MUST be ignored on receipt".
        guard flags & 0x01 == 0x01 else {
            return .data(packet)
        }
        do {
            return .control(try SSTPControlMessage(parsingBody: &packet))
        } catch {
            throw .invalidMessage(error)
        }
    }

    private mutating func fail(_ error: SSTPFramingError) throws(SSTPParseError) -> SSTPPacket? {
        self.failure = error
        self.buffer = nil
        throw .framing(error)
    }
}
