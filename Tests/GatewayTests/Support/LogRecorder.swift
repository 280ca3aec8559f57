import Logging
import NIOConcurrencyHelpers

/// Collects log records so tests can assert that a refusal was logged, and with which reason.
final class LogRecorder: Sendable {
    struct Record: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var description: String { "\(level) \(message) \(metadata.sorted { $0.key < $1.key })" }
    }

    private let records = NIOLockedValueBox<[Record]>([])

    func append(_ record: Record) { records.withLockedValue { $0.append(record) } }

    var all: [Record] { records.withLockedValue { $0 } }

    /// Whether a record has this message and (if given) this metadata value.
    func contains(_ message: String, _ key: String? = nil, _ value: String? = nil) -> Bool {
        all.contains { record in
            record.message == message && (key == nil || record.metadata[key!] == value)
        }
    }
}

/// A log handler writing into a `LogRecorder`.
struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        event.metadata?.forEach { merged[$0.key] = $0.value }
        recorder.append(
            LogRecorder.Record(
                level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}
