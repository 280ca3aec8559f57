/// EAP-TLS Flags octet (RFC 5216 §3.1; RFC 9190 keeps the same framing):
///
/// ```
/// 0 1 2 3 4 5 6 7
/// L M S R R R R R     L = length included, M = more fragments, S = EAP-TLS start, R = reserved (0)
/// ```
public struct EAPTLSFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let lengthIncluded = EAPTLSFlags(rawValue: 0x80)
    public static let moreFragments = EAPTLSFlags(rawValue: 0x40)
    public static let start = EAPTLSFlags(rawValue: 0x20)
}

/// One EAP-TLS Type-Data (RFC 5216 §3.1/§3.2): Flags(1) [TLS Message Length(4) if L] [TLS Data].
public struct EAPTLSFragment: Hashable, Sendable {
    public var flags: EAPTLSFlags
    /// TLS Message Length, present iff `flags` has L.
    public var tlsMessageLength: UInt32?
    public var tlsData: [UInt8]

    public init(flags: EAPTLSFlags, tlsMessageLength: UInt32? = nil, tlsData: [UInt8] = []) {
        self.flags = flags
        self.tlsMessageLength = tlsMessageLength
        self.tlsData = tlsData
        if tlsMessageLength != nil { self.flags.insert(.lengthIncluded) } else { self.flags.remove(.lengthIncluded) }
    }

    /// The EAP-TLS Start (RFC 5216 §3.1: "S ... set in an EAP-TLS Start message", no data).
    public static let start = EAPTLSFragment(flags: .start)
    /// An acknowledgement: "an EAP-Response packet of EAP-Type=EAP-TLS, with no data" (RFC 5216 §2.1.5), i.e.
    /// Flags 0 only.
    public static let acknowledgement = EAPTLSFragment(flags: [])

    /// `true` for an empty fragment with no flags (an ACK, or RFC 9190's final peer response).
    public var isAcknowledgement: Bool { self.flags.isEmpty && self.tlsData.isEmpty }

    /// Parses a Type-Data. Reserved bits are ignored on receipt.
    public init(typeData: [UInt8]) throws(EAPError) {
        guard let first = typeData.first else { throw .missingFlags() }
        let flags = EAPTLSFlags(rawValue: first).intersection([.lengthIncluded, .moreFragments, .start])
        var offset = 1
        var length: UInt32?
        if flags.contains(.lengthIncluded) {
            guard typeData.count >= 5 else { throw .truncatedLengthField() }
            length = typeData[1...4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            offset = 5
        }
        self.flags = flags
        self.tlsMessageLength = length
        self.tlsData = Array(typeData[offset...])
    }

    /// The Type-Data encoding.
    public var typeData: [UInt8] {
        var out: [UInt8] = [self.flags.rawValue]
        if let length = self.tlsMessageLength {
            out += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        }
        return out + self.tlsData
    }
}

/// Fragmentation and reassembly of TLS messages in EAP-TLS (RFC 5216 §2.1.5, §3.1), one per side and method run.
///
/// Outgoing: `send(_:)` cuts a TLS message into fragments of at most `maximumFragmentSize` TLS Data octets; the
/// first of several carries L and the total length, all but the last carry M; each further fragment goes out when
/// the other side's ACK arrives. Incoming: fragments with M are acknowledged and reassembled up to
/// `maximumMessageLength` octets, checked against L before anything is buffered.
public struct EAPTLSFragmentation: Sendable {
    /// What a received Type-Data means.
    public enum Received: Hashable, Sendable {
        /// The other side acknowledged our fragment: send this next fragment (Type-Data).
        case sendNextFragment([UInt8])
        /// A non-final fragment was buffered: send this ACK (Type-Data).
        case sendAcknowledgement([UInt8])
        /// A complete TLS message (never empty).
        case message([UInt8])
        /// An empty, flagless packet with nothing of ours outstanding: the other side acknowledges our last
        /// (unfragmented or final) message, e.g. RFC 9190's final peer response.
        case acknowledgement
        /// An EAP-TLS Start (S flag; only a peer accepts it).
        case start
    }

    public let maximumFragmentSize: Int
    public let maximumMessageLength: Int
    /// Whether received packets may carry S (the peer side).
    public let acceptsStart: Bool
    private var outgoing: ArraySlice<UInt8> = []
    private var incoming: [UInt8] = []
    private var incomingLength: Int?

