import ArgumentParser

/// `sstpctl`: the administrator's command line for the SSTP gateway.
struct SSTPCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sstpctl",
        abstract: "Administer the sstpd SSTP VPN gateway.",
        subcommands: [UserCommand.self, VNetCommand.self, CACommand.self, CertCommand.self, CRLCommand.self,
            ClientPackageCommand.self,
        ]
    )
}

SSTPCtl.main()
