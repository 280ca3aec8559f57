import ArgumentParser
import Foundation
import SSTPServer

/// `--socket`, shared by the commands that talk to a running sstpd.
struct ControlOptions: ParsableArguments {
    @Option(name: .customLong("socket"), help: "sstpd's control socket ([admin] control_socket).")
    var socketPath: String = ServerConfiguration().controlSocket ?? "/run/sstpd/control.sock"

    /// Sends `request`; a refusal becomes the command's error (exit 1) with the daemon's message.
    func send(_ request: ControlRequest) throws -> ControlResponse {
        let response: ControlResponse
        do {
            response = try ControlClient.send(request, socketPath: socketPath)
        } catch {
            throw CleanExit.message("error: \(error)", code: 69)  // EX_UNAVAILABLE
        }
        if !response.ok {
            throw CleanExit.message("error: \(response.error?.message ?? "refused")", code: 1)
        }
        return response
    }
}

/// Exits with a message on standard error and a code, without ArgumentParser's usage text.
enum CleanExit: Error {
    case message(String, code: Int32)
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Formats rows as a left-aligned table with a header.
func table(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

func formatDuration(_ seconds: Double) -> String {
    let total = max(0, Int(seconds))
    let (days, hours, minutes, secs) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
    if days > 0 { return "\(days)d\(hours)h" }
    if hours > 0 { return "\(hours)h\(minutes)m" }
    if minutes > 0 { return "\(minutes)m\(secs)s" }
    return "\(secs)s"
}

/// `sstpctl status`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the running gateway: uptime, sessions, pool, counters, lockouts.")
    @OptionGroup var control: ControlOptions
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        guard let status = try control.send(ControlRequest(op: .status)).status else { return }
        if json { return try printJSON(status) }
        let now = Date().timeIntervalSince1970
        print("sstpd \(status.version), pid \(status.pid), up \(formatDuration(now - status.startedAt))")
        print("listening:   \(status.listen)")
        print("sessions:    \(status.sessions) of \(status.maxSessions)")
        print("pool:        \(status.poolUsed) of \(status.poolSize) addresses leased")
        print("auth:        \(status.authMethods.joined(separator: ", "))")
        print("config:      \(status.configurationFile ?? "(flags only)"), loaded \(formatDuration(now - status.loadedAt)) ago")
        if let memory = status.memory {
            let heap = memory.heapInUseBytes.map { inUse in
                ", heap \(formatBytes(inUse)) in use (SQLite \(formatBytes(memory.sqliteBytes ?? 0))),"
                    + " \(formatBytes(memory.heapFreeBytes ?? 0)) free"
            } ?? ""
            print(
                "memory:      \(formatBytes(memory.residentBytes)) resident (anonymous"
                    + " \(formatBytes(memory.residentAnonymousBytes)), files \(formatBytes(memory.residentFileBytes)))\(heap)")
        }
        print("counters:    " + status.counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        if status.lockouts.isEmpty {
            print("lockouts:    none")
        } else {
            print("lockouts:")
            print(
                table(
                    ["SCOPE", "KEY", "FAILURES", "LOCKED FOR"],
                    status.lockouts.map { [$0.scope, $0.key, "\($0.failures)", formatDuration($0.until - now)] }))
        }
    }
}

/// `sstpctl sessions list|kick`.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "List or disconnect live sessions.", subcommands: [List.self, Kick.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live sessions.")
        @OptionGroup var control: ControlOptions
        @Flag(help: "JSON output (an array of objects).") var json = false

        func run() throws {
            let sessions = try control.send(ControlRequest(op: .sessions)).sessions ?? []
            if json { return try printJSON(sessions) }
            let now = Date().timeIntervalSince1970
            print(
                table(
                    ["ID", "USER", "ADDRESS", "PEER", "METHOD", "BINDING", "PHASE", "SINCE", "IN", "OUT"],
                    sessions.map {
                        [
                            "\($0.id)", $0.user ?? "-", $0.address ?? "-", $0.peer, $0.method ?? "-",
                            $0.cryptoBinding ?? "-", $0.phase, formatDuration(now - $0.since),
                            "\(formatBytes($0.bytesIn))/\($0.packetsIn)p", "\(formatBytes($0.bytesOut))/\($0.packetsOut)p",
                        ]
                    }))
        }
    }

    struct Kick: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disconnect a session (Call Disconnect; its address returns to the pool).")
        @OptionGroup var control: ControlOptions
        @Argument(help: "The session id (see sessions list).") var id: UInt64?
        @Option(help: "Disconnect every session of this user instead.") var user: String?

        func validate() throws {
            guard (id == nil) != (user == nil) else { throw ValidationError("give a session ID or --user NAME") }
        }

        func run() throws {
            let response = try control.send(ControlRequest(op: .disconnect, id: id, user: user))
            print("disconnected \(response.disconnected ?? 0) session(s)")
        }
    }
}

/// `sstpctl reload`.
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the configuration, users, reservations and certificates without dropping sessions.")
    @OptionGroup var control: ControlOptions

    func run() throws {
        guard let report = try control.send(ControlRequest(op: .reload)).reload else { return }
        print("reloaded: \(report.applied.isEmpty ? "nothing changed" : report.applied.joined(separator: ", "))")
        if !report.restartRequired.isEmpty {
            print("restart needed for: \(report.restartRequired.joined(separator: ", "))")
        }
    }
}
