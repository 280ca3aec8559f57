// swift-tools-version:6.1
// libFuzzer harnesses for the protocol cores of sstp-gateway (docs/fuzzing.md). Build and run with scripts/fuzz.sh:
//
//   swift build -c release --package-path Fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
//
// The harness bodies are in the FuzzHarnesses library; the unit tests of the main package run the same files (they
// are symbolic links in Tests/<Module>Tests/) on Fuzz/Corpus and Fuzz/Regressions without the fuzzer.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// One executable per harness, `fuzz-<name>`, with its corpus in Corpus/<name>/.
let harnesses = [
    "sstp-http", "sstp-packet", "sstp-state", "ppp-frame", "ppp-session", "mschapv2", "eap", "eap-tls", "dhcp",
    "toml", "vnet-topology",
]

// `name:` fixes the dependency's identity whatever the checkout directory is called.
let gateway = "sstp-gateway"

let package = Package(
    name: "sstp-gateway-fuzz",
    dependencies: [
        .package(name: gateway, path: ".."),
        // For NIOCore's ByteBuffer, which the cores' APIs take; resolved to the main package's version.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "FuzzHarnesses",
            dependencies: [
                .product(name: "SSTPProtocol", package: gateway),
                .product(name: "PPPProtocol", package: gateway),
                .product(name: "PPPAuth", package: gateway),
                .product(name: "EAP", package: gateway),
                .product(name: "IPPackets", package: gateway),
                .product(name: "DHCPProtocol", package: gateway),
                .product(name: "AddressPool", package: gateway),
                .product(name: "TOML", package: gateway),
                .product(name: "VirtualNetwork", package: gateway),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        )
    ]
        + harnesses.map { name in
            .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzHarnesses"], swiftSettings: swiftSettings)
        }
)
