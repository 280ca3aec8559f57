import AddressPool
import Foundation
import VirtualNetwork

/// Builds a `Topology` out of Linux network namespaces, bridges, veth pairs and routes (the layout is documented on
/// `NetworkPlan` and in docs/vnet.md), starts the echo services in the VMs, and takes it all down again. Needs root.
///
/// - `up` is idempotent: when the recorded state (`VNetState`) matches the plan and every piece is still there, it
///   does nothing; otherwise it removes what an earlier `up` recorded and builds the plan from scratch (that is also
///   how a changed topology, say a removed peering, takes effect). A failed `up` removes what it built.
/// - The gateway namespace may exist already (made by the caller, sstpd inside it): `up` only adds its leg and
///   routes, and `down` removes only those; if `up` created it, `down` deletes it.
/// - Echo servers are `<sstpctl> vnet echo-server` processes started with `ip netns exec`; their process ids are
///   recorded in the state directory so `down` stops them.
public struct VNetBuilder: Sendable {
    /// Where state directories live: `<root>/<gateway namespace>/`.
    public static let defaultStateRoot = "/run/sstp-vnet"

    public enum UpResult: Equatable, Sendable {
        /// The topology was built (or rebuilt).
        case built
        /// Exactly this topology was already up; nothing changed.
        case alreadyUp
    }

    public let stateRoot: String
    /// The `sstpctl` executable, run inside namespaces for `vnet echo-server` and `vnet echo-check`.
    public let sstpctlPath: String
    /// How long `up` waits for the echo servers to listen.
    public let echoStartTimeout: TimeInterval

    public init(stateRoot: String = Self.defaultStateRoot, sstpctlPath: String, echoStartTimeout: TimeInterval = 5) {
        self.stateRoot = stateRoot
        self.sstpctlPath = sstpctlPath
        self.echoStartTimeout = echoStartTimeout
    }

    /// The state directory of a topology.
    public func stateDirectory(_ topology: Topology) -> String {
        VNetState.directory(root: stateRoot, gatewayNamespace: topology.gateway.namespace)
    }

    // MARK: - up

