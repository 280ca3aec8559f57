import AddressPool
import GatewayStore

extension UserDatabase {
    /// The users of the state store, as the gateway looks them up.
    public init(store: GatewayStore) throws {
        self.init()
        for user in try store.users() {
            let methods = user.allowedMethods.map { Set($0.compactMap(AuthenticationMethod.init(rawValue:))) }
            try set(UserRecord(name: user.name, ntPasswordHash: user.ntPasswordHash, allowedMethods: methods, locked: user.locked))
        }
    }
}

extension GatewayStore {
    /// The reservations as the pool takes them (user → address); entries that are not IPv4 addresses are skipped.
    public func poolReservations() throws -> [String: IPv4Address] {
        var out: [String: IPv4Address] = [:]
        for reservation in try reservations() {
            // Keyed as the pool leases: by canonical name (letter case and DOMAIN\ ignored).
            if let address = IPv4Address(reservation.address) { out[UserDatabase.canonical(reservation.user)] = address }
        }
        return out
    }
}
