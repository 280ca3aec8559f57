import NIOCore
import Testing

@testable import PPPAuth

/// Byte vectors written by hand from the RFC 1994 §4 / RFC 2759 §3–§6 layouts.
enum Vectors {
    /// Challenge, Identifier 0x2A, Length 26, Value-Size 16, RFC 2759 challenge, Name "sstpd".
    static let challenge = hex("01 2A 001A 10 5B5D7C7D7B3F2F3E3C2C602132262628 7373747064")
    /// Response, Identifier 0x2A, Length 58, Value-Size 49: Peer-Challenge, 8 reserved zeros, NT-Response,
    /// Flags 0, Name "User".
    static let response = hex(
        """
        02 2A 003A 31
        21402324255E262A28295F2B3A337C7E 0000000000000000
        82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF 00
        55736572
        """
    )
    static let successText = "S=407A5589115FD0D6209F510FE9C04566932CDA56 M=Access granted"
    /// Success, Identifier 0x2A, Length 63.
    static let success = hex("03 2A 003F") + Array(successText.utf8)
    static let failureText = "E=691 R=1 C=0123456789ABCDEF0123456789ABCDEF V=3 M=Authentication failed"
    /// Failure, Identifier 0x2A, Length 76.
    static let failure = hex("04 2A 004C") + Array(failureText.utf8)
}

@Suite struct MSCHAPv2PacketTests {
    private func parse(_ bytes: [UInt8]) throws(PPPAuthError) -> MSCHAPv2Packet {
        var b = buffer(bytes)
        let packet = try b.readMSCHAPv2Packet()
        #expect(b.readableBytes == 0)
        return packet
    }

    private func serialize(_ packet: MSCHAPv2Packet) -> [UInt8] {
        var b = ByteBuffer()
        let written = b.writeMSCHAPv2Packet(packet)
        #expect(written == b.readableBytes)
        return Array(b.readableBytesView)
    }

    private func expectError(
        _ bytes: [UInt8],
        _ code: PPPAuthError.Code,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try self.parse(bytes)
            Issue.record("expected \(code)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == code, sourceLocation: sourceLocation)
        }
    }

    @Test func challengeVector() throws {
        let value = MSCHAPv2Packet.challenge(
            MSCHAPv2Challenge(identifier: 0x2A, challenge: RFC2759.authenticatorChallenge, name: Array("sstpd".utf8))
        )
        #expect(try self.parse(Vectors.challenge) == value)
        #expect(self.serialize(value) == Vectors.challenge)
    }

    @Test func responseVector() throws {
        let value = MSCHAPv2Packet.response(
            MSCHAPv2Response(
                identifier: 0x2A,
                peerChallenge: RFC2759.peerChallenge,
                ntResponse: RFC2759.ntResponse,
                flags: 0,
                name: Array("User".utf8)
            )
        )
        #expect(try self.parse(Vectors.response) == value)
        #expect(self.serialize(value) == Vectors.response)
    }

    @Test func successVector() throws {
        let value = MSCHAPv2Packet.success(
            MSCHAPv2Success(
                identifier: 0x2A,
                authenticatorResponse: RFC2759.authenticatorResponse,
                message: "Access granted"
            )
        )
        #expect(try self.parse(Vectors.success) == value)
        #expect(self.serialize(value) == Vectors.success)
    }

    @Test func successWithoutMessagePart() throws {
        let bytes = hex("03 07 002E") + Array(RFC2759.authenticatorResponse.utf8)
        let value = MSCHAPv2Packet.success(
            MSCHAPv2Success(identifier: 7, authenticatorResponse: RFC2759.authenticatorResponse, message: nil)
        )
        #expect(try self.parse(bytes) == value)
        #expect(self.serialize(value) == bytes)
    }

    @Test func failureVector() throws {
        let value = MSCHAPv2Packet.failure(
            MSCHAPv2Failure(
                identifier: 0x2A,
                error: 691,
                retryAllowed: true,
                challenge: hex("0123456789ABCDEF0123456789ABCDEF"),
                version: 3,
                message: "Authentication failed"
            )
        )
        #expect(try self.parse(Vectors.failure) == value)
        #expect(self.serialize(value) == Vectors.failure)
    }