    /// Builds `topology` (see the type's documentation for idempotence).
    @discardableResult
    public func up(_ topology: Topology) throws -> UpResult {
        let plan = NetworkPlan(topology)
        let directory = stateDirectory(topology)
        let previous = VNetState.load(directory: directory)
        if let previous, previous.plan == plan.lines, try isIntact(previous, gatewayNamespace: plan.gatewayNamespace) {
            return .alreadyUp
        }
        var gatewayCreated = false
        if let previous {
            tearDown(previous, gatewayNamespace: plan.gatewayNamespace, keepGateway: true)
            gatewayCreated = previous.gatewayCreated
        }
        // Leftovers of a lost state directory: our namespaces are named after the gateway namespace.
        let existing = try Shell.namespaces()
        removeLeftovers(plan, existing: existing)
        if !existing.contains(plan.gatewayNamespace) {
            try Shell.check(["ip", "netns", "add", plan.gatewayNamespace])
            gatewayCreated = true
        }

        var state = VNetState(
            plan: plan.lines, namespaces: plan.namespaces.map(\.name), gatewayCreated: gatewayCreated,
            gatewayLinks: plan.veths.filter { $0.b.namespace == plan.gatewayNamespace }.map(\.b.name), pids: [])
        try state.save(directory: directory)
        do {
            try build(plan)
            try startEchoServers(plan, state: &state, directory: directory)
        } catch {
            tearDown(state, gatewayNamespace: plan.gatewayNamespace, keepGateway: false)
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        return .built
    }

    private func build(_ plan: NetworkPlan) throws {
        var commands: [[String]] = []
        let gw = plan.gatewayNamespace
        commands.append(["ip", "-n", gw, "link", "set", "lo", "up"])
        commands.append(["ip", "netns", "exec", gw, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
        for ns in plan.namespaces {
            commands.append(["ip", "netns", "add", ns.name])
            commands.append(["ip", "-n", ns.name, "link", "set", "lo", "up"])
            if ns.forwarding {
                commands.append(["ip", "netns", "exec", ns.name, "sysctl", "-qw", "net.ipv4.ip_forward=1"])
            }
        }
        for bridge in plan.bridges {
            commands.append(["ip", "-n", bridge.namespace, "link", "add", bridge.name, "type", "bridge"])
            commands.append([
                "ip", "-n", bridge.namespace, "addr", "add", bridge.address.description, "dev", bridge.name,
            ])
            commands.append(["ip", "-n", bridge.namespace, "link", "set", bridge.name, "up"])
        }
        for veth in plan.veths {
            commands.append([
                "ip", "-n", veth.a.namespace, "link", "add", veth.a.name, "type", "veth",
                "peer", "name", veth.b.name, "netns", veth.b.namespace,
            ])
            for end in [veth.a, veth.b] {
                if let master = end.master {
                    commands.append(["ip", "-n", end.namespace, "link", "set", end.name, "master", master])
                }
                if let address = end.address {
                    commands.append(["ip", "-n", end.namespace, "addr", "add", address.description, "dev", end.name])
                }
                commands.append(["ip", "-n", end.namespace, "link", "set", end.name, "up"])
            }
        }
        for route in plan.routes {
            commands.append([
                "ip", "-n", route.namespace, "route", "replace", route.destination.map(\.description) ?? "default",
                "via", route.gateway.description, "dev", route.device,
            ])
        }
        try Shell.script(commands, stopOnError: true)
    }

    private func startEchoServers(_ plan: NetworkPlan, state: inout VNetState, directory: String) throws {
        var readyFiles: [String] = []
        for echo in plan.echoServers {
            let ready = "\(directory)/ready-\(echo.vm)"
            try? FileManager.default.removeItem(atPath: ready)
            var argv = [
                "ip", "netns", "exec", echo.namespace, sstpctlPath, "vnet", "echo-server", "--ready-file", ready,
            ]
            argv += echo.tcpPort.map { ["--tcp-port", String($0)] } ?? ["--no-tcp"]
            argv += echo.udpPort.map { ["--udp-port", String($0)] } ?? ["--no-udp"]
            let pid = try Shell.spawn(argv, logPath: "\(directory)/echo-\(echo.vm).log")
            state.pids.append((pid, echo.namespace))
            try state.save(directory: directory)
            readyFiles.append(ready)
        }
        // The servers write their ready file once both sockets listen.
        let deadline = Date().addingTimeInterval(echoStartTimeout)
        for file in readyFiles {
            while !FileManager.default.fileExists(atPath: file) {
                guard Date() < deadline else {
                    throw VNetBuilderError("the echo server for \(file) did not start (see its echo-*.log)")
                }
                usleep(10_000)
            }
        }
    }

    /// Whether every recorded piece still exists: namespaces, the gateway's links and the echo servers.
    private func isIntact(_ state: VNetState, gatewayNamespace: String) throws -> Bool {
        let existing = try Shell.namespaces()
        guard existing.contains(gatewayNamespace), state.namespaces.allSatisfy(existing.contains) else { return false }
        for link in state.gatewayLinks {
            guard (try? Shell.check(["ip", "-n", gatewayNamespace, "link", "show", link])) != nil else { return false }
        }
        return state.pids.allSatisfy { Self.isEchoServer($0.pid) }
    }

    // MARK: - down

    /// Removes everything `up` recorded for `topology`'s gateway namespace (and, should the record be lost, the
    /// namespaces the plan names), then the state directory. Removing what is already gone is not an error.
    public func down(_ topology: Topology) throws {
        let plan = NetworkPlan(topology)
        let directory = stateDirectory(topology)
        if let state = VNetState.load(directory: directory) {
            tearDown(state, gatewayNamespace: plan.gatewayNamespace, keepGateway: false)
        }
        removeLeftovers(plan, existing: try Shell.namespaces())
        do {
            if FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.removeItem(atPath: directory)
            }
        } catch {
            throw VNetBuilderError("cannot remove \(directory): \(error)")
        }
    }

    /// Stops the recorded echo servers, deletes the recorded namespaces (which deletes their veths, bridges and
    /// routes with them), and the gateway's links (with their routes) or, if `up` created it and `keepGateway` is
    /// false, the gateway namespace.
    private func tearDown(_ state: VNetState, gatewayNamespace: String, keepGateway: Bool) {
        for (pid, _) in state.pids where Self.isEchoServer(pid) {
            kill(pid, SIGTERM)
        }
        for (pid, _) in state.pids {
            Self.waitForExit(pid)
        }
        var commands = state.namespaces.flatMap(Self.removeNamespace)
        if state.gatewayCreated && !keepGateway {
            commands.append(["ip", "netns", "del", gatewayNamespace])
        } else {
            commands += state.gatewayLinks.map { ["ip", "-n", gatewayNamespace, "link", "del", $0] }
        }
        try? Shell.script(commands, stopOnError: false)
    }

    /// Removes pieces of `plan` that exist without a record (a lost or stale state directory): namespaces are found
    /// by their names, which derive from the gateway namespace.
    private func removeLeftovers(_ plan: NetworkPlan, existing: Set<String>) {
        var commands = plan.namespaces.filter { existing.contains($0.name) }.flatMap { Self.removeNamespace($0.name) }
        if existing.contains(plan.gatewayNamespace) {
            commands += plan.veths.filter { $0.b.namespace == plan.gatewayNamespace }.map {
                ["ip", "-n", plan.gatewayNamespace, "link", "del", $0.b.name]
            }
        }
        try? Shell.script(commands, stopOnError: false)
    }

    /// Commands that kill whatever still runs in one of our namespaces (an echo server whose id was not recorded;
    /// it keeps no state), so the namespace really goes away, then delete it (with its bridges, veths and routes).
    private static func removeNamespace(_ ns: String) -> [[String]] {
        [
            ["sh", "-c", "ip netns pids \"$0\" | xargs -r kill -KILL", ns],
            ["ip", "netns", "del", ns],
        ]
    }

    /// Whether `pid` is a running `vnet echo-server` (and not a recycled process id).
    static func isEchoServer(_ pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        return text.contains("vnet echo-server")
    }

    /// Waits up to a second for `pid` to exit, then kills it.
    private static func waitForExit(_ pid: Int32) {
        for _ in 0..<100 {
            if !isRunning(pid) { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
    }

    private static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // A zombie (state Z) has exited; its parent reaps it.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }
}
