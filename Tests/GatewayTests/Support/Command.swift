import Foundation

/// Reads `handle` to end of file with read(2), retrying EINTR. Foundation's `readDataToEndOfFile()` traps on any
/// read error (EINTR included: a trap seen in a full test run), which takes the whole test process down.
func readToEndOfFile(_ handle: FileHandle) -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    let fd = handle.fileDescriptor
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            data.append(contentsOf: buffer[0..<count])
        } else if count < 0 && errno == EINTR {
            continue
        } else {
            return data
        }
    }
}

/// Runs external commands for the system tests (ip, the built sstpd/sstp-dial binaries).
enum Command {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `argv` to completion; throws with its output if it exits non-zero.
    @discardableResult
    static func run(_ argv: [String], allowFailure: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = readToEndOfFile(pipe.fileHandleForReading)
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if process.terminationStatus != 0 && !allowFailure {
            throw Failure(description: "\(argv.joined(separator: " ")) exited \(process.terminationStatus): \(output)")
        }
        return output
    }

    /// Directory holding the built executables (next to the test bundle).
    static var productsDirectory: URL {
        let bundle = Bundle.main.bundleURL
        // swift test runs <products>/sstp-gatewayPackageTests.xctest; the executables are siblings.
        var url = bundle
        while url.pathComponents.count > 1 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("sstpd").path) { return url }
            url.deleteLastPathComponent()
        }
        return bundle.deletingLastPathComponent()
    }

    static func executable(_ name: String) -> String {
        productsDirectory.appendingPathComponent(name).path
    }

    /// The package root (for fixtures).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// A long-running child process whose output is read line by line, so tests can wait for a marker instead of
/// sleeping.
///
/// The output is read by a dedicated thread with read(2), not with `FileHandle.readabilityHandler`: on Linux,
/// `availableData` traps on a read error and readability handlers on many pipes have crashed libdispatch
/// (swift-corelibs-foundation issue 3276); a trap takes the whole test process down.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private var lines: [String] = []
    private var partial = ""
    private let condition = NSCondition()
    private var ended = false

    init(_ argv: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.terminationHandler = { [weak self] _ in
            guard let self else { return }
            self.condition.lock()
            self.exited = true
            self.condition.broadcast()
            self.condition.unlock()
        }
        try process.run()
        // Foundation closed our copy of the write end in run(), so the reader sees EOF when the child's copies close.
        let reader = pipe.fileHandleForReading
        let thread = Thread { [weak self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(reader.fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                guard let self else { continue }  // nobody waits any more: drain until EOF so the child never blocks
                self.condition.lock()
                self.partial += String(decoding: buffer[..<count], as: UTF8.self)
                while let newline = self.partial.firstIndex(of: "\n") {
                    self.lines.append(String(self.partial[..<newline]))
                    self.partial = String(self.partial[self.partial.index(after: newline)...])
                }
                self.condition.broadcast()
                self.condition.unlock()
            }
            try? reader.close()
            guard let self else { return }
            self.condition.lock()
            self.ended = true
            self.condition.broadcast()
            self.condition.unlock()
        }
        thread.name = "child-output"
        thread.start()
    }

    private var exited = false

    /// All output lines so far.
    var output: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines + (partial.isEmpty ? [] : [partial])
    }

    /// Waits until a line contains `marker`, the process ends, or `timeout` passes. Returns the matching line.
    func waitForLine(containing marker: String, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = lines.first(where: { $0.contains(marker) }) { return line }
            if ended || Date() >= deadline { return nil }
            _ = condition.wait(until: deadline)
        }
    }

    /// Waits until a line after the first `index` lines contains `marker` (bounded, as above).
    func waitForLine(containing marker: String, after index: Int, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let line = lines.dropFirst(index).first(where: { $0.contains(marker) }) { return line }
            if ended || Date() >= deadline { return nil }
            _ = condition.wait(until: deadline)
        }
    }

    /// Waits for exit (bounded) and returns the status; kills the process if it does not exit in time.
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        while !exited && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
        condition.unlock()
        if process.isRunning {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
    }
}
