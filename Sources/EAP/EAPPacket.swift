import NIOCore

/// EAP Code field (RFC 3748 §4).
public enum EAPCode: UInt8, Hashable, Sendable {
    case request = 1
    case response = 2
    case success = 3
    case failure = 4
}

/// EAP Type field of Requests and Responses (RFC 3748 §5, IANA "EAP Method Types").
public struct EAPType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// RFC 3748 §5.1.
    public static let identity = EAPType(rawValue: 1)
    /// RFC 3748 §5.2.
    public static let notification = EAPType(rawValue: 2)
    /// Legacy Nak, Response only (RFC 3748 §5.3.1).
    public static let nak = EAPType(rawValue: 3)
    /// MD5-Challenge (RFC 3748 §5.4).
    public static let md5Challenge = EAPType(rawValue: 4)
    /// EAP-TLS (RFC 5216, RFC 9190).
    public static let tls = EAPType(rawValue: 13)
    /// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2).
    public static let msCHAPv2 = EAPType(rawValue: 26)

    public var description: String {
        switch self.rawValue {
        case 1: "Identity"
        case 2: "Notification"
        case 3: "Nak"
        case 4: "MD5-Challenge"
        case 13: "EAP-TLS"
        case 26: "EAP-MSCHAPv2"
        default: "EAP type \(self.rawValue)"
        }
    }
}

/// One EAP packet (RFC 3748 §4):
///
/// ```
/// Code(1) Identifier(1) Length(2) [Type(1) Type-Data(Length-5)]   Type only in Request/Response
/// ```
public struct EAPPacket: Hashable, Sendable {
    public var code: EAPCode
    public var identifier: UInt8
    /// The Type of a Request or Response; `nil` for Success and Failure.
    public var type: EAPType?
    /// Type-Data; empty for Success and Failure.
    public var typeData: [UInt8]

    /// Largest EAP packet a 16-bit Length can describe.
    public static let maximumLength = Int(UInt16.max)

    public init(code: EAPCode, identifier: UInt8, type: EAPType?, typeData: [UInt8] = []) {
        precondition((code == .request || code == .response) == (type != nil), "Type iff Request/Response")
        precondition(code == .request || code == .response || typeData.isEmpty, "no data in Success/Failure")
        precondition(typeData.count + 5 <= Self.maximumLength, "EAP packet too long")
        self.code = code
        self.identifier = identifier
        self.type = type
        self.typeData = typeData
    }

    public static func request(identifier: UInt8, type: EAPType, typeData: [UInt8] = []) -> EAPPacket {
        EAPPacket(code: .request, identifier: identifier, type: type, typeData: typeData)
    }

    public static func response(identifier: UInt8, type: EAPType, typeData: [UInt8] = []) -> EAPPacket {
        EAPPacket(code: .response, identifier: identifier, type: type, typeData: typeData)
    }

    public static func success(identifier: UInt8) -> EAPPacket {
        EAPPacket(code: .success, identifier: identifier, type: nil)
    }

    public static func failure(identifier: UInt8) -> EAPPacket {
        EAPPacket(code: .failure, identifier: identifier, type: nil)
    }

    /// Length field value: the whole packet.
    public var length: Int { self.type == nil ? 4 : 5 + self.typeData.count }

    /// The Identity of a Response/Identity (RFC 3748 §5.1: not NUL-terminated; invalid UTF-8 is repaired).
    public var identityString: String? {
        guard self.type == .identity else { return nil }
        return String(decoding: self.typeData, as: UTF8.self)
    }

    /// The types a legacy Nak proposes (RFC 3748 §5.3.1: "Type-Data ... one or more octets", 0 = none).
    public var nakProposedTypes: [EAPType] {
        guard self.code == .response, self.type == .nak else { return [] }
        return self.typeData.filter { $0 != 0 }.map(EAPType.init(rawValue:))
    }
}

extension ByteBuffer {
    /// Reads one EAP packet. The buffer may be a PPP Information field with padding: RFC 3748 §4 "Octets beyond
    /// the range of the Length field should be treated as Data Link Layer padding and MUST be ignored" — the
    /// reader index moves past the Length, leaving any padding readable.
    public mutating func readEAPPacket() throws(EAPError) -> EAPPacket {
        guard self.readableBytes >= 4,
            let codeByte = self.getInteger(at: self.readerIndex, as: UInt8.self),
            let identifier = self.getInteger(at: self.readerIndex + 1, as: UInt8.self),
            let length16 = self.getInteger(at: self.readerIndex + 2, as: UInt16.self)
        else { throw .truncatedPacket(need: 4, have: self.readableBytes) }
        guard let code = EAPCode(rawValue: codeByte) else { throw .unknownCode(codeByte) }
        let length = Int(length16)
        switch code {
        case .request, .response:
            guard length >= 5 else { throw .invalidLength(length, code: codeByte) }
        case .success, .failure:
            // RFC 3748 §4.2: Success/Failure carry no data; Length is 4.
            guard length == 4 else { throw .invalidLength(length, code: codeByte) }
        }
        guard self.readableBytes >= length else {
            throw .truncatedPacket(need: length, have: self.readableBytes)
        }
        self.moveReaderIndex(forwardBy: 4)
        guard code == .request || code == .response else {
            return EAPPacket(code: code, identifier: identifier, type: nil)
        }
        let type = EAPType(rawValue: self.readInteger(as: UInt8.self)!)
        let data = self.readBytes(length: length - 5)!
        return EAPPacket(code: code, identifier: identifier, type: type, typeData: data)
    }

    /// Writes `packet` with its Length; returns the bytes written.
    @discardableResult
    public mutating func writeEAPPacket(_ packet: EAPPacket) -> Int {
        var written = self.writeInteger(packet.code.rawValue)
        written += self.writeInteger(packet.identifier)
        written += self.writeInteger(UInt16(packet.length))
        if let type = packet.type {
            written += self.writeInteger(type.rawValue)
            written += self.writeBytes(packet.typeData)
        }
        return written
    }
}

extension EAPPacket {
    /// The packet's wire encoding.
    public var bytes: [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeEAPPacket(self)
        return buffer.readBytes(length: buffer.readableBytes)!
    }

    /// Parses exactly one packet from `bytes` (trailing padding ignored).
    public init(bytes: [UInt8]) throws(EAPError) {
        var buffer = ByteBuffer(bytes: bytes)
        self = try buffer.readEAPPacket()
    }
}
