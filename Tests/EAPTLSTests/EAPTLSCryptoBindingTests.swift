import EAPTLS
import SSTPProtocol
import Testing

/// The EAP-TLS crypto binding vector of ../shared/protocol.md §1.7 (sstp-client `sstp_test_tls`, "copied from a
/// working Win 8.1 → Win2K19 RAS capture"; the same values as Tests/SSTPProtocolTests/CryptoBindingTests.swift).
@Suite("EAP-TLS HLAK and crypto binding")
struct EAPTLSCryptoBindingTests {
    /// The client's 32-byte MPPE send key and receive key of that capture: MSK = send ‖ receive (RFC 5216 §2.3).
    static let clientSendKey = hex("bb2c17edbaa643b3d511eb9848792b7cab5f5d709fe9bdf89b5deaf5a8c17db7")
    static let clientReceiveKey = hex("6db2817cdc55aa42c3a1ff3389be08e2effe8b2dc719074a43cfbb8acf7414ce")

    @Test("HLAK = MSK[0..<32] gives the capture's Compound MAC")
    func compoundMAC() throws {
        let keys = EAPTLSKeys(
            keyMaterial: Self.clientSendKey + Self.clientReceiveKey + [UInt8](repeating: 0xEE, count: 64))
        #expect(keys.hlak == Self.clientSendKey)
        #expect(keys.peerReceiveKey == Self.clientReceiveKey)
        let binding = SSTPCryptoBinding(
            hashProtocol: SSTPHashProtocol.sha256.bitmask,
            nonce: hex("388a1ecbf302ba02f9f372ce37488ec36b71a28b5e1b19fbe44d5465a631c463"),
            certificateHash: hex("7ff150176fa8e38a1f402d11ff89ff11b66505ad7f9ae81205277ba4a6b9ef9d"),
            compoundMAC: [UInt8](repeating: 0, count: 32)
        )
        let mac = try #require(binding.computeCompoundMAC(hlak: keys.hlak))
        #expect(mac == hex("fe6473c7d183914e483fea1b12a6e760a4da16b62fab12a0a1e54e0ec325b24e"))
        // The other half of the MSK gives another MAC (protocol.md: 03d8abeb…).
        #expect(binding.computeCompoundMAC(hlak: keys.peerReceiveKey)?.prefix(4) == hex("03d8abeb")[...])
    }
}
