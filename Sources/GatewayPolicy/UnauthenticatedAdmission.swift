/// Bounds the connections that have not authenticated yet: accepted by TCP but not (yet) call connected, so still in
/// their TLS handshake, HTTP request, SSTP negotiation or PPP authentication. Each costs the gateway memory, a file
/// descriptor and timers before the client has proved anything, which is what slow and half-open connection floods
/// exploit.
///
/// The policy, for each new connection:
/// - A client address (IP, without the port) may hold at most `perAddress` unauthenticated connections; one more is
///   refused. One address (or one NAT) cannot take the whole budget.
/// - At most `total` unauthenticated connections are held in all. When a new connection (within its address's
///   budget) meets a full table, the **oldest** unauthenticated connection is evicted to make room rather than the
///   new one refused: a legitimate client needs well under a second from accept to Call Connected, so under a flood
///   of idle or slow connections it is the attacker's old connections that go. Refusing the newcomer instead would
///   let anyone who can hold `total` idle sockets keep every client out until their deadlines pass.
/// - A connection leaves the table when it authenticates (call connected) or closes (``release(_:)``).
///
/// Bounded: at most `total` connections are tracked (plus a queue of released tickets compacted as it grows).
/// Pure: no clock, no I/O; the caller closes what is evicted.
public struct UnauthenticatedAdmission: Sendable {
    /// The two caps; both at least 1.
    public struct Limits: Sendable, Hashable {
        /// Unauthenticated connections one client address may hold.
        public var perAddress: Int
        /// Unauthenticated connections held in all.
        public var total: Int

        public init(perAddress: Int, total: Int) {
            precondition(perAddress >= 1 && total >= 1, "admission limits must be at least 1")
            self.perAddress = perAddress
            self.total = total
        }
    }

    /// The answer to ``admit(address:limits:)``.
    public enum Decision: Sendable, Hashable {
        /// Admitted as `ticket`. `evicted` lists the tickets (oldest first) that left the table to make room: the
        /// caller closes those connections. Empty unless `total` was reached.
        case admitted(ticket: UInt64, evicted: [UInt64])
        /// Refused: the address already holds `limits.perAddress` unauthenticated connections.
        case refusedPerAddress
    }

    /// Ticket → the address it counts against.
    private var open: [UInt64: String] = [:]
    private var perAddress: [String: Int] = [:]
    /// Tickets in admission order; entries before `head`, and released ones, are skipped.
    private var order: [UInt64] = []
    private var head = 0
    private var nextTicket: UInt64 = 1

    public init() {}

    /// Unauthenticated connections held now.
    public var count: Int { open.count }

    /// Unauthenticated connections `address` holds now.
    public func count(for address: String) -> Int { perAddress[address] ?? 0 }

    /// Whether `ticket` is still held (not released, not evicted).
    public func holds(_ ticket: UInt64) -> Bool { open[ticket] != nil }

    /// Decides on a new connection from `address`.
    public mutating func admit(address: String, limits: Limits) -> Decision {
        if count(for: address) >= limits.perAddress { return .refusedPerAddress }
        var evicted: [UInt64] = []
        // `while`: a reload may have lowered `total` below the number held.
        while open.count >= limits.total, let oldest = popOldest() {
            remove(oldest)
            evicted.append(oldest)
        }
        let ticket = nextTicket
        nextTicket += 1
        open[ticket] = address
        perAddress[address, default: 0] += 1
        order.append(ticket)
        return .admitted(ticket: ticket, evicted: evicted)
    }

    /// The connection authenticated or closed. Returns false if the ticket was not held (already released or
    /// evicted): safe to call more than once.
    @discardableResult
    public mutating func release(_ ticket: UInt64) -> Bool {
        guard open[ticket] != nil else { return false }
        remove(ticket)
        compactIfNeeded()
        return true
    }

    private mutating func remove(_ ticket: UInt64) {
        guard let address = open.removeValue(forKey: ticket) else { return }
        let left = (perAddress[address] ?? 1) - 1
        perAddress[address] = left > 0 ? left : nil
    }

    /// The oldest ticket still held, taken off the queue.
    private mutating func popOldest() -> UInt64? {
        while head < order.count {
            let ticket = order[head]
            head += 1
            if open[ticket] != nil { return ticket }
        }
        return nil
    }

    /// Drops released tickets from the queue once they outnumber the held ones, so it stays O(held) in size and
    /// each ticket is copied O(1) times on average.
    private mutating func compactIfNeeded() {
        let queued = order.count - head
        guard queued > 2 * open.count + 64 else { return }
        order = order[head...].filter { open[$0] != nil }
        head = 0
    }

    /// Entries in the admission queue, released ones included until compaction (for tests of the bound).
    public var queuedTickets: Int { order.count - head }
}
