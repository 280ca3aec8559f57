/// A pool of IPv4 addresses handed out to PPP sessions (as the IPCP IP-Address, RFC 1332 §3.3).
///
/// A value type without I/O: the server keeps one inside an actor or lock and calls ``lease(sessionID:user:)``
/// when IPCP needs an address and ``release(sessionID:)`` when the session ends.
///
/// Policy:
/// - one lease per session (leasing again for the same session returns the same address);
/// - a reserved address is only ever given to its user;
/// - otherwise a user gets the address it had last time when that address is still free ("sticky");
/// - otherwise the next free address after a rotating cursor (next fit), so recently released addresses are
///   reused last, which keeps sticky addresses available for as long as possible.
///
/// Free addresses are kept in a bitmap (one bit per address, 8 KiB for a /16) scanned a word at a time from the
/// cursor, so a lease costs O(1) amortised and never walks the addresses one by one.
public struct AddressPool: Sendable {
    /// The network the addresses come from.
    public let network: IPv4Network

    /// Bit `i` is set when network offset `i` is free for general allocation (not excluded, not reserved, not
    /// leased).
    private var freeBits: [UInt64]
    private var freeBitCount: Int
    /// The offset where the next general allocation starts looking.
    private var cursor: Int
    private var reservationByUser: [String: Int]
    private var reservationByOffset: [Int: String]
    private var offsetBySession: [UInt64: Int]
    private var sessionByOffset: [Int: UInt64]
    private var lastOffsetByUser: [String: Int]
    /// Offsets never leased (the gateway's address, network and broadcast).
    private let excludedOffsets: Set<Int>

    /// The number of addresses that can be leased (the network minus excluded addresses; reserved ones count).
    public let size: Int

    /// The number of addresses currently leased.
    public var used: Int { offsetBySession.count }

    /// The number of addresses not leased (including reserved ones, which only their users can take).
    public var free: Int { size - used }

    /// Creates a pool over `network`.
    ///
    /// - Parameters:
    ///   - excluding: addresses never to lease, typically the gateway's own address. Addresses outside the
    ///     network are ignored. For prefixes shorter than /31 the network and broadcast addresses are excluded
    ///     as well (a /31 has no broadcast address, RFC 3021 §2.1).
    ///   - reservations: user name → the address only that user may get.
    public init(
        network: IPv4Network,
        excluding: [IPv4Address] = [],
        reservations: [String: IPv4Address] = [:]
    ) throws(AddressPoolError) {
        guard network.prefixLength >= 8 else { throw .networkTooLarge }
        let count = Int(network.size)
        self.network = network
        var excluded = Set<Int>()
        for address in excluding where network.contains(address) {
            excluded.insert(Int(address.value - network.address.value))
        }
        if network.prefixLength < 31 {
            excluded.insert(0)
            excluded.insert(count - 1)
        }
        var byUser: [String: Int] = [:]
        var byOffset: [Int: String] = [:]
        for (user, address) in reservations {
            guard network.contains(address) else { throw .invalidReservation(user: user) }
            let offset = Int(address.value - network.address.value)
            guard !excluded.contains(offset), byOffset[offset] == nil else { throw .invalidReservation(user: user) }
            byUser[user] = offset
            byOffset[offset] = user
        }
        var bits = [UInt64](repeating: ~0, count: (count + 63) / 64)
        if count % 64 != 0 {
            bits[bits.count - 1] = (UInt64(1) << UInt64(count % 64)) - 1
        }
        for offset in excluded.union(byOffset.keys) {
            bits[offset / 64] &= ~(UInt64(1) << UInt64(offset % 64))
        }
        self.freeBits = bits
        self.freeBitCount = count - excluded.count - byOffset.count
        self.cursor = 0
        self.reservationByUser = byUser
        self.reservationByOffset = byOffset
        self.offsetBySession = [:]
        self.sessionByOffset = [:]
        self.lastOffsetByUser = [:]
        self.excludedOffsets = excluded
        self.size = count - excluded.count
    }

    /// The current reservations: user → address.
    public var reservations: [String: IPv4Address] {
        reservationByUser.mapValues(address(at:))
    }

