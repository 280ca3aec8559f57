import NIOCore

// Wire encoding of SSTP packets (MS-SSTP §2.2). All multi-byte fields are in network byte order.
//
// Header (§2.2.1):   Version(8) | Reserved(7) C(1) | R(4) Length(12)
// Control (§2.2.2):  header | Message Type(16) | Num Attributes(16) | attributes
// Attribute (§2.2.4): Reserved(8) | Attribute ID(8) | R(4) Length(12) | value

/// The mask for the 12-bit Length fields; the upper 4 bits are reserved and "MUST be ignored on receipt".
let sstpLengthMask: UInt16 = 0x0FFF

extension ByteBuffer {
    /// Writes the 4-byte SSTP header.
    mutating func writeSSTPHeader(isControl: Bool, length: Int) {
        precondition(
            length >= SSTPPacket.headerLength && length <= SSTPPacket.maximumLength,
            "SSTP length out of range"
        )
        self.writeInteger(SSTPVersion.current)
        self.writeInteger(isControl ? UInt8(0x01) : UInt8(0x00))
        self.writeInteger(UInt16(length))
    }

    /// Writes an SSTP data packet (§2.2.3) carrying one PPP frame, and returns the number of bytes written.
    ///
    /// - Precondition: the frame is at most ``SSTPPacket/maximumDataPayloadLength`` bytes.
    @discardableResult
    public mutating func writeSSTPDataPacket(_ pppFrame: ByteBuffer) -> Int {
        precondition(pppFrame.readableBytes <= SSTPPacket.maximumDataPayloadLength, "PPP frame too large for SSTP")
        self.writeSSTPHeader(isControl: false, length: SSTPPacket.headerLength + pppFrame.readableBytes)
        return SSTPPacket.headerLength + self.writeImmutableBuffer(pppFrame)
    }

    /// Writes an SSTP data packet whose PPP frame is `FF 03`, the 2-byte `pppProtocol` and `payload`, without first
    /// building the frame: the data path's way to send an IP datagram with one copy.
    ///
    /// - Returns: false (and writes nothing) if the frame would not fit in one SSTP packet.
    @inlinable
    @discardableResult
    public mutating func writeSSTPDataPacket(pppProtocol: UInt16, payload: ByteBuffer) -> Bool {
        let length = SSTPPacket.headerLength + 4 + payload.readableBytes
        guard length <= SSTPPacket.maximumLength else { return false }
        self.writeInteger(SSTPVersion.current)
        self.writeInteger(UInt8(0x00))
        self.writeInteger(UInt16(length))
        self.writeInteger(UInt16(0xFF03))
        self.writeInteger(pppProtocol)
        self.writeImmutableBuffer(payload)
        return true
    }

    /// Writes an SSTP control packet (§2.2.2) and returns the number of bytes written.
    @discardableResult
    public mutating func writeSSTPControlMessage(_ message: SSTPControlMessage) -> Int {
        let length = message.length
        self.writeSSTPHeader(isControl: true, length: length)
        self.writeInteger(message.messageType.rawValue)
        self.writeInteger(UInt16(message.attributes.count))
        for attribute in message.attributes {
            self.writeSSTPAttribute(attribute)
        }
        return length
    }

    /// Writes an SSTP packet of either kind and returns the number of bytes written.
    @discardableResult
    public mutating func writeSSTPPacket(_ packet: SSTPPacket) -> Int {
        switch packet {
        case .data(let frame): self.writeSSTPDataPacket(frame)
        case .control(let message): self.writeSSTPControlMessage(message)
        }
    }

    mutating func writeSSTPAttribute(_ attribute: SSTPAttribute) {
        self.writeInteger(UInt8(0))  // Reserved
        self.writeInteger(attribute.id.rawValue)
        self.writeInteger(UInt16(attribute.length))
        switch attribute {
        case .encapsulatedProtocolID(let protocolID):
            self.writeInteger(protocolID.rawValue)
        case .statusInfo(let info):
            self.writeRepeatingByte(0, count: 3)  // Reserved1
            self.writeInteger(info.attributeID.rawValue)
            self.writeInteger(info.status.rawValue)
            self.writeBytes(info.value)
        case .cryptoBinding(let binding):
            self.writeRepeatingByte(0, count: 3)  // Reserved1
            self.writeInteger(binding.hashProtocol.rawValue)
            self.writeBytes(binding.nonce)
            self.writeBytes(binding.certificateHash)
            self.writeBytes(binding.compoundMAC)
        case .cryptoBindingRequest(let request):
            self.writeRepeatingByte(0, count: 3)  // Reserved1
            self.writeInteger(request.hashProtocols.rawValue)
            self.writeBytes(request.nonce)
        case .unknown(_, let value):
            self.writeBytes(value)
        }
    }
}

