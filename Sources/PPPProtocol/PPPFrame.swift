public import NIOCore

/// Raw PPP frames as SSTP carries them: MS-SSTP §2.2.3 puts "a PPP frame" in each data packet, with no HDLC
/// flag, no byte stuffing and no FCS. What is left is RFC 1662 §3.1's Address (0xFF) and Control (0x03), which
/// a peer may omit once ACFC is acked, then RFC 1661 §2's Protocol field, one byte once PFC is acked.
///
/// Receive is liberal (both compressions are accepted whether or not they were negotiated, as pppd, accel-ppp
/// and sorz do); send is conservative: always `FF 03` + 2-byte protocol, because Open-SSTP-Client asserts that
/// form on every frame.
public enum PPPFrame {
    /// The largest frame (Address/Control + Protocol + Information) one SSTP data packet can carry:
    /// 4095 − 4 bytes of SSTP header (MS-WINERRATA to MS-SSTP §3.1.5.2).
    public static let maximumFrameSize = 4091

    /// A decoded frame header and the payload that follows it.
    public struct Classified: Hashable, Sendable {
        /// The frame's protocol.
        public var protocolNumber: PPPProtocolNumber
        /// The Information field: a slice of the frame, not a copy.
        public var payload: ByteBuffer

        @inlinable
        public init(protocolNumber: PPPProtocolNumber, payload: ByteBuffer) {
            self.protocolNumber = protocolNumber
            self.payload = payload
        }
    }

    /// Decodes the frame header without copying; for the data path.
    ///
    /// - Returns: the protocol and a payload slice, or `nil` for a malformed header (discard the frame).
    @inlinable
    public static func classify(_ frame: ByteBuffer) -> Classified? {
        var frame = frame
        guard let first = frame.readInteger(as: UInt8.self) else { return nil }
        var protocolHigh = first
        if first == 0xFF {
            // RFC 1662 §3.1: All-Stations address, then Control 0x03 (Unnumbered Information).
            guard frame.readInteger(as: UInt8.self) == 0x03,
                let byte = frame.readInteger(as: UInt8.self)
            else { return nil }
            protocolHigh = byte
        }
        let value: UInt16
        if protocolHigh & 0x01 == 1 {
            // RFC 1661 §6.5: a compressed (1-byte) Protocol field is one whose only octet is odd.
            value = UInt16(protocolHigh)
        } else {
            guard let low = frame.readInteger(as: UInt8.self) else { return nil }
            value = UInt16(protocolHigh) << 8 | UInt16(low)
        }
        let number = PPPProtocolNumber(rawValue: value)
        guard number.isValid else { return nil }
        return Classified(protocolNumber: number, payload: frame)
    }

    /// Decodes a frame header, saying why when it is malformed.
    public static func decode(_ frame: ByteBuffer) throws(PPPError) -> Classified {
        if let classified = self.classify(frame) { return classified }
        // Slow path only: find the reason.
        let bytes = frame.readableBytesView
        guard let first = bytes.first else { throw .truncatedFrame(length: 0) }
        var index = bytes.startIndex
        if first == 0xFF {
            guard bytes.count >= 2 else { throw .truncatedFrame(length: bytes.count) }
            let control = bytes[index + 1]
            guard control == 0x03 else { throw .badAddressControl(control: control) }
            index += 2
        }
        guard index < bytes.endIndex else { throw .truncatedFrame(length: bytes.count) }
        let high = bytes[index]
        guard high & 1 == 0, index + 1 < bytes.endIndex else { throw .truncatedFrame(length: bytes.count) }
        throw .badProtocolField(UInt16(high) << 8 | UInt16(bytes[index + 1]))
    }

    /// Encodes a frame as `FF 03` + 2-byte protocol + payload.
    public static func encode(
        protocol protocolNumber: PPPProtocolNumber,
        payload: ByteBuffer,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var frame = allocator.buffer(capacity: 4 + payload.readableBytes)
        frame.writePPPHeader(protocolNumber)
        frame.writeImmutableBuffer(payload)
        return frame
    }

    /// Encapsulates a datagram in place when it has 4 bytes of headroom before its reader index (read the TUN
    /// device into a buffer at offset 4 to use this), copying it otherwise.
    @inlinable
    public static func encapsulate(_ packet: inout ByteBuffer, protocol protocolNumber: PPPProtocolNumber) {
        if packet.readerIndex >= 4 {
            let start = packet.readerIndex - 4
            packet.setInteger(UInt16(0xFF03), at: start)
            packet.setInteger(protocolNumber.rawValue, at: start + 2)
            packet.moveReaderIndex(to: start)
        } else {
            var frame = ByteBufferAllocator().buffer(capacity: 4 + packet.readableBytes)
            frame.writePPPHeader(protocolNumber)
            frame.writeImmutableBuffer(packet)
            packet = frame
        }
    }
}

extension ByteBuffer {
    /// Writes `FF 03` and the 2-byte protocol field (never compressed, see ``PPPFrame``).
    @inlinable
    @discardableResult
    public mutating func writePPPHeader(_ protocolNumber: PPPProtocolNumber) -> Int {
        self.writeInteger(UInt16(0xFF03)) + self.writeInteger(protocolNumber.rawValue)
    }
}
