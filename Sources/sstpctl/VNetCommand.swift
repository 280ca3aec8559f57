import AddressPool
import ArgumentParser
import Foundation
import VNetBuilder
import VirtualNetwork

/// A refused or unreadable topology file (printed as "Error: FILE: entry: problem", without the usage text).
struct TopologyFileError: Error, CustomStringConvertible {
    let description: String
}

/// `sstpctl vnet`: the simulated virtual network (docs/vnet.md).
struct VNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vnet",
        abstract: "Build, inspect and remove a simulated virtual network (VNets, subnets, VMs, peerings).",
        subcommands: [Up.self, Down.self, Status.self, Check.self, EchoServerCommand.self, EchoCheck.self]
    )

    struct TopologyOptions: ParsableArguments {
        @Argument(help: "The topology file (TOML, see docs/vnet.md).") var file: String
        @Option(name: .customLong("state-dir"), help: "Where up records what it built.")
        var stateRoot: String = VNetBuilder.defaultStateRoot

        func load() throws -> Topology {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw TopologyFileError(description: "\(file): cannot read the file")
            }
            do {
                return try TopologyFile.parse(text)
            } catch {
                throw TopologyFileError(description: "\(file): \(error)")
            }
        }

        func builder() -> VNetBuilder {
            let me =
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
            return VNetBuilder(stateRoot: stateRoot, sstpctlPath: me)
        }
    }

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate the topology, then build it (idempotent: an identical topology already up is left alone).")
        @OptionGroup var options: TopologyOptions

        func run() throws {
            let topology = try options.load()
            switch try options.builder().up(topology) {
            case .built:
                print("vnet up: \(topology.vnets.count) vnets, gateway namespace \(topology.gateway.namespace)")
            case .alreadyUp: print("vnet already up: gateway namespace \(topology.gateway.namespace)")
            }
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove everything up built for this topology.")
        @OptionGroup var options: TopologyOptions

        func run() throws {
            let topology = try options.load()
            try options.builder().down(topology)
            print("vnet down: gateway namespace \(topology.gateway.namespace)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List VNets, subnets and VMs, and check each VM from the gateway namespace.")
        @OptionGroup var options: TopologyOptions
        @Flag(help: "Only ping; skip the TCP and UDP echo checks.") var pingOnly = false

        func run() throws {
            let status = try options.builder().status(try options.load(), checkEcho: !pingOnly)
            print(status.text)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the topology without building it; print the client routes (and the plan).")
        @OptionGroup var options: TopologyOptions
        @Flag(help: "Also print the namespaces, links and routes up would create.") var plan = false

        func run() throws {
            let topology = try options.load()
            print("topology ok")
            print("routes for clients: " + topology.routesForClients().map(\.description).joined(separator: ", "))
            if plan {
                for line in NetworkPlan(topology).lines { print(line) }
            }
        }
    }

    struct EchoServerCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "echo-server",
            abstract: "Serve TCP and UDP echo (RFC 862) until killed (vnet up runs it in each VM namespace).")
        @Option(help: "TCP echo port.") var tcpPort = Service.echoPort
        @Option(help: "UDP echo port.") var udpPort = Service.echoPort
        @Flag(help: "No TCP echo.") var noTcp = false
        @Flag(help: "No UDP echo.") var noUdp = false
        @Option(help: "A file to write (with the process id) once the ports listen.") var readyFile: String?

        func run() throws {
            try EchoServer.run(tcpPort: noTcp ? nil : tcpPort, udpPort: noUdp ? nil : udpPort, readyFile: readyFile)
        }
    }

    struct EchoCheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "echo-check", abstract: "Check an echo server: exits 0 when every requested echo came back.")
        @Argument(help: "The server's IPv4 address.") var address: String
        @Option(help: "TCP echo port.") var tcpPort = Service.echoPort
        @Option(help: "UDP echo port.") var udpPort = Service.echoPort
        @Flag(help: "Skip the TCP check.") var noTcp = false
        @Flag(help: "Skip the UDP check.") var noUdp = false
        @Option(help: "Seconds to wait for each answer.") var timeout = 1

        func run() throws {
            guard IPv4Address(address) != nil else { throw ValidationError("\(address) is not an IPv4 address") }
            let payload = Array("sstpctl echo-check \(getpid())\n".utf8)
            var failed = false
            if !noTcp {
                let ok = EchoClient.tcp(address: address, port: tcpPort, payload: payload, timeout: timeout)
                print("tcp \(address):\(tcpPort) \(ok ? "ok" : "no echo")")
                failed = failed || !ok
            }
            if !noUdp {
                let ok = EchoClient.udp(address: address, port: udpPort, payload: payload, timeout: timeout)
                print("udp \(address):\(udpPort) \(ok ? "ok" : "no echo")")
                failed = failed || !ok
            }
            if failed { throw ExitCode(1) }
        }
    }
}