extension SSTPControlMessage {
    /// Parses the body of a control packet: everything after the 4-byte SSTP header.
    ///
    /// The whole body must be consumed by the declared attributes; every known attribute must have its fixed length.
    init(parsingBody body: inout ByteBuffer) throws(SSTPMessageError) {
        let packetLength = body.readableBytes + SSTPPacket.headerLength
        guard let rawType = body.readInteger(as: UInt16.self), let declaredCount = body.readInteger(as: UInt16.self)
        else {
            throw .truncatedControlPacket(length: packetLength)
        }
        guard let messageType = SSTPMessageType(rawValue: rawType) else {
            throw .unknownMessageType(rawType)
        }
        var attributes: [SSTPAttribute] = []
        while body.readableBytes > 0 {
            attributes.append(try body.readSSTPAttribute(in: messageType))
        }
        guard attributes.count == Int(declaredCount) else {
            throw .attributeCountMismatch(messageType, declared: Int(declaredCount), found: attributes.count)
        }
        self.init(messageType, attributes: attributes)
    }
}

extension ByteBuffer {
    /// Reads one attribute; the caller has checked at least one byte is readable.
    mutating func readSSTPAttribute(in messageType: SSTPMessageType) throws(SSTPMessageError) -> SSTPAttribute {
        let remaining = self.readableBytes
        guard remaining >= SSTPAttribute.headerLength,
            let idByte = self.getInteger(at: self.readerIndex + 1, as: UInt8.self),
            let lengthWord = self.getInteger(at: self.readerIndex + 2, as: UInt16.self)
        else {
            let id = self.getInteger(at: self.readerIndex + 1, as: UInt8.self).map(SSTPAttributeID.init) ?? .noError
            throw .attributeOverrun(messageType, id, length: SSTPAttribute.headerLength, remaining: remaining)
        }
        let id = SSTPAttributeID(rawValue: idByte)
        let length = Int(lengthWord & sstpLengthMask)
        guard length >= SSTPAttribute.headerLength else {
            throw .attributeTooShort(messageType, id, length: length)
        }
        guard length <= remaining, var value = self.readSlice(length: length) else {
            throw .attributeOverrun(messageType, id, length: length, remaining: remaining)
        }
        value.moveReaderIndex(forwardBy: SSTPAttribute.headerLength)

        switch id {
        case .encapsulatedProtocolID:
            guard length == SSTPAttribute.encapsulatedProtocolIDLength, let raw = value.readInteger(as: UInt16.self)
            else {
                throw .invalidAttributeLength(messageType, id, length: length)
            }
            return .encapsulatedProtocolID(SSTPEncapsulatedProtocolID(rawValue: raw))

        case .statusInfo:
            guard length >= SSTPAttribute.statusInfoMinimumLength else {
                throw .invalidAttributeLength(messageType, id, length: length)
            }
            value.moveReaderIndex(forwardBy: 3)  // Reserved1
            let attributeID = SSTPAttributeID(rawValue: value.readInteger(as: UInt8.self)!)
            let status = SSTPStatus(rawValue: value.readInteger(as: UInt32.self)!)
            let attributeValue = value.readBytes(length: value.readableBytes)!
            return .statusInfo(SSTPStatusInfo(attributeID: attributeID, status: status, value: attributeValue))

        case .cryptoBinding:
            guard length == SSTPAttribute.cryptoBindingLength else {
                throw .invalidAttributeLength(messageType, id, length: length)
            }
            value.moveReaderIndex(forwardBy: 3)  // Reserved1
            let bitmask = SSTPHashProtocolBitmask(rawValue: value.readInteger(as: UInt8.self)!)
            let field = SSTPCryptoBinding.fieldLength
            return .cryptoBinding(
                SSTPCryptoBinding(
                    hashProtocol: bitmask,
                    nonce: value.readBytes(length: field)!,
                    certificateHash: value.readBytes(length: field)!,
                    compoundMAC: value.readBytes(length: field)!
                )
            )

        case .cryptoBindingRequest:
            guard length == SSTPAttribute.cryptoBindingRequestLength else {
                throw .invalidAttributeLength(messageType, id, length: length)
            }
            value.moveReaderIndex(forwardBy: 3)  // Reserved1
            let bitmask = SSTPHashProtocolBitmask(rawValue: value.readInteger(as: UInt8.self)!)
            let nonce = value.readBytes(length: SSTPCryptoBindingRequest.nonceLength)!
            return .cryptoBindingRequest(SSTPCryptoBindingRequest(hashProtocols: bitmask, nonce: nonce))

        default:
            return .unknown(id: id, value: value.readBytes(length: value.readableBytes)!)
        }
    }
}
