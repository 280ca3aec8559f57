import CryptoPrimitives
import NIOCore

/// The hashes of the server's leaf certificate (DER), one per hash protocol (MS-SSTP §3.3.1 `ServerCertificateHash`,
/// §3.2.1 `ClientCertificateHash`).
///
/// Behind a TLS terminator these must be the hashes of the certificate the client sees (§3.3.3).
public struct SSTPCertificateHashes: Sendable, Hashable {
    /// SHA-1 of the certificate, 20 bytes.
    public var sha1: [UInt8]
    /// SHA-256 of the certificate, 32 bytes.
    public var sha256: [UInt8]

    public init(sha1: [UInt8], sha256: [UInt8]) {
        precondition(sha1.count == HashFunction.sha1.digestLength, "a SHA-1 certificate hash is 20 bytes")
        precondition(sha256.count == HashFunction.sha256.digestLength, "a SHA-256 certificate hash is 32 bytes")
        self.sha1 = sha1
        self.sha256 = sha256
    }

    /// Hashes a DER-encoded certificate.
    public init(certificateDER: [UInt8]) {
        self.init(sha1: HashFunction.sha1.digest(certificateDER), sha256: HashFunction.sha256.digest(certificateDER))
    }

    /// The hash for `hashProtocol`, unpadded.
    public func hash(for hashProtocol: SSTPHashProtocol) -> [UInt8] {
        switch hashProtocol {
        case .sha1: self.sha1
        case .sha256: self.sha256
        }
    }
}

/// Why a received crypto binding was rejected (MS-SSTP §3.3.5.2.3). Safe to log: it names the check, not the values.
public enum SSTPCryptoBindingFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The Hash Protocol field is not exactly one protocol that the server offered.
    case hashProtocolNotOffered
    /// The nonce is not the one sent in the Call Connect Acknowledge.
    case nonceMismatch
    /// The certificate hash is not the hash of our certificate.
    case certificateHashMismatch
    /// The Compound MAC does not verify with our HLAK.
    case compoundMACMismatch

    public var description: String {
        switch self {
        case .hashProtocolNotOffered: "hash protocol not offered"
        case .nonceMismatch: "nonce mismatch"
        case .certificateHashMismatch: "certificate hash mismatch"
        case .compoundMACMismatch: "compound MAC mismatch"
        }
    }
}

extension SSTPCryptoBinding {
    /// The length of the Higher-Layer Authentication Key.
    public static let hlakLength = 32

    /// The Compound MAC Key seed: "a byte array of size 29 bytes containing the ASCII values for the string
    /// 'SSTP inner method derived CMK'" (§3.2.5.2.2, §3.2.5.2.4).
    static let compoundMACKeySeed: [UInt8] = Array("SSTP inner method derived CMK".utf8)

    /// Brings a key from PPP authentication to the 32-byte HLAK (§3.2.5.2.2):
    ///
    /// > If the HLAK is more than 32 octets, then the first 32 octets form the HLAK. [...] If the HLAK is less than
    /// > 32 octets, then the string is padded with 0x00 at the end to obtain a total length of 32 octets.
    ///
    /// An empty key gives the 32 zero bytes used when authentication produced no keys (PAP, CHAP-MD5).
    public static func higherLayerAuthenticationKey(from key: [UInt8]) -> [UInt8] {
        if key.count >= hlakLength {
            return Array(key.prefix(hlakLength))
        }
        return key + [UInt8](repeating: 0, count: hlakLength - key.count)
    }

