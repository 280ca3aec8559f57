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

        func run() throws {
            guard UserDatabase.isValidName(name) else { throw ValidationError("invalid user name \(name.debugDescription)") }
            let password = try readPassword()
            guard !password.isEmpty else { throw ValidationError("empty password") }
            var database = try UserDatabaseFile.load(path: state.usersFile)
            let existed = database.lookup(name) != nil
            try database.set(UserRecord(name: name, ntPasswordHash: NTHash.fromPassword(password)))
            try UserDatabaseFile.save(database, path: state.usersFile)
            print(existed ? "updated user \(name)" : "added user \(name)")
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
                print(user.name)
            }
        }
    }
}

