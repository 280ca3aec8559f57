import Foundation

/// What `up` created, kept in `<state root>/<gateway namespace>/state` so that `down` (and the next `up`) can
/// remove exactly that, even when the topology file changed in between.
///
/// The file is written before the pieces are created (so a crash part-way leaves a record that `down` can clean up)
/// and one line per item:
///
///     plan <line>              the NetworkPlan lines (whether what is up is exactly the requested plan)
///     namespace <name>         a namespace we created
///     gateway-created          we created the gateway namespace too (down removes it)
///     gateway-link <name>      a link we added to the gateway namespace
///     pid <pid> <namespace>    an echo server we started
struct VNetState: Equatable {
    var plan: [String] = []
    var namespaces: [String] = []
    var gatewayCreated = false
    var gatewayLinks: [String] = []
    var pids: [(pid: Int32, namespace: String)] = []

    static func == (lhs: VNetState, rhs: VNetState) -> Bool {
        lhs.plan == rhs.plan && lhs.namespaces == rhs.namespaces && lhs.gatewayCreated == rhs.gatewayCreated
            && lhs.gatewayLinks == rhs.gatewayLinks && lhs.pids.map(\.pid) == rhs.pids.map(\.pid)
    }

    static func directory(root: String, gatewayNamespace: String) -> String {
        "\(root)/\(gatewayNamespace)"
    }

    static func load(directory: String) -> VNetState? {
        guard let text = try? String(contentsOfFile: "\(directory)/state", encoding: .utf8) else { return nil }
        var state = VNetState()
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard let kind = parts.first else { continue }
            let rest = parts.count > 1 ? parts[1] : ""
            switch kind {
            case "plan": state.plan.append(rest)
            case "namespace": state.namespaces.append(rest)
            case "gateway-created": state.gatewayCreated = true
            case "gateway-link": state.gatewayLinks.append(rest)
            case "pid":
                let fields = rest.split(separator: " ").map(String.init)
                if fields.count == 2, let pid = Int32(fields[0]) { state.pids.append((pid, fields[1])) }
            default: continue
            }
        }
        return state
    }

    func save(directory: String) throws {
        var lines = plan.map { "plan \($0)" }
        lines += namespaces.map { "namespace \($0)" }
        if gatewayCreated { lines.append("gateway-created") }
        lines += gatewayLinks.map { "gateway-link \($0)" }
        lines += pids.map { "pid \($0.pid) \($0.namespace)" }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: "\(directory)/state", atomically: true, encoding: .utf8)
        } catch {
            throw VNetBuilderError("cannot write \(directory)/state: \(error)")
        }
    }
}