    @Test func failureParsingIsTolerantOfOrderUnknownFieldsAndMissingOptionals() throws {
        let text = "E=648 X=9 R=0 V=2 M=Password expired, call the helpdesk"
        let bytes = hex("04 01") + [0, UInt8(4 + text.utf8.count)] + Array(text.utf8)
        guard case .failure(let failure) = try self.parse(bytes) else {
            Issue.record("not a Failure")
            return
        }
        #expect(failure.error == MSCHAPv2Failure.ErrorCode.passwordExpired)
        #expect(!failure.retryAllowed)
        #expect(failure.challenge == nil)
        #expect(failure.version == 2)
        #expect(failure.message == "Password expired, call the helpdesk")
    }

    @Test func paddingBeyondLengthIsIgnored() throws {
        #expect(try self.parse(Vectors.challenge + [0, 0, 0]) == (try self.parse(Vectors.challenge)))
    }

    @Test func identifierAccessor() throws {
        #expect(try self.parse(Vectors.response).identifier == 0x2A)
    }

    @Test func rejectsShortHeader() {
        self.expectError([], .truncatedPacket)
        self.expectError(hex("01 01 00"), .truncatedPacket)
    }

    @Test func rejectsLengthBeyondData() {
        // Challenge claiming 27 octets with 26 present.
        self.expectError(hex("01 2A 001B 10 5B5D7C7D7B3F2F3E3C2C602132262628 7373747064"), .truncatedPacket)
    }

    @Test func rejectsLengthBelowHeader() {
        self.expectError(hex("03 01 0003 00"), .invalidLength)
    }

    @Test func rejectsChallengeShorterThanValue() {
        // Length 20: Value-Size 16 but only 15 value octets inside Length (one more byte is padding).
        self.expectError(hex("01 2A 0014 10 5B5D7C7D7B3F2F3E3C2C6021322626 28"), .invalidLength)
        self.expectError(hex("01 2A 0004"), .invalidLength)
    }

    @Test func rejectsWrongValueSize() {
        self.expectError(hex("01 2A 001A 11 5B5D7C7D7B3F2F3E3C2C602132262628 7373747064"), .invalidValueSize)
        var response = Vectors.response
        response[4] = 0x30
        self.expectError(response, .invalidValueSize)
    }

    @Test func rejectsUnsupportedCodes() {
        // Code 7 is MS-CHAPv2 Change-Password (RFC 2759 §7), not supported.
        self.expectError(hex("07 01 0004"), .unsupportedCode)
        self.expectError(hex("00 01 0004"), .unsupportedCode)
    }

    @Test func rejectsOverlongUserName() {
        let name = [UInt8](repeating: 0x61, count: 257)
        let length = 4 + 1 + 49 + name.count
        let bytes = hex("02 01") + [UInt8(length >> 8), UInt8(length & 0xFF)] + Array(Vectors.response[4..<54]) + name
        self.expectError(bytes, .nameTooLong)
        // 256 octets is allowed.
        let okLength = length - 1
        let ok =
            hex("02 01") + [UInt8(okLength >> 8), UInt8(okLength & 0xFF)] + Array(Vectors.response[4..<54])
            + name.dropLast()
        #expect(throws: Never.self) { _ = try self.parse(ok) }
    }

    @Test func rejectsMalformedSuccess() {
        for text in [
            "M=Access granted",
            "S=407A5589115FD0D6209F510FE9C04566932CDA5",
            "S=407A5589115FD0D6209F510FE9C04566932CDAZZ M=x",
            "S=407A5589115FD0D6209F510FE9C04566932CDA56 X",
        ] {
            self.expectError(
                hex("03 01") + [0, UInt8(4 + text.utf8.count)] + Array(text.utf8),
                .malformedSuccessMessage
            )
        }
    }

    @Test func rejectsMalformedFailure() {
        for text in [
            "R=0 C=0123456789ABCDEF0123456789ABCDEF V=3 M=x",  // no E=
            "E=abc R=0",
            "E=691 R=2",
            "E=691 R=0 C=0123",
            "E=691 R=0 C=0123456789ABCDEF0123456789ABCDEG",
            "E=691 V=three",
        ] {
            self.expectError(
                hex("04 01") + [0, UInt8(4 + text.utf8.count)] + Array(text.utf8),
                .malformedFailureMessage
            )
        }
    }

    @Test func errorDescriptionsCarryNoPayload() {
        let error = #expect(throws: PPPAuthError.self) { _ = try self.parse(hex("04 01 0008") + Array("R=0 ".utf8)) }
        #expect(error?.description == "PPPAuthError.malformedFailureMessage: no E=")
    }
}
