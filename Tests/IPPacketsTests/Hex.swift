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

/// A real ICMP echo request and its reply, as sent by Linux iputils `ping localhost` and printed by
/// `tcpdump -i lo -X` (id 21780 = 0x5514, seq 1, 56 data bytes: a struct timeval then 0x10...0x37), from
/// https://dev.jendekhane.com/post/learn/61d8ee3c9c67d2983d9740fb ; both checksums verify.
enum PingVectors {
    static let request = ByteBuffer(
        hex: """
            4500 0054 9210 4000 4001 aa96 7f00 0001
            7f00 0001 0800 492b 5514 0001 2d08 f460
            0000 0000 6c83 0d00 0000 0000 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637
            """)
    static let reply = ByteBuffer(
        hex: """
            4500 0054 9211 0000 4001 ea95 7f00 0001
            7f00 0001 0000 512b 5514 0001 2d08 f460
            0000 0000 6c83 0d00 0000 0000 1011 1213
            1415 1617 1819 1a1b 1c1d 1e1f 2021 2223
            2425 2627 2829 2a2b 2c2d 2e2f 3031 3233
            3435 3637
            """)
    static let payload = request.getSlice(at: 28, length: 56)!
    static let loopback: UInt32 = 0x7F00_0001
}
