import NIOCore
import SSTPProtocol
import Testing

/// Crypto binding vectors.
///
/// Provenance:
/// - SHA-256 and SHA-1: MS-SSTP v20240423 §4.7 (Call Connected dumps, HLAK, certificate hashes, Compound MACs); the
///   same values are sstp-client's `sstp_test_sha256` / `sstp_test_sha1` in `src/sstp-cmac.c` (deepin-community/
///   sstp-client mirror, v1.0.17), where HLAK = mppe_send_key ‖ mppe_recv_key (client side).
/// - EAP-TLS: sstp-client `sstp_test_tls` ("copied from a working Win 8.1 → Win2K19 RAS capture"): HLAK = the
///   32-byte client MPPE send key alone.
/// - The CMK for the SHA-256 vector was recomputed independently for protocol.md §1.7.
@Suite("Crypto binding")
struct CryptoBindingTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        var name: String
        var hashProtocol: SSTPHashProtocol
        var nonce: [UInt8]
        var certificateHashField: [UInt8]
        var hlak: [UInt8]
        var compoundMAC: [UInt8]
        var testDescription: String { self.name }

        var zeroMACBinding: SSTPCryptoBinding {
            SSTPCryptoBinding(
                hashProtocol: self.hashProtocol.bitmask,
                nonce: self.nonce,
                certificateHash: self.certificateHashField,
                compoundMAC: [UInt8](repeating: 0, count: 32)
            )
        }
    }

    static let sha256 = Vector(
        name: "MS-SSTP §4.7 SHA-256",
        hashProtocol: .sha256,
        nonce: hex("412B489AEBD7ECC7D08966F26BE7CD72B231A0E9210D7C91B308862B0344C435"),
        certificateHashField: hex("7993EF314C493DACE9F02D60E7E61C84B6690AAFE9D7AEEA92CBBE8AD599422D"),
        hlak: hex("2A1BB40D55AB0F5EF32F06F2B3CC73C4 8FD3FAC41D7A1315A19228D9024CA164"),
        compoundMAC: hex("52A68EFD8CFFBF52770B8F0FE8EC73716583AF6D611EB6D179B3B20840985449")
    )

    static let sha1 = Vector(
        name: "MS-SSTP §4.7 SHA-1",
        hashProtocol: .sha1,
        nonce: hex("0F1A2D58D4A3E3000FAD3CE4906E07B707AA9E441CCEAC5CBD7B2CC1C9D86CDF"),
        certificateHashField: hex("5826B629BDA59B8E6FD8DCD2622FD34C534805A5 000000000000000000000000"),
        hlak: hex("4B3128F43925D9006EEFB1C4E86515A1 D88E56BAB3CA2BDF0373B7F5A8A13B19"),
        compoundMAC: hex("69915DD583D8062FEF16F61DB2F03290EC27CB6C")
    )

    static let eapTLS = Vector(
        name: "sstp-client sstp_test_tls (EAP-TLS, SHA-256)",
        hashProtocol: .sha256,
        nonce: hex("388a1ecbf302ba02f9f372ce37488ec36b71a28b5e1b19fbe44d5465a631c463"),
        certificateHashField: hex("7ff150176fa8e38a1f402d11ff89ff11b66505ad7f9ae81205277ba4a6b9ef9d"),
        hlak: hex("bb2c17edbaa643b3d511eb9848792b7cab5f5d709fe9bdf89b5deaf5a8c17db7"),
        compoundMAC: hex("fe6473c7d183914e483fea1b12a6e760a4da16b62fab12a0a1e54e0ec325b24e")
    )

    static let vectors = [sha256, sha1, eapTLS]

    @Test("Compound MAC matches the published value", arguments: vectors)
    func compoundMAC(_ vector: Vector) {
        #expect(vector.zeroMACBinding.computeCompoundMAC(hlak: vector.hlak) == vector.compoundMAC)
    }

    @Test("CMK of the SHA-256 vector (LEN = 0x0020 little-endian)")
    func compoundMACKey() {
        let cmk = SSTPCryptoBinding.compoundMACKey(hlak: Self.sha256.hlak, hashProtocol: .sha256)
        #expect(cmk == hex("ecf59ac9fe155cf0a9e7d66adc1b363c1ad7ba91a9217f0cec2a534298828df6"))
    }

    @Test("the server HLAK order matters: swapping the key halves gives another MAC")
    func swappedHLAK() {
        let swapped = Array(Self.sha256.hlak[16...] + Self.sha256.hlak[..<16])
        let mac = Self.sha256.zeroMACBinding.computeCompoundMAC(hlak: swapped)
        #expect(mac != Self.sha256.compoundMAC)
        #expect(mac?.prefix(4) == hex("cce9c18a")[...])
    }

    @Test("EAP-TLS: the receive key instead of the send key gives another MAC")
    func eapTLSWrongKey() {
        let recvKey = hex("6db2817cdc55aa42c3a1ff3389be08e2effe8b2dc719074a43cfbb8acf7414ce")
        let mac = Self.eapTLS.zeroMACBinding.computeCompoundMAC(hlak: recvKey)
        #expect(mac?.prefix(4) == hex("03d8abeb")[...])
    }

    @Test("the client builds the §4.7 SHA-256 binding byte for byte")
    func makeSHA256() {
        // Only the SHA-256 hash matters here; the SHA-1 one is a placeholder.
        let hashes = SSTPCertificateHashes(
            sha1: [UInt8](repeating: 0, count: 20),
            sha256: Self.sha256.certificateHashField
        )
        let binding = SSTPCryptoBinding.make(
            hashProtocol: .sha256,
            nonce: Self.sha256.nonce,
            certificateHashes: hashes,
            hlak: Self.sha256.hlak
        )
        #expect(binding.compoundMAC == Self.sha256.compoundMAC)
        #expect(binding.certificateHash == Self.sha256.certificateHashField)
    }

    @Test("the client pads SHA-1 hash and MAC with 12 zero bytes")
    func makeSHA1() {
        let hashes = SSTPCertificateHashes(
            sha1: Array(Self.sha1.certificateHashField.prefix(20)),
            sha256: [UInt8](repeating: 0, count: 32)
        )
        let binding = SSTPCryptoBinding.make(
            hashProtocol: .sha1,
            nonce: Self.sha1.nonce,
            certificateHashes: hashes,
            hlak: Self.sha1.hlak
        )
        #expect(binding.certificateHash == Self.sha1.certificateHashField)
        #expect(binding.compoundMAC == Self.sha1.compoundMAC + [UInt8](repeating: 0, count: 12))
    }

    @Test("HLAK normalisation: truncate to 32 bytes, pad with zeros, zeros for no key")
    func hlakNormalisation() {
        let long = [UInt8](0..<64)
        #expect(SSTPCryptoBinding.higherLayerAuthenticationKey(from: long) == [UInt8](0..<32))
        #expect(
            SSTPCryptoBinding.higherLayerAuthenticationKey(from: [1, 2]) == [1, 2] + [UInt8](repeating: 0, count: 30)
        )
        #expect(SSTPCryptoBinding.higherLayerAuthenticationKey(from: []) == [UInt8](repeating: 0, count: 32))
    }

    // MARK: Verification

    static let hashes = Fixture.certificateHashes
    static let nonce = Fixture.serverNonce
    static let hlak = Fixture.msCHAPv2HLAK

    static func verify(
        _ binding: SSTPCryptoBinding,
        offered: SSTPHashProtocolBitmask = [.sha1, .sha256]
    )
        -> Result<SSTPHashProtocol, SSTPCryptoBindingFailure>
    {
        binding.verify(nonce: nonce, offeredHashProtocols: offered, certificateHashes: hashes, hlak: hlak)
    }

    @Test("a correct binding verifies", arguments: SSTPHashProtocol.allCases)
    func verifies(_ hashProtocol: SSTPHashProtocol) {
        #expect(Self.verify(Fixture.binding(hashProtocol)) == .success(hashProtocol))
    }

    @Test("the §4.7 vectors verify on the server side", arguments: [sha256, sha1])
    func specVectorsVerify(_ vector: Vector) {
        var binding = vector.zeroMACBinding
        binding.compoundMAC = vector.compoundMAC + [UInt8](repeating: 0, count: 32 - vector.compoundMAC.count)
        let certificateHash = Array(vector.certificateHashField.prefix(vector.hashProtocol.digestLength))
        let hashes = SSTPCertificateHashes(
            sha1: vector.hashProtocol == .sha1 ? certificateHash : [UInt8](repeating: 0, count: 20),
            sha256: vector.hashProtocol == .sha256 ? certificateHash : [UInt8](repeating: 0, count: 32)
        )
        let result = binding.verify(
            nonce: vector.nonce,
            offeredHashProtocols: vector.hashProtocol.bitmask,
            certificateHashes: hashes,
            hlak: vector.hlak
        )
        #expect(result == .success(vector.hashProtocol))
    }

    @Test("a wrong nonce is rejected")
    func wrongNonce() {
        let binding = Fixture.binding(nonce: [UInt8](repeating: 0xAA, count: 32))
        #expect(Self.verify(binding) == .failure(.nonceMismatch))
    }

    @Test("a wrong certificate hash is rejected")
    func wrongCertificateHash() {
        let other = SSTPCertificateHashes(certificateDER: Array("another certificate".utf8))
        #expect(Self.verify(Fixture.binding(hashes: other)) == .failure(.certificateHashMismatch))
        #expect(Self.verify(Fixture.binding(.sha1, hashes: other)) == .failure(.certificateHashMismatch))
    }

    @Test("non-zero padding after a SHA-1 certificate hash is rejected")
    func sha1PaddingMustBeZero() {
        var binding = Fixture.binding(.sha1)
        binding.certificateHash[31] = 1
        #expect(Self.verify(binding) == .failure(.certificateHashMismatch))
    }

    @Test("a MAC made with another HLAK is rejected")
    func wrongMAC() {
        let binding = Fixture.binding(hlak: [UInt8](repeating: 0, count: 32))
        #expect(Self.verify(binding) == .failure(.compoundMACMismatch))
    }

    @Test("a tampered MAC is rejected")
    func tamperedMAC() {
        var binding = Fixture.binding()
        binding.compoundMAC[5] ^= 0x01
        #expect(Self.verify(binding) == .failure(.compoundMACMismatch))
    }

    @Test("a hash protocol the server did not offer is rejected")
    func unofferedAlgorithm() {
        #expect(Self.verify(Fixture.binding(.sha1), offered: .sha256) == .failure(.hashProtocolNotOffered))
    }

    @Test("a Hash Protocol field with both or no bits set is rejected", arguments: [UInt8(0x00), 0x03, 0x04])
    func ambiguousHashProtocol(_ raw: UInt8) {
        var binding = Fixture.binding()
        binding.hashProtocol = SSTPHashProtocolBitmask(rawValue: raw)
        #expect(Self.verify(binding) == .failure(.hashProtocolNotOffered))
    }
}
