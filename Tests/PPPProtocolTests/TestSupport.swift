import NIOCore

/// Bytes from a hex string such as "FF 03 C0 21" (spaces ignored).
func bytes(_ hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }
    precondition(digits.count % 2 == 0, "odd hex string")
    var result: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        result.append(UInt8(digits[index..<next], radix: 16)!)
        index = next
    }
    return result
}

/// A ByteBuffer from a hex string.
func buffer(_ hex: String) -> ByteBuffer {
    ByteBuffer(bytes: bytes(hex))
}

extension ByteBuffer {
    /// The readable bytes, for comparisons.
    var bytesArray: [UInt8] { Array(self.readableBytesView) }
}
