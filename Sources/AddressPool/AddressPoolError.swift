/// Why an ``AddressPool`` operation failed.
public enum AddressPoolError: Error, Hashable, Sendable {
    /// No address is free for this user: every assignable address is leased or reserved for someone else.
    case exhausted
    /// The network has more than 2^24 addresses; the pool keeps one bit per address and refuses to be that big.
    case networkTooLarge
    /// A reservation names an address outside the network, an excluded address, or one reserved twice.
    case invalidReservation(user: String)
}
