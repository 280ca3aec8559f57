import EAPTLS
import Foundation
import TLSEngine
import Testing

/// Paths of the committed test certificates (Tests/Fixtures/certs, see its README).
enum Fixtures {
    static let directory: String = {
        let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        return testsDirectory.appendingPathComponent("Fixtures/certs").path
    }()

    static var caFile: String { directory + "/ca.pem" }
    static var otherCAFile: String { directory + "/other-ca.pem" }
    static var serverChainFile: String { directory + "/server.pem" }
    static var serverKeyFile: String { directory + "/server.key" }
    static var clientChainFile: String { directory + "/client.pem" }
    static var clientKeyFile: String { directory + "/client.key" }

    /// `openssl x509 -in client.pem -outform der | sha256sum` (README).
    static let clientLeafSHA256Hex = "7b84d2405be559fa805d500484c1fdb6f141315f874cc7ea1e9ff493a5cc2e8a"
    /// `openssl x509 -in server.pem -outform der | sha256sum` (README).
    static let serverLeafSHA256Hex = "420f66de7b47399ef3c1c0d40b6f80ea6d3f152eb027dc370a2f2a9929ad16c1"

    /// An EAP-TLS server context requiring client certificates from `clientRoots`.
    static func serverContext(version: TLSVersion?, clientRoots: String = caFile) throws -> TLSContext {
        try TLSContext.server(
            certificateChainFile: serverChainFile, privateKeyFile: serverKeyFile,
            minimumVersion: version ?? .tls12, maximumVersion: version ?? .tls13, clientTrustRootsFile: clientRoots)
    }

    /// A peer context verifying the server against `ca.pem`, with the client certificate unless `withCertificate`
    /// is false.
    static func peerContext(withCertificate: Bool = true) throws -> TLSContext {
        try TLSContext.client(
            trustRootsFile: caFile, verifyPeer: true,
            certificateChainFile: withCertificate ? clientChainFile : nil,
            privateKeyFile: withCertificate ? clientKeyFile : nil)
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return b < 16 ? "0" + s : s
    }.joined()
}

func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// The outcome of running an EAP-TLS server and peer against each other in memory.
struct MethodRun {
    var serverResult: EAPTLSResult?
    var serverFailure: EAPTLSFailure?
    var peerResult: EAPTLSResult?
    var peerFailure: EAPTLSFailure?
    /// Every Type-Data the server sent (Requests) and the peer sent (Responses).
    var requests: [[UInt8]] = []
    var responses: [[UInt8]] = []
}

/// Relays Type-Data between `server` and `peer` until the server ends the method.
func runMethod(server: EAPTLSServer, peer: EAPTLSPeer) -> MethodRun {
    var run = MethodRun()
    var request = server.start()
    for _ in 0..<500 {
        run.requests.append(request)
        let response: [UInt8]
        switch peer.receive(request) {
        case .send(let data):
            response = data
        case .sendAndComplete(let data, let result):
            run.peerResult = result
            response = data
        case .sendAndFail(let data, let failure):
            run.peerFailure = failure
            response = data
        case .failed(let failure):
            run.peerFailure = failure
            return run
        }
        run.responses.append(response)
        switch server.receive(response) {
        case .send(let data):
            request = data
        case .succeeded(let result):
            run.serverResult = result
            return run
        case .failed(let failure):
            run.serverFailure = failure
            return run
        }
    }
    Issue.record("EAP-TLS exchange did not end")
    return run
}
