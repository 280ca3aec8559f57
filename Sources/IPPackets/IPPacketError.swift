/// Why a packet could not be parsed.
public enum IPPacketError: Error, Hashable, Sendable {
    /// Fewer bytes than the header (or the length field) requires.
    case truncated
    /// The version nibble is not the one expected (4 or 6).
    case unsupportedVersion(UInt8)
    /// The IPv4 IHL is below 5 words (RFC 791 §3.1: "the minimum value for a correct header is 5").
    case invalidHeaderLength(UInt8)
    /// The IPv4 Total Length is smaller than the header.
    case invalidTotalLength(UInt16)
    /// The packet is not an ICMP Echo / Echo Reply (RFC 792), or its ICMP checksum is wrong.
    case notICMPEcho
    /// The ICMP checksum does not verify (RFC 792: "the 16-bit one's complement of the one's complement sum").
    case badChecksum
}
