import Foundation
import NIOCore
import PKI
import TLSEngine

/// A fresh temporary directory with a `pki` state directory path inside it (not yet created).
struct Scratch {
    let root: String
    var pkiDirectory: String { root + "/pki" }
    var store: PKIStore { PKIStore(directory: pkiDirectory) }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/pki-tests.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed")
        }
        self.root = String(cString: made)
    }

    func path(_ name: String) -> String { root + "/" + name }

    func write(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// The result of running the openssl CLI.
struct CommandResult {
    let status: Int32
    let output: String
    var succeeded: Bool { status == 0 }
}

/// Runs `openssl ARGS` and returns its exit status and combined stdout and stderr.
func openssl(_ arguments: [String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = ((try? pipe.fileHandleForReading.readToEnd()) ?? Data())
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

/// The permission bits of `path`.
func mode(_ path: String) -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o7777
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - In-memory TLS

@discardableResult
func pump(_ from: TLSConnection, _ to: TLSConnection) -> Int {
    guard var bytes = from.takeCiphertext() else { return 0 }
    let count = bytes.readableBytes
    to.feedCiphertext(&bytes)
    return count
}

/// Runs a handshake in memory until both sides finish or one fails; `true` when both completed.
func handshakeSucceeds(client: TLSConnection, server: TLSConnection) -> Bool {
    _ = client.drive()
    for _ in 0..<10 {
        pump(client, server)
        let serverState = server.drive()
        pump(server, client)
        let clientState = client.drive()
        pump(client, server)
        _ = server.drive()
        switch (clientState, serverState) {
        case (.complete, .complete): return true
        case (.failed, _), (_, .failed): return false
        default: continue
        }
    }
    return false
}
