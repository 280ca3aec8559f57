import NIOCore

/// A DHCP message (RFC 2131 §2, Figure 1): the BOOTP fixed fields, the magic cookie and the options.
///
///     op(1) htype(1) hlen(1) hops(1) | xid(4) | secs(2) flags(2) | ciaddr(4) | yiaddr(4) | siaddr(4) | giaddr(4)
///     chaddr(16) | sname(64) | file(128) | magic cookie 99.130.83.99 (4) | options (variable, ending with End)
///
/// Addresses are 32-bit values, most significant octet first. Option Overload (RFC 2132 §9.3) is refused, so `sname`
/// and `file` are opaque.
public struct DHCPMessage: Hashable, Sendable {
    /// 'op' (RFC 2131 §2, Table 1).
    public enum Operation: UInt8, Hashable, Sendable {
        case bootRequest = 1
        case bootReply = 2
    }

    /// The length of the fixed fields, up to and excluding the options field (RFC 2131 §2, Figure 1).
    public static let fixedLength = 236
    /// The magic cookie that starts the options field (RFC 2131 §3: "the first four octets of the 'options' field
    /// of the DHCP message contain the (decimal) values 99, 130, 83 and 99").
    public static let magicCookie: UInt32 = 0x6382_5363
    /// The smallest DHCP message: the fixed fields and the magic cookie.
    public static let minimumLength = fixedLength + 4
    /// The longest message accepted: a 1500-octet IPv4 packet less its IPv4 and UDP headers. RFC 2131 §2 only
    /// guarantees 576-octet IP datagrams unless the client signals more with option 57; Windows sends about 300.
    public static let maximumLength = 1500 - 20 - 8
    /// The BOOTP message length that replies are padded to (RFC 1542 §2.1: BOOTP messages are at least 300 octets;
    /// ISC dhcpd and dnsmasq pad their replies to it for clients that drop shorter ones).
    public static let bootpMinimumLength = 300

    public var op: Operation
    /// Hardware address type (1 = Ethernet, per "Assigned Numbers").
    public var htype: UInt8
    /// Hardware address length, at most 16.
    public var hlen: UInt8
    public var hops: UInt8
    /// Transaction ID, chosen by the client and copied into replies.
    public var xid: UInt32
    public var secs: UInt16
    /// Flags; the most significant bit is BROADCAST (RFC 2131 §2, Figure 2).
    public var flags: UInt16
    /// Client IP address (set by a client that already has one, e.g. in DHCPINFORM).
    public var ciaddr: UInt32
    /// 'your' (client) IP address.
    public var yiaddr: UInt32
    /// IP address of the next server to use in bootstrap.
    public var siaddr: UInt32
    /// Relay agent IP address.
    public var giaddr: UInt32
    /// Client hardware address: exactly 16 octets, of which the first `hlen` are significant.
    public var chaddr: [UInt8]
    /// Server host name: exactly 64 octets.
    public var sname: [UInt8]
    /// Boot file name: exactly 128 octets.
    public var file: [UInt8]
    /// The options in wire order, without Pad and End.
    public var options: [DHCPOption]

    /// A message with zeroed 'sname' and 'file'. `chaddr` is padded with zeros to 16 octets (at most 16).
    public init(
        op: Operation, htype: UInt8 = 1, hlen: UInt8 = 6, hops: UInt8 = 0, xid: UInt32, secs: UInt16 = 0,
        flags: UInt16 = 0, ciaddr: UInt32 = 0, yiaddr: UInt32 = 0, siaddr: UInt32 = 0, giaddr: UInt32 = 0,
        chaddr: [UInt8] = [], options: [DHCPOption] = []
    ) {
        precondition(chaddr.count <= 16 && hlen <= 16, "chaddr is 16 octets")
        self.op = op
        self.htype = htype
        self.hlen = hlen
        self.hops = hops
        self.xid = xid
        self.secs = secs
        self.flags = flags
        self.ciaddr = ciaddr
        self.yiaddr = yiaddr
        self.siaddr = siaddr
        self.giaddr = giaddr
        self.chaddr = chaddr + Array(repeating: 0, count: 16 - chaddr.count)
        self.sname = Array(repeating: 0, count: 64)
        self.file = Array(repeating: 0, count: 128)
        self.options = options
    }

