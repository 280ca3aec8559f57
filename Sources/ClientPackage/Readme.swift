import Foundation

/// `README.txt`: what each file is, and how to install the connection on each kind of client.
struct Readme {
    let package: ClientPackage
    let routes: [String]
    /// The other files of the package (README.txt itself is described in the text).
    let files: [ClientPackage.File]

    var text: String {
        let p = package
        let eap = p.authenticationMethod == .eapTLS
        let directory = p.linuxInstallDirectory
        let nmFile = "linux/networkmanager/\(p.fileStem).nmconnection"
        var lines = [
            "SSTP VPN client package: \(p.connectionName)",
            "",
            "Server:          \(p.serverAddress)  (the server certificate must name \(p.serverHost))",
            "User:            \(p.userName)",
            "Authentication:  "
                + (eap ? "EAP-TLS, with the client certificate in \(p.pkcs12FileName)" : "MS-CHAPv2 (user name and password)"),
            "Routes:          "
                + (p.isSplitTunnel ? routes.joined(separator: ", ") + " (split tunnel)" : "everything (full tunnel)"),
        ]
        if let suffix = p.dnsSuffix { lines.append("DNS suffix:      \(suffix)") }
        lines += [
            "",
            "Secrets: this package holds no password.",
            eap
                ? "\(p.pkcs12FileName) is encrypted with the password you were given separately; every script asks for it."
                : "Every script asks for your password when it runs; none stores it.",
            "",
            "FILES",
            "",
            "  README.txt",
            "      this file",
        ]
        for file in files {
            lines.append("  \(file.path)")
            lines.append("      \(file.summary)")
        }
        lines += [
            "",
            "WINDOWS (10 and later)",
            "",
            "  Unpack the zip, open PowerShell as administrator (as the user who will connect) and run:",
            "      cd <unpacked folder>\\windows",
            "      powershell -ExecutionPolicy Bypass -File .\\install-vpn.ps1",
            "  It imports windows/ca.cer into Trusted Root Certification Authorities (Local Machine)"
                + (eap ? ", imports \(p.pkcs12FileName) into your Personal store" : "") + ",",
            "  creates the connection \"\(p.connectionName)\" (SSTP, "
                + (eap ? "EAP-TLS with your certificate" : "MS-CHAPv2") + ")"
                + (p.isSplitTunnel ? " and adds one route per prefix above." : "."),
            "  Add -AllUsers to create it for every user of the computer. If connecting fails with 0x80092013",
            "  (revocation server offline) and the server certificate has no reachable CRL, -DisableRevocationCheck",
            "  turns the check off for all SSTP connections (lab use only).",
            "",
            "LINUX: NETWORKMANAGER (package network-manager-sstp)",
            "",
            "  sudo install -d -m 0700 \(directory)",
            "  sudo install -m 0644 ca.pem \(directory)/ca.pem",
        ]
        if eap { lines.append("  sudo install -m 0600 \(p.pkcs12FileName) \(directory)/\(p.pkcs12FileName)") }
        lines += [
            "  sudo install -m 0600 \(nmFile) /etc/NetworkManager/system-connections/",
            "  sudo nmcli connection reload",
            "  nmcli --ask connection up \(Quote.shell(p.connectionName))",
            eap
                ? "  NetworkManager asks for the password of \(p.pkcs12FileName) at each connection (never stored)."
                : "  NetworkManager asks for the password at each connection (never stored).",
        ]
        if eap {
            lines += [
                "  The plugin hands the PKCS#12 file to pppd, which reads it from pppd 2.5 on. With an older pppd",
                "  (e.g. Debian 12), make the PEM files as in the next section, copy them to \(directory)/ and point",
                "  tls-user-cert and tls-user-key in the keyfile at them.",
            ]
        }
        lines += [
            "",
            "LINUX: SSTPC (packages sstp-client and ppp)",
            "",
        ]
        if eap {
            lines += [
                "  pppd before 2.5 cannot read PKCS#12, so first make a certificate and an encrypted key from it:",
                "      openssl pkcs12 -in \(p.pkcs12FileName) -clcerts -nokeys -out \(p.userFileStem)-cert.pem",
                "      openssl pkcs12 -in \(p.pkcs12FileName) -nocerts -out \(p.userFileStem)-key.pem",
                "  (the second command asks for the PKCS#12 password, then for a new pass phrase for the key). Then:",
            ]
        }
        lines += [
            "      sudo sh linux/sstpc.sh",
            "  It runs sstpc with --ca-cert ca.pem, asks for the "
                + (eap ? "key's pass phrase" : "password") + ", brings up the PPP interface (IFNAME, default sstp0)",
            "  and adds the routes; Ctrl-C disconnects.",
            "",
            "LINUX: SSTP-DIAL (this project's userspace client, no kernel PPP needed)",
            "",
            "      sudo sh sstp-dial/\(p.fileStem).sh",
            "      sudo sh sstp-dial/\(p.fileStem).sh --check --ping <address in the VPN>",
        ]
        if eap {
            lines.append("  It asks for the password of \(p.pkcs12FileName), or reads it from the file named by P12_PASSWORD_FILE.")
        } else {
            lines.append("  It asks for the password, or reads it from the first line of standard input.")
        }
        if !p.isSplitTunnel {
            lines.append("  sstp-dial has no full-tunnel mode: it routes only the prefixes the server pushes.")
        }
        lines += [
            "",
            "If the server's routes change, ask for a new package: the routes are part of it.",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
