import ArgumentParser
import Foundation
import PPPAuth
import SSTPServer

struct StateOptions: ParsableArguments {
    @Option(name: .customLong("users-file"), help: "The user database (default: the sstpd default).")
    var usersFile: String = ServerConfiguration().usersFile
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage local users (only the NT hash of each password is stored).",
        subcommands: [Add.self, Delete.self, List.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user, or set the password of an existing one.")
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
            var allowed: Set<AuthenticationMethod>?
            if let methods {
                let names = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let parsed = names.compactMap(AuthenticationMethod.init(rawValue:))
                guard !parsed.isEmpty, parsed.count == names.count else {
                    throw ValidationError("--methods: a comma-separated list of mschapv2, eap-tls")
                }
                allowed = Set(parsed)
            }
            var hash: [UInt8]?
            if allowed?.contains(.msCHAPv2) != false {
                let password = try readPassword()
                guard !password.isEmpty else { throw ValidationError("empty password") }
                hash = NTHash.fromPassword(password)
            }
            var database = try UserDatabaseFile.load(path: state.usersFile)
            let existed = database.lookup(name) != nil
            try database.set(UserRecord(name: name, ntPasswordHash: hash, allowedMethods: allowed))
            try UserDatabaseFile.save(database, path: state.usersFile)
            let policy = allowed.map { " (methods: \($0.sorted().map(\.rawValue).joined(separator: ", ")))" } ?? ""
            print((existed ? "updated user \(name)" : "added user \(name)") + policy)
        }

        private func readPassword() throws -> String {
            if passwordStdin {
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
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Delete a user.")
        @OptionGroup var state: StateOptions
        @Argument var name: String

        func run() throws {
            var database = try UserDatabaseFile.load(path: state.usersFile)
            guard database.remove(name) else { throw ValidationError("unknown user \(name)") }
            try UserDatabaseFile.save(database, path: state.usersFile)
            print("deleted user \(name)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var state: StateOptions

        func run() throws {
            for user in try UserDatabaseFile.load(path: state.usersFile).users {
                let methods = user.allowedMethods.map { $0.sorted().map(\.rawValue).joined(separator: ",") } ?? "any"
                print("\(user.name)\tmethods=\(methods)\tpassword=\(user.ntPasswordHash == nil ? "no" : "yes")")
            }
        }
    }
}

