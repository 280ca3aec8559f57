import NIOCore

extension ByteBuffer {
    /// Builds a buffer from hex text; whitespace is ignored.
    init(hex: String) {
        let digits = hex.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16)! }
        precondition(digits.count % 2 == 0)
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            bytes.append(digits[index] << 4 | digits[index + 1])
        }
        self.init(bytes: bytes)
    }
}

extension Array where Element == UInt8 {
    /// Bytes from hex text; whitespace is ignored.
    init(hex: String) {
        let buffer = ByteBuffer(hex: hex)
        self = buffer.getBytes(at: buffer.readerIndex, length: buffer.readableBytes)!
    }
}
