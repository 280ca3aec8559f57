import Foundation
import VNetBuilder
import VirtualNetwork

/// Helpers for the root-only tests that build real namespaces.
enum System {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `argv`; returns its status and combined output.
    @discardableResult
    static func run(_ argv: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = ((try? pipe.fileHandleForReading.readToEnd()) ?? Data())
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func check(_ argv: [String]) throws -> String {
        let (status, output) = try run(argv)
        guard status == 0 else {
            throw Failure(description: "\(argv.joined(separator: " ")) exited \(status): \(output)")
        }
        return output
    }

    /// `ip netns list`, names only.
    /// The namespaces whose names start with `prefix` (a test's gateway name): other system tests run in parallel
    /// and make namespaces of their own.
    static func namespaces(_ prefix: String) throws -> Set<String> {
        try namespaces().filter { $0.hasPrefix(prefix) }
    }

    /// The root namespace's links named by VNetBuilder's scheme (InterfaceName), ignoring other tests' links.
    static func builderLinks() throws -> Set<String> {
        try links().filter { name in ["br-", "vm-", "gw-", "pr-", "vn-"].contains { name.hasPrefix($0) } }
    }

    static func namespaces() throws -> Set<String> {
        Set(
            try check(["ip", "netns", "list"]).split(separator: "\n").compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
    }

    /// The interface names of a namespace (nil: the root namespace).
    static func links(in ns: String? = nil) throws -> Set<String> {
        let argv = (ns.map { ["ip", "-n", $0] } ?? ["ip"]) + ["-o", "link", "show"]
        return Set(
            try check(argv).split(separator: "\n").compactMap { line in
                let fields = line.split(separator: ":")
                guard fields.count > 1 else { return nil }
                return fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init)
            })
    }

    /// The built `sstpctl` (a sibling of the test bundle in the products directory).
    static var sstpctl: String {
        var url = Bundle.main.bundleURL
        while url.pathComponents.count > 1 {
            let candidate = url.appendingPathComponent("sstpctl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            url.deleteLastPathComponent()
        }
        return "sstpctl"
    }

    /// Echo servers still running whose ready file lies under `directory` (ours, started for one test).
    static func echoServers(under directory: String) throws -> [String] {
        try run(["pgrep", "-af", "vnet echo-server --ready-file \(directory)/"]).output.split(separator: "\n").map(
            String.init)
    }

    /// A name no other test (or run) uses.
    static func uniqueName(_ tag: String) -> String {
        "vt\(tag)\(getpid() % 100000)"
    }

    /// A builder with a private state directory.
    static func builder(_ tag: String) -> VNetBuilder {
        VNetBuilder(stateRoot: NSTemporaryDirectory() + "sstp-vnet-test-\(getpid())-\(tag)", sstpctlPath: sstpctl)
    }
}
