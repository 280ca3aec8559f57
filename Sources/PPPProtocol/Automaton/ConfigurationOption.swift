public import NIOCore

/// One Type/Length/Data configuration option (RFC 1661 §6), as carried by Configure-* packets of LCP, IPCP and
/// IPV6CP.
///
/// The data is kept as bytes because Configure-Ack and Configure-Reject must repeat received options exactly
/// (RFC 1661 §5.2, §5.4), and options are small.
public struct ConfigurationOption: Hashable, Sendable, CustomStringConvertible {
    /// The Type field.
    public var type: UInt8
    /// The Data field (Length − 2 bytes).
    public var data: [UInt8]

    public init(type: UInt8, data: [UInt8] = []) {
        self.type = type
        self.data = data
    }

    /// The option's wire length.
    public var length: Int { 2 + self.data.count }

    /// Parses a complete option list.
    ///
    /// RFC 1661 §6: Length "indicates the length of this Configuration Option including the Type, Length and
    /// Data fields"; a Length below 2 or past the end of the packet makes the whole packet malformed, and
    /// malformed packets are silently discarded.
    public static func parseList(_ buffer: ByteBuffer) throws(PPPError) -> [ConfigurationOption] {
        var buffer = buffer
        var options: [ConfigurationOption] = []
        while buffer.readableBytes > 0 {
            let available = buffer.readableBytes
            guard available >= 2 else { throw .badOptionLength(type: buffer.readInteger()!, declared: 0, available: 1) }
            let type: UInt8 = buffer.readInteger()!
            let length = Int(buffer.readInteger(as: UInt8.self)!)
            guard length >= 2, length <= available else {
                throw .badOptionLength(type: type, declared: length, available: available)
            }
            options.append(ConfigurationOption(type: type, data: buffer.readBytes(length: length - 2)!))
        }
        return options
    }

    /// The big-endian integer in the data when it is exactly `T`'s size.
    public func integer<T: FixedWidthInteger>(as type: T.Type = T.self) -> T? {
        guard self.data.count == MemoryLayout<T>.size else { return nil }
        return self.data.reduce(T.zero) { $0 << 8 | T($1) }
    }

    /// An option whose data is a big-endian integer.
    public init<T: FixedWidthInteger>(type: UInt8, integer value: T) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(MemoryLayout<T>.size)
        for shift in stride(from: (MemoryLayout<T>.size - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> shift))
        }
        self.init(type: type, data: bytes)
    }

    public var description: String {
        "option \(self.type) [" + self.data.map { String($0, radix: 16) }.joined(separator: " ") + "]"
    }
}

extension ByteBuffer {
    /// Writes one option as Type, Length, Data.
    @discardableResult
    public mutating func writeConfigurationOption(_ option: ConfigurationOption) -> Int {
        self.writeInteger(option.type) + self.writeInteger(UInt8(truncatingIfNeeded: option.length))
            + self.writeBytes(option.data)
    }
}
