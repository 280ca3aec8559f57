import ArgumentParser
import Foundation
import AddressPool
import GatewayStore
import SSTPServer

/// `sstpctl pool show|reserve|release`.
struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "The client address pool: usage, reservations, leases.",
        subcommands: [Show.self, Reserve.self, Release.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the pool of the running gateway: size, used, free, reservations and leases.")
        @OptionGroup var control: ControlOptions
        @Flag(help: "JSON output.") var json = false

        func run() throws {
            guard let pool = try control.send(ControlRequest(op: .pool)).pool else { return }
            if json { return try printJSON(pool) }
            print("network \(pool.network) (gateway \(pool.gateway)): \(pool.size) addresses, \(pool.used) used, \(pool.free) free")
            print("\nreservations:")
            print(pool.reservations.isEmpty ? "  none" : table(["USER", "ADDRESS"], pool.reservations.map { [$0.user, $0.address] }))
            print("\nleases:")
            print(
                pool.leases.isEmpty
                    ? "  none" : table(["ADDRESS", "USER", "SESSION"], pool.leases.map { [$0.address, $0.user ?? "-", "\($0.session)"] }))
        }
    }

    struct Reserve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reserve a pool address for a user: the user gets it at every connection (it takes effect at the next one).")
        @OptionGroup var state: StateOptions
        @Option(help: "sstpd's configuration, to check the address against the pool when sstpd is not running.")
        var config: String?
        @Argument var user: String
        @Argument var address: String

        func run() throws {
            guard let ip = IPv4Address(address) else { throw CleanExit.message("error: \(address) is not an IPv4 address", code: 1) }
            let (network, gateway) = try poolNetwork(state: state, config: config)
            guard network.contains(ip), ip != gateway, ip != network.address, ip != network.broadcast else {
                throw CleanExit.message(
                    "error: \(address) is outside the pool \(network) (or is its gateway, network or broadcast address)", code: 1)
            }
            let store = try state.open()
            try storeCall { try store.reserve(user: user, address: "\(ip)") }
            print("reserved \(ip) for \(user)")
            state.notifyDaemon()
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the reservation of an address.")
        @OptionGroup var state: StateOptions
        @Argument var address: String

        func run() throws {
            let store = try state.open()
            guard try storeCall({ try store.releaseReservation(address: address) }) else {
                throw CleanExit.message("error: \(address) is not reserved", code: 1)
            }
            print("released the reservation of \(address)")
            state.notifyDaemon()
        }
    }
}

/// The pool's network and gateway: from the running sstpd, else from its configuration file.
func poolNetwork(state: StateOptions, config: String?) throws -> (IPv4Network, IPv4Address) {
    if FileManager.default.fileExists(atPath: state.control.socketPath),
        let pool = try? ControlClient.send(ControlRequest(op: .pool), socketPath: state.control.socketPath).pool,
        let network = IPv4Network(pool.network), let gateway = IPv4Address(pool.gateway)
    {
        return (network, gateway)
    }
    guard let config else {
        throw CleanExit.message("error: sstpd is not running; give --config to check the address against its pool", code: 1)
    }
    do {
        let configuration = try ConfigurationFile.load(path: config).resolvingTopology()
        let (network, gateway) = try configuration.validate()
        return (network, gateway)
    } catch {
        throw CleanExit.message("error: \(error)", code: 1)
    }
}
