import NIOCore
import SSTPProtocol

/// Bytes from a hex string; spaces, newlines and dashes are ignored.
func hex(_ string: String) -> [UInt8] {
    let digits = string.filter(\.isHexDigit)
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        bytes.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// The wire bytes of a control message.
func serialize(_ message: SSTPControlMessage) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writeSSTPControlMessage(message)
    return Array(buffer.readableBytesView)
}

/// Parses `bytes` as exactly one packet.
func parseOne(_ bytes: [UInt8]) throws -> SSTPPacket? {
    var parser = SSTPPacketParser()
    parser.append(ByteBuffer(bytes: bytes))
    let packet = try parser.nextPacket()
    guard parser.bufferedByteCount == 0 else { return nil }
    return packet
}

/// Parses `bytes` as exactly one control message.
func parseControl(_ bytes: [UInt8]) throws -> SSTPControlMessage? {
    guard case .control(let message) = try parseOne(bytes) else { return nil }
    return message
}

/// The control messages among `actions`, in order.
func sentMessages(_ actions: [SSTPAction]) -> [SSTPControlMessage] {
    actions.compactMap { action in
        if case .send(let message) = action { return message }
        return nil
    }
}

/// The `.closeTransport` reason among `actions`, if any.
func closeReason(_ actions: [SSTPAction]) -> SSTPCloseReason? {
    for action in actions {
        if case .closeTransport(let reason) = action { return reason }
    }
    return nil
}

/// Test fixtures shared by the state machine tests.
enum Fixture {
    /// A stand-in for a DER certificate; only its hashes matter.
    static let certificateDER: [UInt8] = Array("not really a certificate, but hashed like one".utf8)
    static let certificateHashes = SSTPCertificateHashes(certificateDER: certificateDER)
    static let serverNonce: [UInt8] = (0..<32).map { UInt8($0 &* 7 &+ 1) }

    /// HLAK from the RFC 3079 §3.5.3 MS-CHAPv2 sample (password "clientPass"): K(Magic2) ‖ K(Magic3), the same 32
    /// bytes on client and server (protocol.md §1.7, vector 4).
    static let msCHAPv2HLAK = hex("d5f0e9521e3ea9589645e86051c82226 8b7cdc149b993a1ba118cb153f56dccb")

    static let lcpFrame = ByteBuffer(bytes: hex("FF 03 C0 21 01 01 00 04"))
    static let ipFrame = ByteBuffer(bytes: hex("FF 03 00 21 45 00 00 14"))

    static func binding(
        _ hashProtocol: SSTPHashProtocol = .sha256,
        nonce: [UInt8] = serverNonce,
        hashes: SSTPCertificateHashes = certificateHashes,
        hlak: [UInt8] = msCHAPv2HLAK
    ) -> SSTPCryptoBinding {
        SSTPCryptoBinding.make(hashProtocol: hashProtocol, nonce: nonce, certificateHashes: hashes, hlak: hlak)
    }
}
