/// An IPv4 destination prefix (subnet number and mask width). Bits past `length` are always zero.
public struct IPv4Prefix: Hashable, Sendable, CustomStringConvertible {
    /// The subnet number, most significant octet first, with the host bits cleared.
    public private(set) var network: UInt32
    /// The width of the subnet mask, 0...32.
    public private(set) var length: UInt8

    /// Clears the bits of `network` past `length`. `length` must be 0...32.
    public init(network: UInt32, length: UInt8) {
        precondition(length <= 32, "prefix length \(length) exceeds 32")
        self.length = length
        self.network = network & Self.mask(length)
    }

    /// The subnet mask of a prefix of `length` bits (0 gives 0.0.0.0).
    public static func mask(_ length: UInt8) -> UInt32 {
        length == 0 ? 0 : UInt32.max << (32 - UInt32(length))
    }

    public var description: String {
        "\(network >> 24).\(network >> 16 & 0xFF).\(network >> 8 & 0xFF).\(network & 0xFF)/\(length)"
    }
}

/// One route of the Classless Static Route option (RFC 3442 §2; Microsoft's option 249 uses the same format):
/// a destination descriptor followed by the router address.
///
/// RFC 3442 §2: the destination descriptor is the width of the subnet mask in one octet, then "the significant
/// portion of the subnet number": the width divided by eight, rounded up, octets (0 octets for width 0, 4 for
/// 25...32). For example 10.17.0.0/16 is `16.10.17` and 10.229.0.128/25 is `25.10.229.0.128`.
public struct ClasslessStaticRoute: Hashable, Sendable, CustomStringConvertible {
    public var destination: IPv4Prefix
    /// The router to reach `destination` through. 0.0.0.0 is read by Linux clients as "on-link" (dhcpcd, systemd,
    /// the dhclient script); the gateway itself sends its own tunnel address, see ``DHCPInformResponder``.
    public var router: UInt32

    public init(destination: IPv4Prefix, router: UInt32) {
        self.destination = destination
        self.router = router
    }

    /// The number of octets this route takes in the option: width, significant octets, router.
    public var encodedLength: Int { 1 + Self.significantOctets(destination.length) + 4 }

    /// RFC 3442 §2: the number of significant octets of the subnet number for a mask of `width` bits.
    static func significantOctets(_ width: UInt8) -> Int { (Int(width) + 7) / 8 }

    public var description: String {
        let r = router
        return "\(destination) via \(r >> 24).\(r >> 16 & 0xFF).\(r >> 8 & 0xFF).\(r & 0xFF)"
    }

    /// The option data for `routes`, in order.
    public static func encode(_ routes: [ClasslessStaticRoute]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(routes.reduce(0) { $0 + $1.encodedLength })
        for route in routes {
            data.append(route.destination.length)
            data.append(
                contentsOf: route.destination.network.octets.prefix(significantOctets(route.destination.length)))
            data.append(contentsOf: route.router.octets)
        }
        return data
    }

    /// Decodes the data of option 121 or 249.
    ///
    /// Throws ``DHCPError/Code/badOptionValue`` for an empty option (RFC 3442 §2: "its minimum length is 5 bytes"),
    /// a width above 32, or a route cut short. Bits of the subnet number past the width are cleared: RFC 3442 §2,
    /// "the DHCP client MUST zero any bits in the subnet number where the corresponding bit in the mask is zero".
    public static func decode(_ data: [UInt8], code: DHCPOptionCode = .classlessStaticRoute) throws(DHCPError)
        -> [ClasslessStaticRoute]
    {
        guard data.count >= 5 else {
            throw .badOptionValue(code: code.rawValue, length: data.count, reason: "shorter than 5 octets")
        }
        var routes: [ClasslessStaticRoute] = []
        var index = 0
        while index < data.count {
            let width = data[index]
            guard width <= 32 else {
                throw .badOptionValue(code: code.rawValue, length: data.count, reason: "mask width \(width) above 32")
            }
            let significant = significantOctets(width)
            guard index + 1 + significant + 4 <= data.count else {
                throw .badOptionValue(code: code.rawValue, length: data.count, reason: "route cut short")
            }
            var network: UInt32 = 0
            for octet in 0..<4 {
                network = network << 8 | UInt32(octet < significant ? data[index + 1 + octet] : 0)
            }
            let routerStart = index + 1 + significant
            routes.append(
                ClasslessStaticRoute(
                    destination: IPv4Prefix(network: network, length: width),
                    router: UInt32(octets: data[routerStart..<routerStart + 4])))
            index = routerStart + 4
        }
        return routes
    }
}
