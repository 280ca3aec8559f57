// swift-tools-version:6.1
// sstp-gateway: a point-to-site SSTP VPN gateway for Linux.
//
// Layers (imports point one way):
//   1. pure protocol cores   SSTPProtocol, PPPProtocol, PPPAuth, AddressPool, IPPackets, TOML
//   2. thin adapters         CryptoPrimitives, TLSEngine (OpenSSL), TUNDevice, SSTPNIO (NIO handlers)
//   3. composition           SSTPServer, SSTPClient libraries; sstpd, sstpctl, sstp-dial executables
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioConcurrency = Target.Dependency.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let grdbSQLite = Target.Dependency.product(name: "GRDBSQLite", package: "GRDB.swift")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")

let package = Package(
    name: "sstp-gateway",
    products: [
        .executable(name: "sstpd", targets: ["sstpd"]),
        .executable(name: "sstpctl", targets: ["sstpctl"]),
        .executable(name: "sstp-dial", targets: ["sstp-dial"]),
        // Libraries for the fuzzing package in Fuzz/ (docs/fuzzing.md), which depends on this one by path.
        .library(name: "SSTPProtocol", targets: ["SSTPProtocol"]),
        .library(name: "PPPProtocol", targets: ["PPPProtocol"]),
        .library(name: "PPPAuth", targets: ["PPPAuth"]),
        .library(name: "EAP", targets: ["EAP"]),
        .library(name: "IPPackets", targets: ["IPPackets"]),
        .library(name: "DHCPProtocol", targets: ["DHCPProtocol"]),
        .library(name: "AddressPool", targets: ["AddressPool"]),
        .library(name: "TOML", targets: ["TOML"]),
        .library(name: "VirtualNetwork", targets: ["VirtualNetwork"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: C
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        .target(name: "CTUNShims"),
        .target(name: "CUDPShims"),
        .target(name: "CProcessShims"),

        // MARK: Pure protocol cores
        .target(name: "SSTPProtocol", dependencies: [nioCore, "CryptoPrimitives"], swiftSettings: swiftSettings),
        .target(name: "PPPProtocol", dependencies: [nioCore], swiftSettings: swiftSettings),
        .target(name: "PPPAuth", dependencies: [nioCore, "PPPProtocol", "CryptoPrimitives"], swiftSettings: swiftSettings),
        .target(name: "AddressPool", swiftSettings: swiftSettings),
        .target(name: "IPPackets", dependencies: [nioCore], swiftSettings: swiftSettings),
        .target(name: "TOML", swiftSettings: swiftSettings),
        .target(name: "VirtualNetwork", dependencies: ["TOML", "AddressPool"], swiftSettings: swiftSettings),
        .target(name: "DHCPProtocol", dependencies: [nioCore, "IPPackets"], swiftSettings: swiftSettings),
        .target(name: "GatewayPolicy", swiftSettings: swiftSettings),
        .target(name: "EAP", dependencies: [nioCore], swiftSettings: swiftSettings),

        // MARK: Adapters
        .target(name: "CryptoPrimitives", dependencies: ["COpenSSL", "COpenSSLShims"], swiftSettings: swiftSettings),
        .target(name: "TLSEngine", dependencies: ["COpenSSL", "COpenSSLShims", nioCore, nioConcurrency], swiftSettings: swiftSettings),
        .target(name: "TUNDevice", dependencies: ["CTUNShims", "IPPackets", nioCore, nioConcurrency], swiftSettings: swiftSettings),
        .target(name: "SSTPNIO", dependencies: ["TLSEngine", "SSTPProtocol", nioCore, logging], swiftSettings: swiftSettings),
        .target(name: "EAPTLS", dependencies: ["EAP", "TLSEngine", nioCore], swiftSettings: swiftSettings),
        .target(name: "VNetBuilder", dependencies: ["VirtualNetwork", "AddressPool"], swiftSettings: swiftSettings),
        .target(name: "PKI", dependencies: ["COpenSSL", "COpenSSLShims", "CryptoPrimitives"], swiftSettings: swiftSettings),
        .target(name: "ClientPackage", swiftSettings: swiftSettings),
        .target(name: "GatewayStore", dependencies: [grdb, grdbSQLite], swiftSettings: swiftSettings),

        // MARK: Composition
        .target(
            name: "SSTPServer",
            dependencies: [
                "SSTPNIO", "SSTPProtocol", "PPPProtocol", "PPPAuth", "AddressPool", "IPPackets", "TOML", "GatewayPolicy",
                "DHCPProtocol", "VirtualNetwork", "EAP", "EAPTLS", "PKI", "TUNDevice", "TLSEngine", "CryptoPrimitives", "GatewayStore", "CProcessShims", nioCore, nioPosix, nioConcurrency, nioHTTP1, logging,
                prometheus,
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SSTPClient",
            dependencies: [
                "SSTPNIO", "SSTPProtocol", "PPPProtocol", "PPPAuth", "AddressPool", "IPPackets", "DHCPProtocol", "EAP", "EAPTLS",
                "TUNDevice", "TLSEngine", "CUDPShims",
                "CryptoPrimitives", nioCore, nioPosix, nioConcurrency, logging,
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "sstpd", dependencies: ["SSTPServer", argumentParser, logging], swiftSettings: swiftSettings),
        .executableTarget(
            name: "sstpctl",
            dependencies: [
                "SSTPServer", "PPPAuth", "CryptoPrimitives", "VirtualNetwork", "VNetBuilder", "AddressPool", "PKI", "ClientPackage",
                "GatewayStore", nioCore, nioPosix,
                argumentParser,
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sstp-dial",
            dependencies: ["SSTPClient", argumentParser, logging],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .testTarget(name: "CryptoPrimitivesTests", dependencies: ["CryptoPrimitives"], swiftSettings: swiftSettings),
        .testTarget(name: "SSTPProtocolTests", dependencies: ["SSTPProtocol", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "PPPProtocolTests", dependencies: ["PPPProtocol", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "PPPAuthTests", dependencies: ["PPPAuth", "PPPProtocol", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "AddressPoolTests", dependencies: ["AddressPool"], swiftSettings: swiftSettings),
        .testTarget(name: "IPPacketsTests", dependencies: ["IPPackets", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "TOMLTests", dependencies: ["TOML"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VirtualNetworkTests",
            dependencies: ["VirtualNetwork", "VNetBuilder", "AddressPool"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DHCPProtocolTests", dependencies: ["DHCPProtocol", "IPPackets", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "EAPTests", dependencies: ["EAP", nioCore], swiftSettings: swiftSettings),
        .testTarget(
            name: "EAPTLSTests", dependencies: ["EAPTLS", "EAP", "TLSEngine", "SSTPProtocol", nioCore],
            swiftSettings: swiftSettings),
        .testTarget(name: "GatewayPolicyTests", dependencies: ["GatewayPolicy"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TLSEngineTests", dependencies: ["TLSEngine", "CryptoPrimitives", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "GatewayStoreTests", dependencies: ["GatewayStore"], swiftSettings: swiftSettings),
        .testTarget(name: "ClientPackageTests", dependencies: ["ClientPackage", "PKI"], swiftSettings: swiftSettings),
        .testTarget(name: "PKITests", dependencies: ["PKI", "TLSEngine", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "TUNDeviceTests", dependencies: ["TUNDevice", "IPPackets", nioCore], swiftSettings: swiftSettings),
        .testTarget(name: "SSTPNIOTests", dependencies: ["SSTPNIO", "TLSEngine", nioCore, nioPosix], swiftSettings: swiftSettings),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "SSTPServer", "SSTPClient", "SSTPNIO", "TLSEngine", "IPPackets", "PKI", "GatewayStore", "GatewayPolicy",
                "TUNDevice", nioCore, nioPosix, .product(name: "NIOEmbedded", package: "swift-nio"),
                logging,
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
