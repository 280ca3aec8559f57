import TLSEngine
import Testing

@Suite struct TLSKeyExporterTests {
    @Test(arguments: [TLSVersion.tls12, .tls13])
    func exporterOutputsAgree(version: TLSVersion) throws {
        let (client, server) = try connectedPair(version: version)
        // RFC 5216 §2.3 (EAP-TLS): label "client EAP encryption", no context, 128 bytes.
        let clientMSK = try client.exportKeyingMaterial(label: "client EAP encryption", context: nil, length: 128)
        let serverMSK = try server.exportKeyingMaterial(label: "client EAP encryption", context: nil, length: 128)
        #expect(clientMSK.count == 128)
        #expect(clientMSK == serverMSK)
        #expect(clientMSK != [UInt8](repeating: 0, count: 128))
        // RFC 9190 §2.3 (EAP-TLS 1.3): label "EXPORTER_EAP_TLS_Key_Material", context 0x0D.
        let clientKM = try client.exportKeyingMaterial(
            label: "EXPORTER_EAP_TLS_Key_Material", context: [0x0d], length: 128)
        let serverKM = try server.exportKeyingMaterial(
            label: "EXPORTER_EAP_TLS_Key_Material", context: [0x0d], length: 128)
        #expect(clientKM == serverKM)
        #expect(clientKM != clientMSK)
    }

    @Test func distinctSessionsExportDistinctKeys() throws {
        let first = try connectedPair()
        let second = try connectedPair()
        let a = try first.client.exportKeyingMaterial(label: "client EAP encryption", context: nil, length: 64)
        let b = try second.client.exportKeyingMaterial(label: "client EAP encryption", context: nil, length: 64)
        #expect(a != b)
    }

    @Test func exporterBeforeHandshakeThrows() throws {
        let client = try TLSConnection(context: Fixtures.clientContext())
        let error = #expect(throws: TLSError.self) {
            try client.exportKeyingMaterial(label: "client EAP encryption", context: nil, length: 64)
        }
        #expect(error?.code == .handshakeNotComplete)
    }
}