    /// The Compound MAC Key (§3.2.5.2.2, §3.2.5.2.4): the first block of the IKEv2-style PRF+,
    /// `T1 = HMAC-H(HLAK, seed ‖ LEN ‖ 0x01)`, where LEN is the digest length as a 16-bit **little-endian** integer.
    /// One block is exactly the digest length, so T1 is the CMK.
    public static func compoundMACKey(hlak: [UInt8], hashProtocol: SSTPHashProtocol) -> [UInt8] {
        let hash = hashProtocol.hashFunction
        let length = UInt16(hash.digestLength)
        let input =
            compoundMACKeySeed + [UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8), 0x01]
        return HMAC.authenticationCode(hash, key: higherLayerAuthenticationKey(from: hlak), message: input)
    }

    /// The unpadded Compound MAC of this binding: `HMAC-H(CMK, the entire 112-byte Call Connected message with the
    /// Compound MAC field and Padding field zeroed out)` (§3.2.5.2.1, §3.2.5.2.3).
    ///
    /// - Returns: `nil` if the Hash Protocol field does not name exactly one known protocol.
    public func computeCompoundMAC(hlak: [UInt8]) -> [UInt8]? {
        guard let hashProtocol = SSTPHashProtocol(bitmask: self.hashProtocol) else { return nil }
        var zeroed = self
        zeroed.compoundMAC = [UInt8](repeating: 0, count: Self.fieldLength)
        var message = ByteBuffer()
        message.writeSSTPControlMessage(.callConnected(zeroed))
        let key = Self.compoundMACKey(hlak: hlak, hashProtocol: hashProtocol)
        return HMAC.authenticationCode(hashProtocol.hashFunction, key: key, message: Array(message.readableBytesView))
    }

    /// Builds the client's crypto binding (§3.2.7.1): the nonce from the Call Connect Acknowledge, the server
    /// certificate hash, and the Compound MAC, SHA-1 values padded with zeros to 32 bytes.
    public static func make(
        hashProtocol: SSTPHashProtocol,
        nonce: [UInt8],
        certificateHashes: SSTPCertificateHashes,
        hlak: [UInt8]
    ) -> SSTPCryptoBinding {
        var binding = SSTPCryptoBinding(
            hashProtocol: hashProtocol.bitmask,
            nonce: nonce,
            certificateHash: padded(certificateHashes.hash(for: hashProtocol)),
            compoundMAC: [UInt8](repeating: 0, count: fieldLength)
        )
        binding.compoundMAC = padded(binding.computeCompoundMAC(hlak: hlak)!)
        return binding
    }

    /// Runs the server's checks on a received crypto binding (§3.3.5.2.3), in the specification's order: a hash
    /// protocol the server offered, the nonce it sent, the hash of its certificate, and a valid Compound MAC
    /// (compared in constant time).
    ///
    /// - Returns: the verified hash protocol, or the first check that failed.
    public func verify(
        nonce: [UInt8],
        offeredHashProtocols: SSTPHashProtocolBitmask,
        certificateHashes: SSTPCertificateHashes,
        hlak: [UInt8]
    ) -> Result<SSTPHashProtocol, SSTPCryptoBindingFailure> {
        guard let hashProtocol = SSTPHashProtocol(bitmask: self.hashProtocol),
            offeredHashProtocols.contains(hashProtocol.bitmask)
        else {
            return .failure(.hashProtocolNotOffered)
        }
        guard ConstantTime.equals(self.nonce, nonce) else {
            return .failure(.nonceMismatch)
        }
        // The certificate hash is public; the padding after a SHA-1 hash must be zero.
        guard self.certificateHash == Self.padded(certificateHashes.hash(for: hashProtocol)) else {
            return .failure(.certificateHashMismatch)
        }
        let digestLength = hashProtocol.hashFunction.digestLength
        let expected = self.computeCompoundMAC(hlak: hlak)!
        guard ConstantTime.equals(Array(self.compoundMAC.prefix(digestLength)), expected) else {
            return .failure(.compoundMACMismatch)
        }
        return .success(hashProtocol)
    }

    /// Left-aligns a 20- or 32-byte value in a 32-byte field (§2.2.7).
    static func padded(_ value: [UInt8]) -> [UInt8] {
        value + [UInt8](repeating: 0, count: fieldLength - value.count)
    }
}
