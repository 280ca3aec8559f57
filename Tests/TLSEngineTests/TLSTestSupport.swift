import Foundation
import NIOCore
import TLSEngine

/// Paths of the committed test certificates (Tests/Fixtures/certs, see its README).
enum Fixtures {
    static let directory: String = {
        let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return testsDirectory.appendingPathComponent("Fixtures/certs").path
    }()

    static var caFile: String { directory + "/ca.pem" }
    static var caKeyFile: String { directory + "/ca.key" }
    static var otherCAFile: String { directory + "/other-ca.pem" }
    static var serverChainFile: String { directory + "/server.pem" }
    static var serverKeyFile: String { directory + "/server.key" }

    static func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// `openssl x509 -in server.pem -outform der | sha256sum`
    static let serverLeafSHA256Hex = "420f66de7b47399ef3c1c0d40b6f80ea6d3f152eb027dc370a2f2a9929ad16c1"
    /// `openssl x509 -in server.pem -outform der | sha1sum`
    static let serverLeafSHA1Hex = "bf51682c6ea168a2ef6376bf1d3461172207fbb6"

    static func serverContext(maximumVersion: TLSVersion = .tls13) throws -> TLSContext {
        try TLSContext.server(
            certificateChainFile: serverChainFile, privateKeyFile: serverKeyFile, maximumVersion: maximumVersion)
    }

    static func clientContext(trustRootsFile: String? = caFile, version: TLSVersion? = nil) throws -> TLSContext {
        try TLSContext.client(
            trustRootsFile: trustRootsFile, verifyPeer: true,
            minimumVersion: version ?? .tls12, maximumVersion: version ?? .tls13)
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return b < 16 ? "0" + s : s
    }.joined()
}

/// Deterministic test payload (an LCG; no randomness in tests).
func pattern(count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        for index in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            buffer[index] = UInt8(truncatingIfNeeded: state >> 24)
        }
        initialized = count
    }
}

/// Moves all ciphertext produced by `from` into `to`; returns how many bytes moved.
@discardableResult
func pump(_ from: TLSConnection, _ to: TLSConnection) -> Int {
    guard var bytes = from.takeCiphertext() else { return 0 }
    let count = bytes.readableBytes
    to.feedCiphertext(&bytes)
    return count
}

/// Runs the handshake in memory until both sides finish or one fails.
func interactInMemory(
    client: TLSConnection,
    server: TLSConnection
) -> (client: TLSConnection.HandshakeState, server: TLSConnection.HandshakeState) {
    var clientState = client.drive()
    var serverState = server.drive()
    for _ in 0..<10 {
        pump(client, server)
        serverState = server.drive()
        pump(server, client)
        clientState = client.drive()
        pump(client, server)
        serverState = server.drive()
        switch (clientState, serverState) {
        case (.complete, .complete), (.failed, _), (_, .failed): return (clientState, serverState)
        default: continue
        }
    }
    return (clientState, serverState)
}

/// Reads all plaintext currently decryptable by `connection`.
func drainPlaintext(_ connection: TLSConnection, into buffer: inout ByteBuffer) -> TLSConnection.ReadResult {
    while true {
        let result = connection.readPlaintext(into: &buffer)
        if case .bytes = result { continue }
        return result
    }
}

extension TLSConnection.HandshakeState {
    var isComplete: Bool { if case .complete = self { true } else { false } }
    var error: TLSError? { if case .failed(let e) = self { e } else { nil } }
}

/// A connected pair after a successful handshake.
func connectedPair(version: TLSVersion? = nil) throws -> (client: TLSConnection, server: TLSConnection) {
    let server = try TLSConnection(context: Fixtures.serverContext())
    let client = try TLSConnection(
        context: Fixtures.clientContext(version: version), serverName: "sstp.example.test")
    let states = interactInMemory(client: client, server: server)
    guard states.client.isComplete, states.server.isComplete else {
        throw TestFailure("handshake did not complete: \(states)")
    }
    return (client, server)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
