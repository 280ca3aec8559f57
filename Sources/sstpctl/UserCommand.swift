import ArgumentParser
import Foundation
import GatewayStore
import PPPAuth
import SSTPServer

/// `--state`: the SQLite state store sstpd uses (`[state] database`), plus the control socket to tell a running
/// sstpd about a change.
struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state"), help: "The state store ([state] database).")
    var database: String = ServerConfiguration().stateDatabase
    @OptionGroup var control: ControlOptions

    func open() throws -> GatewayStore {
        do {
            return try GatewayStore(path: database)
        } catch {
            throw CleanExit.message("error: \(error)", code: 1)
        }
    }

    /// Asks a running sstpd to reload, so the change applies to the next connection; says so either way.
    func notifyDaemon() {
        guard FileManager.default.fileExists(atPath: control.socketPath) else {
            print("(sstpd is not running here: the change applies when it starts)")
            return
        }
        do {
            let response = try ControlClient.send(ControlRequest(op: .reload), socketPath: control.socketPath)
            if response.ok {
                print("sstpd reloaded")
            } else {
                print("warning: sstpd did not reload: \(response.error?.message ?? "?") (the change applies at its next reload)")
            }
        } catch {
            print("warning: \(error) (the change applies at sstpd's next reload or start)")
        }
    }
}

/// Turns store errors into clean exits with the message.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as GatewayStoreError {
        throw CleanExit.message("error: \(error)", code: 1)
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage users in the state store (only the NT hash of each password is stored).",
        subcommands: [Add.self, Passwd.self, Delete.self, List.self, Lock.self, Unlock.self, Import.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user, or set the password and methods of an existing one.")
        @OptionGroup var state: StateOptions
        @Argument(help: "The user name (1–64 printable characters, no ':', '\\', '/' or spaces).") var name: String
        @Flag(help: "Read the password from the first line of standard input instead of prompting.")
        var passwordStdin = false
        @Option(
            help: ArgumentHelp(
                "Comma-separated methods this user may use: mschapv2, eap-tls (default: all that [auth] methods allows).",
                discussion: "With only eap-tls no password is asked or stored (a certificate-only user)."))
        var methods: String?

        func run() throws {
            guard UserDatabase.isValidName(name) else { throw ValidationError("invalid user name \(name.debugDescription)") }
            var allowed: [String]?
            if let methods {
                let names = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard !names.isEmpty, names.allSatisfy({ AuthenticationMethodName(rawValue: $0) != nil }) else {
                    throw ValidationError("--methods: a comma-separated list of mschapv2, eap-tls")
                }
                allowed = Array(Set(names)).sorted()
            }
            var hash: [UInt8]?
            if allowed?.contains("mschapv2") != false {
                let password = try readPassword(name: name, stdin: passwordStdin)
                guard !password.isEmpty else { throw ValidationError("empty password") }
                hash = NTHash.fromPassword(password)
            }
            let store = try state.open()
            let existing = try storeCall { try store.user(named: name) }
            try storeCall {
                try store.upsertUser(
                    GatewayStore.User(name: name, ntPasswordHash: hash, allowedMethods: allowed, locked: existing?.locked ?? false))
            }
            let policy = allowed.map { " (methods: \($0.joined(separator: ", ")))" } ?? ""
            print((existing != nil ? "updated user \(name)" : "added user \(name)") + policy)
            state.notifyDaemon()
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password.")
        @OptionGroup var state: StateOptions
        @Argument var name: String
        @Flag(help: "Read the password from the first line of standard input instead of prompting.")
        var passwordStdin = false

        func run() throws {
            let store = try state.open()
            guard var user = try storeCall({ try store.user(named: name) }) else {
                throw CleanExit.message("error: unknown user \(name)", code: 1)
            }
            let password = try readPassword(name: user.name, stdin: passwordStdin)
            guard !password.isEmpty else { throw ValidationError("empty password") }
            user.ntPasswordHash = NTHash.fromPassword(password)
            try storeCall { try store.upsertUser(user) }
            print("password of \(user.name) changed")
            state.notifyDaemon()
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a user (and the user's reservation).")
        @OptionGroup var state: StateOptions
        @Argument var name: String

        func run() throws {
            let store = try state.open()
            guard try storeCall({ try store.deleteUser(name) }) else {
                throw CleanExit.message("error: unknown user \(name)", code: 1)
            }
            print("deleted user \(name)")
            state.notifyDaemon()
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var state: StateOptions
        @Flag(help: "JSON output.") var json = false

        struct Row: Encodable {
            var name: String
            var methods: [String]?
            var password: Bool
            var locked: Bool
            var reservation: String?
        }

        func run() throws {
            let store = try state.open()
            let users = try storeCall { try store.users() }
            let reservations = try storeCall { try store.reservations() }
            let rows = users.map { user in
                Row(
                    name: user.name, methods: user.allowedMethods, password: user.ntPasswordHash != nil, locked: user.locked,
                    reservation: reservations.first { UserDatabase.canonical($0.user) == UserDatabase.canonical(user.name) }?.address)
            }
            if json { return try printJSON(rows) }
            let cells: [[String]] = rows.map { row in
                let methods: String = row.methods?.joined(separator: ",") ?? "any"
                let password: String = row.password ? "yes" : "no"
                let locked: String = row.locked ? "yes" : "no"
                return [row.name, methods, password, locked, row.reservation ?? "-"]
            }
            print(table(["NAME", "METHODS", "PASSWORD", "LOCKED", "RESERVED"], cells))
        }
    }

    struct Lock: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lock a user: no new connection by any method (live sessions stay; kick them with sessions kick).")
        @OptionGroup var state: StateOptions
        @Argument var name: String

        func run() throws {
            let store = try state.open()
            guard try storeCall({ try store.setLocked(name, true) }) else {
                throw CleanExit.message("error: unknown user \(name)", code: 1)
            }
            print("locked \(name)")
            state.notifyDaemon()
        }
    }

    struct Unlock: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unlock a user.")
        @OptionGroup var state: StateOptions
        @Argument var name: String

        func run() throws {
            let store = try state.open()
            guard try storeCall({ try store.setLocked(name, false) }) else {
                throw CleanExit.message("error: unknown user \(name)", code: 1)
            }
            print("unlocked \(name)")
            state.notifyDaemon()
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a legacy users file (NAME:NTHASH[:METHODS] lines) into the state store.")
        @OptionGroup var state: StateOptions
        @Argument(help: "The users file.") var file: String

        func run() throws {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw CleanExit.message("error: cannot read \(file)", code: 1)
            }
            let store = try state.open()
            let count = try storeCall { try store.importUsersFile(text: text) }
            print("imported \(count) user(s) from \(file)")
            state.notifyDaemon()
        }
    }
}

/// Reads a password from standard input (first line) or the terminal (twice).
func readPassword(name: String, stdin: Bool) throws -> String {
    if stdin {
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password on standard input") }
        return line
    }
    guard let first = getpass("Password for \(name): ").map({ String(cString: $0) }) else {
        throw ValidationError("cannot read a password (no terminal?); use --password-stdin")
    }
    guard let second = getpass("Again: ").map({ String(cString: $0) }), second == first else {
        throw ValidationError("the passwords do not match")
    }
    return first
}
