import Foundation

/// Runs the system tools the builder drives (`ip`, `sysctl`) and reports failures with their output.
enum Shell {
    /// Runs `argv` (looked up on PATH) to completion; returns the exit status and combined output.
    @discardableResult
    static func run(_ argv: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw VNetBuilderError("cannot run \(argv.first ?? "?"): \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs `argv` and throws if it fails.
    @discardableResult
    static func check(_ argv: [String]) throws -> String {
        let (status, output) = try run(argv)
        guard status == 0 else {
            let detail = output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw VNetBuilderError("\(argv.joined(separator: " ")) exited \(status): \(detail)")
        }
        return output
    }

    /// Runs many commands in one `sh` (spawning a process from Swift costs tens of milliseconds; `ip` itself a
    /// few). With `stopOnError`, the first failing command stops the script and is named in the thrown error;
    /// otherwise failures are ignored (teardown).
    static func script(_ commands: [[String]], stopOnError: Bool) throws {
        guard !commands.isEmpty else { return }
        var text = ""
        for argv in commands {
            let line = argv.map(quote).joined(separator: " ")
            if stopOnError {
                text += "\(line) || { echo \(quote("failed: " + argv.joined(separator: " "))) >&2; exit 1; }\n"
            } else {
                text += "\(line) >/dev/null 2>&1 || true\n"
            }
        }
        let (status, output) = try run(["sh", "-c", text])
        guard status == 0 else {
            throw VNetBuilderError(output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// `text` as one single-quoted shell word.
    static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Starts `argv` in the background with its output appended to `logPath`; returns its process id.
    static func spawn(_ argv: [String], logPath: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { throw VNetBuilderError("cannot write \(logPath)") }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw VNetBuilderError("cannot start \(argv.joined(separator: " ")): \(error)")
        }
        return process.processIdentifier
    }

    /// The names in `ip netns list`.
    static func namespaces() throws -> Set<String> {
        let output = try check(["ip", "netns", "list"])
        return Set(output.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
    }
}

/// A failure of the builder: a command that failed, or a state it cannot handle. Names the command or piece.
public struct VNetBuilderError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