    /// Parses the whole readable region of `buffer` as one DHCP message (the UDP payload), without moving the
    /// reader index.
    ///
    /// Checks the length (``minimumLength`` ... ``maximumLength``), 'op', 'hlen' ≤ 16, the magic cookie, and walks
    /// the options (RFC 2132 §2): Pad octets are skipped, every other option must have its length octet and data
    /// inside the message, and the End option must be present; what follows End is ignored. Option Overload is
    /// refused.
    public init(parsing buffer: ByteBuffer) throws(DHCPError) {
        let length = buffer.readableBytes
        guard length >= Self.minimumLength else { throw .truncatedMessage(length: length) }
        guard length <= Self.maximumLength else { throw .messageTooLong(length: length) }
        let start = buffer.readerIndex
        let opValue: UInt8 = buffer.getInteger(at: start)!
        guard let op = Operation(rawValue: opValue) else { throw .badOperation(opValue) }
        let hlen: UInt8 = buffer.getInteger(at: start + 2)!
        guard hlen <= 16 else { throw .badHardwareAddressLength(hlen) }
        let cookie: UInt32 = buffer.getInteger(at: start + Self.fixedLength)!
        guard cookie == Self.magicCookie else { throw .badMagicCookie(cookie) }

        self.op = op
        self.htype = buffer.getInteger(at: start + 1)!
        self.hlen = hlen
        self.hops = buffer.getInteger(at: start + 3)!
        self.xid = buffer.getInteger(at: start + 4)!
        self.secs = buffer.getInteger(at: start + 8)!
        self.flags = buffer.getInteger(at: start + 10)!
        self.ciaddr = buffer.getInteger(at: start + 12)!
        self.yiaddr = buffer.getInteger(at: start + 16)!
        self.siaddr = buffer.getInteger(at: start + 20)!
        self.giaddr = buffer.getInteger(at: start + 24)!
        self.chaddr = buffer.getBytes(at: start + 28, length: 16)!
        self.sname = buffer.getBytes(at: start + 44, length: 64)!
        self.file = buffer.getBytes(at: start + 108, length: 128)!
        self.options = try Self.parseOptions(
            buffer.getBytes(at: start + Self.minimumLength, length: length - Self.minimumLength)!)
    }

    private static func parseOptions(_ bytes: [UInt8]) throws(DHCPError) -> [DHCPOption] {
        var options: [DHCPOption] = []
        var index = 0
        while index < bytes.count {
            let code = DHCPOptionCode(rawValue: bytes[index])
            if code == .pad {
                index += 1
                continue
            }
            if code == .end {
                return options
            }
            guard index + 1 < bytes.count, index + 2 + Int(bytes[index + 1]) <= bytes.count else {
                throw .optionOverrun(code: code.rawValue, offset: index)
            }
            guard code != .optionOverload else { throw .optionOverloadUnsupported() }
            let dataLength = Int(bytes[index + 1])
            options.append(DHCPOption(code: code, data: Array(bytes[index + 2..<index + 2 + dataLength])))
            index += 2 + dataLength
        }
        throw .missingEndOption()
    }

    // MARK: Option values

    /// The data of option `code`, or nil if absent. Several instances of one option are concatenated in order
    /// (RFC 3396 §7, how a receiver decodes an option split into several instances).
    public func optionData(_ code: DHCPOptionCode) -> [UInt8]? {
        let instances = options.filter { $0.code == code }
        return instances.isEmpty ? nil : instances.flatMap(\.data)
    }