    /// - Parameters:
    ///   - maximumFragmentSize: TLS Data octets per fragment (the EAP MTU minus 10 octets of EAP and EAP-TLS
    ///     headers).
    ///   - maximumMessageLength: the reassembly cap (64 KiB by default; a TLS flight with a certificate chain is a
    ///     few KiB).
    ///   - acceptsStart: `true` on the peer.
    public init(maximumFragmentSize: Int, maximumMessageLength: Int = 65_536, acceptsStart: Bool) {
        precondition(maximumFragmentSize >= 1 && maximumMessageLength >= 1)
        self.maximumFragmentSize = maximumFragmentSize
        self.maximumMessageLength = maximumMessageLength
        self.acceptsStart = acceptsStart
    }

    /// `true` while fragments of our last message still wait for ACKs.
    public var hasPendingFragments: Bool { !self.outgoing.isEmpty }

    /// `true` while a fragmented incoming message is incomplete.
    public var isReassembling: Bool { self.incomingLength != nil }

    /// Starts sending `message` (may be empty: an ACK); returns the first fragment's Type-Data.
    public mutating func send(_ message: [UInt8]) -> [UInt8] {
        precondition(self.outgoing.isEmpty, "previous message not yet fully sent")
        guard message.count > self.maximumFragmentSize else {
            return EAPTLSFragment(flags: [], tlsData: message).typeData
        }
        self.outgoing = message[self.maximumFragmentSize...]
        // RFC 5216 §3.1: L MUST be set on the first fragment of a fragmented message; M on all but the last.
        return EAPTLSFragment(
            flags: .moreFragments, tlsMessageLength: UInt32(message.count),
            tlsData: Array(message.prefix(self.maximumFragmentSize))
        ).typeData
    }

    /// Handles one received EAP-TLS Type-Data.
    public mutating func receive(_ typeData: [UInt8]) throws(EAPError) -> Received {
        let fragment = try EAPTLSFragment(typeData: typeData)
        if fragment.flags.contains(.start) {
            guard self.acceptsStart, fragment.tlsData.isEmpty, self.outgoing.isEmpty, self.incomingLength == nil
            else { throw .unexpectedStart() }
            return .start
        }
        if !self.outgoing.isEmpty {
            // Our fragmented message is in flight: only an ACK is valid (RFC 5216 §2.1.5).
            guard fragment.isAcknowledgement else { throw .unexpectedFragment() }
            let next = self.outgoing.prefix(self.maximumFragmentSize)
            self.outgoing = self.outgoing.dropFirst(next.count)
            let flags: EAPTLSFlags = self.outgoing.isEmpty ? [] : .moreFragments
            return .sendNextFragment(EAPTLSFragment(flags: flags, tlsData: Array(next)).typeData)
        }
        if let announced = fragment.tlsMessageLength.map(Int.init) {
            guard announced <= self.maximumMessageLength else {
                throw .messageTooLong(announced, maximum: self.maximumMessageLength)
            }
            if let current = self.incomingLength, current != announced {
                throw .inconsistentLength(announced: current, repeated: announced)
            }
            if self.incomingLength == nil { self.incomingLength = announced }
        } else if self.incomingLength == nil {
            if fragment.flags.contains(.moreFragments) { throw .missingLengthOnFirstFragment() }
            if fragment.tlsData.isEmpty { return .acknowledgement }
            guard fragment.tlsData.count <= self.maximumMessageLength else {
                throw .messageTooLong(fragment.tlsData.count, maximum: self.maximumMessageLength)
            }
            return .message(fragment.tlsData)
        }
        let announced = self.incomingLength!
        let total = self.incoming.count + fragment.tlsData.count
        guard total <= announced else { throw .lengthMismatch(announced: announced, received: total) }
        if fragment.flags.contains(.moreFragments) {
            guard !fragment.tlsData.isEmpty else { throw .emptyFragment() }
            self.incoming += fragment.tlsData
            return .sendAcknowledgement(EAPTLSFragment.acknowledgement.typeData)
        }
        guard total == announced else { throw .lengthMismatch(announced: announced, received: total) }
        let message = self.incoming + fragment.tlsData
        self.incoming = []
        self.incomingLength = nil
        guard !message.isEmpty else { return .acknowledgement }
        return .message(message)
    }
}