    /// Replaces every reservation (an operator reserved or released an address while the pool is in use).
    ///
    /// Live leases are untouched: an address now reserved for someone else stays with the session holding it and
    /// becomes the user's when that session ends; a session keeps its address if its reservation is removed. Each
    /// reservation must lie in the network, not be an excluded address and not be reserved twice; otherwise nothing
    /// changes and ``AddressPoolError/invalidReservation(user:)`` names the user.
    public mutating func replaceReservations(_ reservations: [String: IPv4Address]) throws(AddressPoolError) {
        var byUser: [String: Int] = [:]
        var byOffset: [Int: String] = [:]
        for (user, address) in reservations.sorted(by: { $0.key < $1.key }) {
            guard network.contains(address) else { throw .invalidReservation(user: user) }
            let offset = Int(address.value - network.address.value)
            guard !excludedOffsets.contains(offset), byOffset[offset] == nil else {
                throw .invalidReservation(user: user)
            }
            byUser[user] = offset
            byOffset[offset] = user
        }
        // Offsets no longer reserved and not leased become generally free again.
        for offset in reservationByOffset.keys where byOffset[offset] == nil && sessionByOffset[offset] == nil {
            freeBits[offset / 64] |= UInt64(1) << UInt64(offset % 64)
            freeBitCount += 1
        }
        // Newly reserved offsets leave general allocation (a leased one already has its bit clear).
        for offset in byOffset.keys where reservationByOffset[offset] == nil && isGenerallyFree(offset) {
            clearFreeBit(offset)
        }
        reservationByUser = byUser
        reservationByOffset = byOffset
    }

    /// Leases an address to `sessionID` for `user`.
    ///
    /// Returns the session's existing lease if it has one. Throws ``AddressPoolError/exhausted`` when nothing
    /// is free for this user.
    public mutating func lease(sessionID: UInt64, user: String) throws(AddressPoolError) -> IPv4Address {
        if let offset = offsetBySession[sessionID] {
            return address(at: offset)
        }
        let offset: Int
        if let reserved = reservationByUser[user], sessionByOffset[reserved] == nil {
            offset = reserved
        } else if let last = lastOffsetByUser[user], isGenerallyFree(last) {
            offset = last
            clearFreeBit(last)
        } else if let next = takeNextFree() {
            offset = next
        } else {
            throw .exhausted
        }
        offsetBySession[sessionID] = offset
        sessionByOffset[offset] = sessionID
        lastOffsetByUser[user] = offset
        return address(at: offset)
    }

    /// Returns the session's address to the pool; does nothing if the session holds no lease.
    public mutating func release(sessionID: UInt64) {
        guard let offset = offsetBySession.removeValueAndShrink(forKey: sessionID) else { return }
        sessionByOffset[offset] = nil
        if reservationByOffset[offset] == nil {
            freeBits[offset / 64] |= UInt64(1) << UInt64(offset % 64)
            freeBitCount += 1
        }
    }

    /// The address leased to `sessionID`, if any.
    public func address(of sessionID: UInt64) -> IPv4Address? {
        offsetBySession[sessionID].map(address(at:))
    }

    /// The session holding `address`, if any.
    public func session(holding address: IPv4Address) -> UInt64? {
        guard network.contains(address) else { return nil }
        return sessionByOffset[Int(address.value - network.address.value)]
    }

    // MARK: - Bitmap

    private func address(at offset: Int) -> IPv4Address {
        IPv4Address(network.address.value + UInt32(offset))
    }

    private func isGenerallyFree(_ offset: Int) -> Bool {
        freeBits[offset / 64] & (UInt64(1) << UInt64(offset % 64)) != 0
    }

    private mutating func clearFreeBit(_ offset: Int) {
        freeBits[offset / 64] &= ~(UInt64(1) << UInt64(offset % 64))
        freeBitCount -= 1
    }

    /// Takes the first free offset at or after the cursor, wrapping around once, and moves the cursor past it.
    private mutating func takeNextFree() -> Int? {
        guard freeBitCount > 0 else { return nil }
        let words = freeBits.count
        let startWord = cursor / 64
        var word = freeBits[startWord] & (~0 << UInt64(cursor % 64))
        var index = startWord
        var step = 0
        while word == 0 {
            step += 1
            precondition(step <= words, "freeBitCount > 0 but no free bit")
            index = (startWord + step) % words
            word = freeBits[index]
        }
        let offset = index * 64 + word.trailingZeroBitCount
        clearFreeBit(offset)
        cursor = (offset + 1) % Int(network.size)
        return offset
    }
}