    /// The DHCP Message Type (option 53, exactly one octet of a known value), or nil.
    public var messageType: DHCPMessageType? {
        guard let data = optionData(.dhcpMessageType), data.count == 1 else { return nil }
        return DHCPMessageType(rawValue: data[0])
    }

    /// The codes of the Parameter Request List (option 55), in the client's order of preference; empty if absent.
    public var parameterRequestList: [DHCPOptionCode] {
        (optionData(.parameterRequestList) ?? []).map(DHCPOptionCode.init(rawValue:))
    }

    /// The IPv4 addresses of an address-list option (Router, Domain Name Server, Server Identifier, ...); nil if
    /// absent; throws if the length is zero or not a multiple of 4 (RFC 2132 §3.5, §3.8).
    public func addresses(_ code: DHCPOptionCode) throws(DHCPError) -> [UInt32]? {
        guard let data = optionData(code) else { return nil }
        guard !data.isEmpty, data.count % 4 == 0 else {
            throw .badOptionValue(code: code.rawValue, length: data.count, reason: "not a list of IPv4 addresses")
        }
        return stride(from: 0, to: data.count, by: 4).map { UInt32(octets: data[$0..<$0 + 4]) }
    }

    /// The Server Identifier (option 54, one address), or nil if absent or malformed.
    public var serverIdentifier: UInt32? {
        guard let data = optionData(.serverIdentifier), data.count == 4 else { return nil }
        return UInt32(octets: data)
    }

    /// The Domain Name (option 15) as text, without trailing NUL octets (some servers count one); nil if absent.
    /// Throws if it is empty or not printable ASCII (a domain name, RFC 2132 §3.17).
    public func domainName() throws(DHCPError) -> String? {
        guard var data = optionData(.domainName) else { return nil }
        while data.last == 0 {
            data.removeLast()
        }
        guard !data.isEmpty, data.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .badOptionValue(
                code: DHCPOptionCode.domainName.rawValue, length: data.count, reason: "not a domain name")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The routes of option 121 or 249, or nil if the option is absent.
    public func classlessStaticRoutes(_ code: DHCPOptionCode = .classlessStaticRoute) throws(DHCPError)
        -> [ClasslessStaticRoute]?
    {
        guard let data = optionData(code) else { return nil }
        return try ClasslessStaticRoute.decode(data, code: code)
    }
}

extension ByteBuffer {
    /// Writes `message`: the fixed fields, the magic cookie, each option (split into several instances of at most
    /// 255 octets when longer, RFC 3396 §5), the End option, and Pad octets up to `minimumLength`.
    /// Returns the number of bytes written.
    @discardableResult
    public mutating func writeDHCPMessage(_ message: DHCPMessage, minimumLength: Int = 0) -> Int {
        precondition(message.chaddr.count == 16 && message.sname.count == 64 && message.file.count == 128)
        let start = writerIndex
        writeInteger(message.op.rawValue)
        writeInteger(message.htype)
        writeInteger(message.hlen)
        writeInteger(message.hops)
        writeInteger(message.xid)
        writeInteger(message.secs)
        writeInteger(message.flags)
        writeInteger(message.ciaddr)
        writeInteger(message.yiaddr)
        writeInteger(message.siaddr)
        writeInteger(message.giaddr)
        writeBytes(message.chaddr)
        writeBytes(message.sname)
        writeBytes(message.file)
        writeInteger(DHCPMessage.magicCookie)
        for option in message.options {
            var remaining = option.data[...]
            repeat {
                let chunk = remaining.prefix(255)
                writeInteger(option.code.rawValue)
                writeInteger(UInt8(chunk.count))
                writeBytes(chunk)
                remaining = remaining.dropFirst(chunk.count)
            } while !remaining.isEmpty
        }
        writeInteger(DHCPOptionCode.end.rawValue)
        let written = writerIndex - start
        if written < minimumLength {
            writeRepeatingByte(0, count: minimumLength - written)
        }
        return writerIndex - start
    }
}
