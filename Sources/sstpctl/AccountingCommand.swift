import ArgumentParser
import Foundation
import GatewayStore
import SSTPServer

/// `sstpctl accounting`: the per-session accounting records of the state store.
struct AccountingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounting",
        abstract: "Show accounting records: one per session, with start, stop, reason, bytes and packets.")
    @OptionGroup var state: StateOptions
    @Option(help: "Only this user's sessions.") var user: String?
    @Option(help: "Only sessions active at or after this time: ISO 8601 (2026-11-22T10:00:00Z) or an age (90m, 24h, 7d).")
    var since: String?
    @Option(help: "At most this many records (newest first).") var limit: Int = 100
    @Flag(help: "JSON output.") var json = false

    struct Row: Encodable {
        var id: Int64
        var session: String
        var user: String
        var address: String?
        var peer: String
        var method: String
        var cryptoBinding: String?
        var start: Date
        var stop: Date?
        var stopReason: String?
        var bytesIn: Int64
        var bytesOut: Int64
        var packetsIn: Int64
        var packetsOut: Int64
    }

    func run() throws {
        let sinceDate = try since.map(Self.parseSince)
        let store = try state.open()
        let records = try storeCall { try store.accounting(user: user, since: sinceDate, limit: limit) }
        let rows = records.map {
            Row(
                id: $0.id, session: $0.sessionKey, user: $0.user, address: $0.address, peer: $0.peer, method: $0.method,
                cryptoBinding: $0.cryptoBinding, start: $0.start, stop: $0.stop, stopReason: $0.stopReason,
                bytesIn: $0.bytesIn, bytesOut: $0.bytesOut, packetsIn: $0.packetsIn, packetsOut: $0.packetsOut)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        let format = ISO8601DateFormatter()
        let cells: [[String]] = rows.map { row in
            let stop: String = row.stop.map { format.string(from: $0) } ?? "(live)"
            let reason: String = row.stopReason ?? "-"
            let traffic = "\(formatBytes(Int(row.bytesIn)))/\(formatBytes(Int(row.bytesOut)))"
            return [
                "\(row.id)", row.user, row.address ?? "-", row.peer, row.method, format.string(from: row.start), stop,
                reason, traffic,
            ]
        }
        print(table(["ID", "USER", "ADDRESS", "PEER", "METHOD", "START", "STOP", "REASON", "IN/OUT"], cells))
    }

    static func parseSince(_ text: String) throws -> Date {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let unit = text.last, let seconds = units[unit], let value = Double(text.dropLast()), value >= 0 {
            return Date().addingTimeInterval(-value * seconds)
        }
        throw ValidationError("--since: an ISO 8601 time or an age like 90m, 24h, 7d")
    }
}
