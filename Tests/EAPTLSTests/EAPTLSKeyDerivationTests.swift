import EAP
import EAPTLS
import TLSEngine
import Testing

/// The EAP-TLS MSK/EMSK are exactly the RFC 5216 §2.3 / RFC 9190 §2.3 exporter outputs, split 64/64.
///
/// Together with TLSEngineTests' ExporterKnownAnswerTests (which prove `exportKeyingMaterial` equals the
/// RFC 5246 PRF / RFC 8446 §7.5 exporter recomputed from the session secrets, and `openssl s_server -keymatexport`),
/// this ties the MSK to an independent derivation. The reference PRF/HKDF lives in TLSEngineTests because this
/// target has no HMAC (CryptoPrimitives is not one of its dependencies).
@Suite("EAP-TLS keys = the RFC exporter outputs")
struct EAPTLSKeyDerivationTests {
    static let versions: [TLSVersion] = [.tls12, .tls13]
    static let fragmentSizes = [200, 1000, 1400]

    /// The label and context each RFC prescribes, spelled out here rather than taken from `EAPTLSKeys`.
    static func exporterInput(_ version: TLSVersion) -> (label: String, context: [UInt8]?) {
        switch version {
        case .tls12: ("client EAP encryption", nil)  // RFC 5216 §2.3: no context
        case .tls13: ("EXPORTER_EAP_TLS_Key_Material", [0x0D])  // RFC 9190 §2.3: context = Type-Code 0x0D
        }
    }

    @Test("EAPTLSKeys' constants are the RFCs'")
    func constants() {
        #expect(EAPTLSKeys.tls12Label == Self.exporterInput(.tls12).label)
        #expect(EAPTLSKeys.tls13Label == Self.exporterInput(.tls13).label)
        #expect(EAPTLSKeys.tls13Context == [0x0D])
        #expect(EAPTLSKeys.keyMaterialLength == 128)
        let keyMaterial = (0..<128).map { UInt8($0) }
        let keys = EAPTLSKeys(keyMaterial: keyMaterial)
        #expect(keys.msk == Array(0..<64) && keys.emsk == Array(64..<128))
        #expect(keys.hlak == Array(0..<32))
        #expect(keys.peerSendKey == Array(0..<32) && keys.peerReceiveKey == Array(32..<64))
    }

    @Test(
        "MSK = Key_Material[0..<64], EMSK = Key_Material[64..<128] on both sides",
        arguments: versions, fragmentSizes)
    func keysAreTheExporterOutput(version: TLSVersion, fragmentSize: Int) throws {
        let serverLog = TLSKeyLog()
        let peerLog = TLSKeyLog()
        let serverContext = try Fixtures.serverContext(version: version)
        let peerContext = try Fixtures.peerContext()
        serverContext.enableKeyLog(serverLog)
        peerContext.enableKeyLog(peerLog)
        let server = try EAPTLSServer(context: serverContext, maximumFragmentSize: fragmentSize)
        let peer = try EAPTLSPeer(
            context: peerContext, serverName: "sstp.example.test", maximumFragmentSize: fragmentSize)
        let run = runMethod(server: server, peer: peer)
        let serverResult = try #require(run.serverResult)
        let peerResult = try #require(run.peerResult)
        #expect(serverResult.tlsVersion == version && peerResult.tlsVersion == version)

        let (label, context) = Self.exporterInput(version)
        let other = Self.exporterInput(version == .tls12 ? .tls13 : .tls12)
        for (connection, result) in [(server.connection, serverResult), (peer.connection, peerResult)] {
            #expect(connection.negotiatedProtocolVersion == version)
            let keyMaterial = try connection.exportKeyingMaterial(label: label, context: context, length: 128)
            #expect(result.keys.msk == Array(keyMaterial[0..<64]))
            #expect(result.keys.emsk == Array(keyMaterial[64..<128]))
            #expect(result.keys == EAPTLSKeys(keyMaterial: keyMaterial))
            #expect(try EAPTLSKeys(connection: connection) == result.keys)
            // The HLAK for the SSTP crypto binding is MSK[0..<32] (MS-SSTP §3.2.5.2).
            #expect(result.keys.hlak == Array(keyMaterial[0..<32]))

            // Any other label/context choice gives other keys, so the equalities above pin the inputs.
            var wrongInputs: [(String, [UInt8]?)] = [(other.label, other.context), (label, [0x0E])]
            switch version {
            case .tls12: wrongInputs.append((label, []))  // RFC 5705: an empty context is not "no context"
            case .tls13: wrongInputs.append((label, nil))  // RFC 9190 needs the 0x0D context
            }
            for (wrongLabel, wrongContext) in wrongInputs {
                let wrong = try connection.exportKeyingMaterial(label: wrongLabel, context: wrongContext, length: 64)
                #expect(wrong != result.keys.msk, "\(wrongLabel) \(String(describing: wrongContext))")
            }
        }

        // Both sides logged the same secrets for the EAP-TLS session (what Wireshark would need to decrypt it).
        let clientRandom = try #require(peer.connection.clientRandom)
        #expect(server.connection.clientRandom == clientRandom)
        #expect(!serverLog.entries.isEmpty)
        #expect(Set(serverLog.entries) == Set(peerLog.entries))
        #expect(serverLog.entries.allSatisfy { $0.clientRandom == clientRandom })
        switch version {
        case .tls12:
            #expect(serverLog.secret(.clientRandom, clientRandom: clientRandom) == peer.connection.tls12MasterSecret())
        case .tls13:
            #expect(serverLog.secret(.exporterSecret, clientRandom: clientRandom) != nil)
        }
    }
}
