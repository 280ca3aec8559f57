import NIOCore

extension ByteBuffer {
    /// Reads one MS-CHAPv2 packet from a complete CHAP Information field (the PPP frame after 0xC223).
    ///
    /// The whole readable region is consumed: octets beyond the Length field are data-link padding
    /// (RFC 1994 §4: "Octets outside the range of the Length field should be treated as Data Link Layer
    /// padding and should be ignored on reception."). Length and Value-Size are checked together with the Code.
    public mutating func readMSCHAPv2Packet() throws(PPPAuthError) -> MSCHAPv2Packet {
        let available = self.readableBytes
        guard available >= 4,
            let codeByte = self.getInteger(at: self.readerIndex, as: UInt8.self),
            let identifier = self.getInteger(at: self.readerIndex + 1, as: UInt8.self),
            let length16 = self.getInteger(at: self.readerIndex + 2, as: UInt16.self)
        else { throw PPPAuthError.truncatedPacket(need: 4, have: available) }
        let length = Int(length16)
        guard let code = CHAPCode(rawValue: codeByte) else { throw PPPAuthError.unsupportedCode(codeByte) }
        guard length >= 4 else { throw PPPAuthError.invalidLength(length, code: codeByte) }
        guard length <= available else { throw PPPAuthError.truncatedPacket(need: length, have: available) }

        var packet = self.getSlice(at: self.readerIndex + 4, length: length - 4)!
        self.moveReaderIndex(forwardBy: available)

        switch code {
        case .challenge:
            let (value, name) = try Self.readValueAndName(&packet, expectedSize: 16, code: codeByte, length: length)
            return .challenge(MSCHAPv2Challenge(identifier: identifier, challenge: value, name: name))
        case .response:
            let (value, name) = try Self.readValueAndName(&packet, expectedSize: 49, code: codeByte, length: length)
            guard name.count <= 256 else { throw PPPAuthError.nameTooLong(name.count) }
            // Value = Peer-Challenge(16) ‖ Reserved(8) ‖ NT-Response(24) ‖ Flags(1). Reserved is ignored on
            // receipt (RFC 2759 §4 requires senders to zero it).
            return .response(
                MSCHAPv2Response(
                    identifier: identifier,
                    peerChallenge: Array(value[0..<16]),
                    ntResponse: Array(value[24..<48]),
                    flags: value[48],
                    name: name
                )
            )
        case .success:
            let field = packet.readBytes(length: packet.readableBytes)!
            return .success(try MSCHAPv2Success(identifier: identifier, messageField: field))
        case .failure:
            let field = packet.readBytes(length: packet.readableBytes)!
            return .failure(try MSCHAPv2Failure(identifier: identifier, messageField: field))
        }
    }

    private static func readValueAndName(
        _ packet: inout ByteBuffer,
        expectedSize: Int,
        code: UInt8,
        length: Int
    ) throws(PPPAuthError) -> (value: [UInt8], name: [UInt8]) {
        guard let valueSize = packet.readInteger(as: UInt8.self) else {
            throw PPPAuthError.invalidLength(length, code: code)
        }
        guard Int(valueSize) == expectedSize else {
            throw PPPAuthError.invalidValueSize(valueSize, expected: expectedSize)
        }
        guard let value = packet.readBytes(length: expectedSize) else {
            throw PPPAuthError.invalidLength(length, code: code)
        }
        return (value, packet.readBytes(length: packet.readableBytes)!)
    }

    /// Writes `packet` as a CHAP packet (Code, Identifier, Length, Data); returns the number of bytes written.
    @discardableResult
    public mutating func writeMSCHAPv2Packet(_ packet: MSCHAPv2Packet) -> Int {
        var body: [UInt8]
        let code: CHAPCode
        switch packet {
        case .challenge(let p):
            code = .challenge
            body = [16] + p.challenge + p.name
        case .response(let p):
            code = .response
            body = [49] + p.peerChallenge + [UInt8](repeating: 0, count: 8) + p.ntResponse + [p.flags] + p.name
        case .success(let p):
            code = .success
            body = Array(p.messageField.utf8)
        case .failure(let p):
            code = .failure
            body = Array(p.messageField.utf8)
        }
        precondition(body.count + 4 <= Int(UInt16.max), "CHAP packet too long")
        var written = self.writeInteger(code.rawValue)
        written += self.writeInteger(packet.identifier)
        written += self.writeInteger(UInt16(body.count + 4))
        written += self.writeBytes(body)
        return written
    }
}
