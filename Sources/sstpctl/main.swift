import ArgumentParser
import Foundation

/// `sstpctl`: the administrator's command line for the SSTP gateway.
struct SSTPCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sstpctl",
        abstract: "Administer the sstpd SSTP VPN gateway.",
        subcommands: [UserCommand.self, VNetCommand.self, CACommand.self, CertCommand.self, CRLCommand.self,
            ClientPackageCommand.self, StatusCommand.self, SessionsCommand.self, PoolCommand.self, ReloadCommand.self,
            AccountingCommand.self,
        ]
    )
}

do {
    var command = try SSTPCtl.parseAsRoot()
    try command.run()
} catch CleanExit.message(let text, let code) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
    exit(code)
} catch {
    SSTPCtl.exit(withError: error)
}
