import ClientPackage
import Dispatch
import Foundation
import PKI

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = (NSTemporaryDirectory() as NSString).appendingPathComponent("client-package-tests.XXXXXX")
        var template = Array(base.utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestFailure("mkdtemp failed")
        }
        self.path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ bytes: [UInt8], _ name: String, mode: Int = 0o644) throws -> String {
        let target = file(name)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target)
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Exit status and output of a child process.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
    var succeeded: Bool { status == 0 }
}

/// Runs `executable` with `arguments`, feeding `input` on standard input; never through a shell.
func run(
    _ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String]? = nil,
    directory: String? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    if let input { try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    let errorData = LockedData()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errorData.set(((try? stderr.fileHandleForReading.readToEnd()) ?? Data()))
        group.leave()
    }
    let outputData = ((try? stdout.fileHandleForReading.readToEnd()) ?? Data())
    group.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
        stderr: String(decoding: errorData.get(), as: UTF8.self))
}

/// A `Data` shared between the reading thread and the caller.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}

/// The first of `candidates` that exists and is executable.
func tool(_ candidates: String...) -> String? {
    candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

let python3 = tool("/usr/bin/python3", "/usr/local/bin/python3", "/root/.pyenv/shims/python3")
let opensslTool = tool("/usr/bin/openssl", "/usr/local/bin/openssl")

/// Runs a Python 3 program (`-c`) with `arguments` in `sys.argv[1:]`.
func python(_ program: String, _ arguments: [String] = []) throws -> ProcessResult {
    guard let python3 else { throw TestFailure("python3 is needed") }
    return try run(python3, ["-c", program] + arguments)
}

/// A real CA and client certificate, issued with PKI into a temporary directory.
struct IssuedClient {
    let directory: TemporaryDirectory
    let store: PKIStore
    let caPEM: String
    let pkcs12: [UInt8]

    init(name: String, pkcs12Password: String) throws {
        directory = try TemporaryDirectory()
        store = PKIStore(directory: directory.file("pki"))
        try store.initializeCA(algorithm: .ecdsaP256)
        let issued = try store.issueClient(name: name, pkcs12Password: pkcs12Password, days: 30)
        caPEM = try String(contentsOfFile: store.caCertificatePath, encoding: .utf8)
        pkcs12 = Array(try Data(contentsOf: URL(fileURLWithPath: try requireValue(issued.pkcs12Path))))
    }
}

/// Unwraps or throws (usable outside `#require`'s test context).
func requireValue<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw TestFailure("missing \(what)") }
    return value
}

/// The packages used by most tests: distinctive strings make leaks easy to find.
enum Fixture {
    static let userPassword = "Zq7-user-PASSWORD-never-in-package"
    static let pkcs12Password = "Wx9-p12-PASSWORD-never-in-package"
    static let host = "vpn.example.test"
    static let routes = ["10.1.0.0/16", "10.2.0.0/24", "192.168.50.0/24"]

    static func msCHAPv2(caPEM: String, port: Int = 443, routes: [String] = routes) -> ClientPackage {
        ClientPackage(
            connectionName: "Example VPN", serverHost: host, port: port, userName: "alice",
            authenticationMethod: .mschapv2, routes: routes, dnsSuffix: "corp.example.test", caCertificatePEM: caPEM)
    }

    static func eapTLS(_ client: IssuedClient, port: Int = 8443, routes: [String] = routes) -> ClientPackage {
        ClientPackage(
            connectionName: "Example VPN (certificate)", serverHost: host, port: port, userName: "bob",
            authenticationMethod: .eapTLS, routes: routes, dnsSuffix: nil, caCertificatePEM: client.caPEM,
            clientPKCS12: client.pkcs12)
    }
}

extension ClientPackage {
    /// The file at `path`, as text.
    func text(_ path: String) throws -> String {
        let file = try requireValue(try files().first { $0.path == path }, path)
        return String(decoding: file.contents, as: UTF8.self)
    }
}

