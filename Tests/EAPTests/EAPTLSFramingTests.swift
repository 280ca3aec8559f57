import EAP
import Testing

/// RFC 5216 §3.1 framing: Flags(1) [TLS Message Length(4) if L] [TLS Data].
@Suite("EAP-TLS framing")
struct EAPTLSFramingTests {
    @Test("fragment vectors: Start, ACK, first fragment with L and M, last fragment")
    func vectors() throws {
        #expect(EAPTLSFragment.start.typeData == [0x20])
        #expect(EAPTLSFragment.acknowledgement.typeData == [0x00])
        let first: [UInt8] = [0xC0, 0x00, 0x00, 0x03, 0xE8, 0x16, 0x03]
        let parsed = try EAPTLSFragment(typeData: first)
        #expect(parsed == EAPTLSFragment(flags: .moreFragments, tlsMessageLength: 1000, tlsData: [0x16, 0x03]))
        #expect(parsed.flags == [.lengthIncluded, .moreFragments])
        #expect(parsed.typeData == first)
        let last = try EAPTLSFragment(typeData: [0x00, 0x01, 0x02])
        #expect(last == EAPTLSFragment(flags: [], tlsData: [0x01, 0x02]))
        #expect(try EAPTLSFragment(typeData: [0x00]).isAcknowledgement)
        expectEAPError(.missingFlags) { try EAPTLSFragment(typeData: []) }
        expectEAPError(.truncatedLengthField) { try EAPTLSFragment(typeData: [0x80, 0x00, 0x00]) }
    }

    static func message(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) } }

    @Test("fragment and reassemble", arguments: [200, 1000, 1400], [1, 199, 200, 201, 4000])
    func fragmentReassemble(fragmentSize: Int, length: Int) throws {
        var sender = EAPTLSFragmentation(maximumFragmentSize: fragmentSize, acceptsStart: false)
        var receiver = EAPTLSFragmentation(maximumFragmentSize: fragmentSize, acceptsStart: true)
        let message = Self.message(length)
        var typeData = sender.send(message)
        var fragments = 1
        while true {
            let fragment = try EAPTLSFragment(typeData: typeData)
            #expect(fragment.tlsData.count <= fragmentSize)
            // L exactly on the first fragment of a fragmented message.
            #expect((fragment.tlsMessageLength != nil) == (fragments == 1 && length > fragmentSize))
            switch try receiver.receive(typeData) {
            case .sendAcknowledgement(let ack):
                #expect(ack == [0x00])
                guard case .sendNextFragment(let next) = try sender.receive(ack) else {
                    Issue.record("expected the next fragment")
                    return
                }
                typeData = next
                fragments += 1
            case .message(let received):
                #expect(received == message)
                #expect(fragments == (length + fragmentSize - 1) / fragmentSize)
                #expect(!sender.hasPendingFragments && !receiver.isReassembling)
                return
            default:
                Issue.record("unexpected receive result")
                return
            }
        }
    }

    @Test("an empty flagless Response is an acknowledgement; Start only on the peer")
    func acknowledgementAndStart() throws {
        var server = EAPTLSFragmentation(maximumFragmentSize: 200, acceptsStart: false)
        #expect(try server.receive([0x00]) == .acknowledgement)
        expectEAPError(.unexpectedStart) { try server.receive([0x20]) }
        var peer = EAPTLSFragmentation(maximumFragmentSize: 200, acceptsStart: true)
        #expect(try peer.receive([0x20]) == .start)
        expectEAPError(.unexpectedStart) { try peer.receive([0x20, 0x16]) }
    }

    @Test("the reassembly cap is enforced from L before buffering, and for unfragmented messages")
    func cap() {
        var receiver = EAPTLSFragmentation(maximumFragmentSize: 1000, maximumMessageLength: 65_536, acceptsStart: false)
        let tooLong = expectEAPError(.messageTooLong) {
            try receiver.receive([0xC0, 0x00, 0x01, 0x00, 0x01, 0xAA])
        }
        #expect(tooLong?.description == "EAPError.messageTooLong: 65537 octets, maximum 65536")
        var small = EAPTLSFragmentation(maximumFragmentSize: 1000, maximumMessageLength: 4, acceptsStart: false)
        expectEAPError(.messageTooLong) { try small.receive([0x00, 1, 2, 3, 4, 5]) }
    }

    @Test("inconsistent L/M use throws")
    func inconsistent() throws {
        // M without L on the first fragment.
        var a = EAPTLSFragmentation(maximumFragmentSize: 1000, acceptsStart: false)
        expectEAPError(.missingLengthOnFirstFragment) { try a.receive([0x40, 0x01]) }
        // A later fragment repeats L with another value.
        var b = EAPTLSFragmentation(maximumFragmentSize: 1000, acceptsStart: false)
        _ = try b.receive([0xC0, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02])
        expectEAPError(.inconsistentLength) {
            try b.receive([0xC0, 0x00, 0x00, 0x00, 0x05, 0x03])
        }
        // The last fragment comes early.
        var c = EAPTLSFragmentation(maximumFragmentSize: 1000, acceptsStart: false)
        _ = try c.receive([0xC0, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02])
        expectEAPError(.lengthMismatch) { try c.receive([0x00, 0x03]) }
        // More data than announced.
        var d = EAPTLSFragmentation(maximumFragmentSize: 1000, acceptsStart: false)
        _ = try d.receive([0xC0, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02])
        expectEAPError(.lengthMismatch) { try d.receive([0x40, 0x03, 0x04, 0x05]) }
        // A non-final fragment without data.
        var e = EAPTLSFragmentation(maximumFragmentSize: 1000, acceptsStart: false)
        _ = try e.receive([0xC0, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02])
        expectEAPError(.emptyFragment) { try e.receive([0x40]) }
        // The same L repeated on a later fragment is tolerated.
        var f = EAPTLSFragmentation(maximumFragmentSize: 1000, acceptsStart: false)
        _ = try f.receive([0xC0, 0x00, 0x00, 0x00, 0x03, 0x01])
        #expect(try f.receive([0x80, 0x00, 0x00, 0x00, 0x03, 0x02, 0x03]) == .message([1, 2, 3]))
    }

    @Test("data instead of an ACK while our fragments are pending throws")
    func dataWhilePending() {
        var sender = EAPTLSFragmentation(maximumFragmentSize: 200, acceptsStart: false)
        _ = sender.send(Self.message(500))
        #expect(sender.hasPendingFragments)
        expectEAPError(.unexpectedFragment) { try sender.receive([0x00, 0x16]) }
    }
}
