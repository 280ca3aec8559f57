import NIOCore
import SSTPProtocol
import Testing

@Suite("SSTP HTTP handshake")
struct SSTPHTTPHandshakeTests {
    static let path = "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"

    /// The request of MS-SSTP §4.1 / protocol.md §1.1, as sstp-client sends it.
    static let request =
        "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\n"
        + "Host: vpn.example.com\r\n"
        + "Content-Length: 18446744073709551615\r\n"
        + "SSTPCORRELATIONID: {3F2504E0-4F89-11D3-9A0C-0305E82C3301}\r\n"
        + "\r\n"

    static func parseRequest(
        _ text: String,
        limits: SSTPHTTPRequestParser.Limits = .init()
    )
        -> SSTPHTTPRequestParser.Result?
    {
        var parser = SSTPHTTPRequestParser(limits: limits)
        var buffer = ByteBuffer(string: text)
        return parser.parse(&buffer)
    }

    static func refusal(_ text: String, limits: SSTPHTTPRequestParser.Limits = .init()) -> SSTPHTTPRefusal? {
        guard case .refused(let refusal) = parseRequest(text, limits: limits) else { return nil }
        return refusal
    }

    @Test("the SSTP request is accepted, one byte at a time, leaving the SSTP bytes that follow")
    func acceptsByteAtATime() {
        var parser = SSTPHTTPRequestParser()
        let trailing = hex("10 01 00 0E 00 01 00 01 00 01 00 06 00 01")
        let bytes = Array(Self.request.utf8) + trailing
        var result: SSTPHTTPRequestParser.Result?
        var remainder = ByteBuffer()
        for (index, byte) in bytes.enumerated() {
            var buffer = ByteBuffer(bytes: [byte])
            if let verdict = parser.parse(&buffer) {
                result = verdict
                #expect(index == Self.request.utf8.count - 1)
                remainder = ByteBuffer(bytes: bytes[(index + 1)...])
                break
            }
            #expect(buffer.readableBytes == 0)
        }
        let expected = SSTPHTTPRequest(
            host: "vpn.example.com",
            correlationID: "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
            query: nil,
            headers: [
                SSTPHTTPHeader(name: "Host", value: "vpn.example.com"),
                SSTPHTTPHeader(name: "Content-Length", value: "18446744073709551615"),
                SSTPHTTPHeader(name: "SSTPCORRELATIONID", value: "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}"),
            ]
        )
        #expect(result == .accepted(expected))
        #expect(Array(remainder.readableBytesView) == trailing)
    }

    @Test("bytes after the head stay in the caller's buffer")
    func leavesTrailingBytes() {
        var parser = SSTPHTTPRequestParser()
        var buffer = ByteBuffer(string: Self.request)
        buffer.writeBytes(hex("10 01 00 08 00 08 00 00"))
        guard case .accepted = parser.parse(&buffer) else {
            Issue.record("expected the request to be accepted")
            return
        }
        #expect(Array(buffer.readableBytesView) == hex("10 01 00 08 00 08 00 00"))
    }

    @Test("query string, lower-case GUID path, correlation ID without braces, header name case")
    func lenientWhereTheSpecAllows() {
        let text =
            "SSTP_DUPLEX_POST /sra_{ba195980-cd49-458b-9e23-c84ee0adcd75}/?tenantid=contoso HTTP/1.1\r\n"
            + "host: vpn\r\n"
            + "SstpCorrelationID: 3f2504e0-4f89-11d3-9a0c-0305e82c3301\r\n\r\n"
        guard case .accepted(let request) = Self.parseRequest(text) else {
            Issue.record("expected the request to be accepted")
            return
        }
        #expect(request.host == "vpn")
        #expect(request.query == "tenantid=contoso")
        #expect(request.correlationID == "3f2504e0-4f89-11d3-9a0c-0305e82c3301")
    }

    @Test("a malformed correlation ID is dropped, not refused")
    func malformedCorrelationID() {
        let text = "SSTP_DUPLEX_POST \(Self.path) HTTP/1.1\r\nHost: vpn\r\nSSTPCORRELATIONID: {not-a-guid}\r\n\r\n"
        guard case .accepted(let request) = Self.parseRequest(text) else {
            Issue.record("expected the request to be accepted")
            return
        }
        #expect(request.correlationID == nil)
    }

    struct RefusalCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var reason: SSTPHTTPRefusal.Reason
        var status: Int
        var testDescription: String { self.name }
    }

    static let refusals: [RefusalCase] = [
        RefusalCase(
            name: "GET",
            text: "GET / HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .methodNotAllowed,
            status: 405
        ),
        RefusalCase(
            name: "HEAD health check on the SSTP path",
            text: "HEAD \(path) HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .methodNotAllowed,
            status: 405
        ),
        RefusalCase(
            name: "unknown method",
            text: "BREW \(path) HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .methodNotImplemented,
            status: 501
        ),
        RefusalCase(
            name: "wrong path",
            text: "SSTP_DUPLEX_POST /sra_{00000000-0000-0000-0000-000000000000}/ HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .wrongPath,
            status: 404
        ),
        RefusalCase(
            name: "path without the trailing slash",
            text: "SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75} HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .wrongPath,
            status: 404
        ),
        RefusalCase(
            name: "HTTP/1.0",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.0\r\nHost: vpn\r\n\r\n",
            reason: .unsupportedVersion,
            status: 505
        ),
        RefusalCase(
            name: "not HTTP",
            text: "SSTP_DUPLEX_POST \(path) SSTP/1.0\r\nHost: vpn\r\n\r\n",
            reason: .malformedRequestLine,
            status: 400
        ),
        RefusalCase(
            name: "two spaces in the request line",
            text: "SSTP_DUPLEX_POST  \(path) HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .malformedRequestLine,
            status: 400
        ),
        RefusalCase(
            name: "bare LF line ends",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\nHost: vpn\r\n\r\n",
            reason: .malformedRequestLine,
            status: 400
        ),
        RefusalCase(
            name: "space before the colon",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost : vpn\r\n\r\n",
            reason: .malformedHeader,
            status: 400
        ),
        RefusalCase(
            name: "obsolete line folding",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost: vpn\r\n  folded\r\n\r\n",
            reason: .malformedHeader,
            status: 400
        ),
        RefusalCase(
            name: "control character in a value",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost: v\u{01}pn\r\n\r\n",
            reason: .malformedHeader,
            status: 400
        ),
        RefusalCase(
            name: "no Host",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nSSTPCORRELATIONID: x\r\n\r\n",
            reason: .missingHost,
            status: 400
        ),
        RefusalCase(
            name: "two Hosts",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n",
            reason: .duplicateHost,
            status: 400
        ),
        RefusalCase(
            name: "a header line over 1024 bytes",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost: vpn\r\nX: \(String(repeating: "a", count: 1100))\r\n\r\n",
            reason: .headerLineTooLong,
            status: 431
        ),
        RefusalCase(
            name: "a request line over 1024 bytes",
            text: "SSTP_DUPLEX_POST /\(String(repeating: "a", count: 1100)) HTTP/1.1\r\nHost: vpn\r\n\r\n",
            reason: .requestLineTooLong,
            status: 414
        ),
        RefusalCase(
            name: "33 headers",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost: vpn\r\n"
                + String(repeating: "X-A: b\r\n", count: 32) + "\r\n",
            reason: .tooManyHeaders,
            status: 431
        ),
        RefusalCase(
            name: "a head over 4096 bytes",
            text: "SSTP_DUPLEX_POST \(path) HTTP/1.1\r\nHost: vpn\r\n"
                + String(repeating: "X-Padding: \(String(repeating: "p", count: 200))\r\n", count: 20) + "\r\n",
            reason: .headTooLarge,
            status: 431
        ),
    ]

    @Test("refusals", arguments: refusals)
    func refuses(_ refusalCase: RefusalCase) {
        let refusal = Self.refusal(refusalCase.text)
        #expect(refusal?.reason == refusalCase.reason)
        #expect(refusal?.status.code == refusalCase.status)
    }

    @Test("an oversized head is refused without waiting for its end")
    func oversizedHeadRefusedEarly() {
        var parser = SSTPHTTPRequestParser()
        var buffer = ByteBuffer(string: "SSTP_DUPLEX_POST \(Self.path) HTTP/1.1\r\n")
        #expect(parser.parse(&buffer) == nil)
        var junk = ByteBuffer(repeating: UInt8(ascii: "a"), count: 2000)
        let result = parser.parse(&junk)
        #expect(result == .refused(SSTPHTTPRefusal(.headerLineTooLong)))
        #expect(junk.readableBytes < 1000)
    }

    // MARK: Responses

    @Test("the 200 response, byte for byte")
    func successResponse() {
        var buffer = ByteBuffer()
        SSTPHTTPResponse.success(server: "sstpd", date: "Thu, 09 Nov 2006 00:51:09 GMT").write(into: &buffer)
        let expected =
            "HTTP/1.1 200 OK\r\n"
            + "Content-Length: 18446744073709551615\r\n"
            + "Server: sstpd\r\n"
            + "Date: Thu, 09 Nov 2006 00:51:09 GMT\r\n"
            + "\r\n"
        #expect(String(buffer: buffer) == expected)
    }

    @Test("the 200 response without optional headers")
    func minimalSuccessResponse() {
        var buffer = ByteBuffer()
        SSTPHTTPResponse.success(server: nil).write(into: &buffer)
        #expect(String(buffer: buffer) == "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n")
    }

    @Test("error responses, byte for byte")
    func errorResponses() {
        var notFound = ByteBuffer()
        SSTPHTTPResponse.refusal(.notFound).write(into: &notFound)
        #expect(String(buffer: notFound) == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        var notAllowed = ByteBuffer()
        SSTPHTTPRefusal(.methodNotAllowed).response.write(into: &notAllowed)
        #expect(
            String(buffer: notAllowed)
                == "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n"
                + "Allow: SSTP_DUPLEX_POST\r\n\r\n"
        )
    }

    // MARK: Client side

    @Test("the client request, byte for byte, is accepted by the server parser")
    func clientRequest() {
        var buffer = ByteBuffer()
        SSTPHTTPClientRequest.write(
            host: "vpn.example.com",
            correlationID: "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
            into: &buffer
        )
        #expect(String(buffer: buffer) == Self.request)
        var parser = SSTPHTTPRequestParser()
        guard case .accepted(let request) = parser.parse(&buffer) else {
            Issue.record("expected the request to be accepted")
            return
        }
        #expect(request.correlationID == "3F2504E0-4F89-11D3-9A0C-0305E82C3301")
    }

    static func parseResponse(_ text: String) -> SSTPHTTPResponseParser.Result? {
        var parser = SSTPHTTPResponseParser()
        var buffer = ByteBuffer(string: text)
        return parser.parse(&buffer)
    }

    @Test("the MS-SSTP §4.1 response is accepted, one byte at a time, leaving the SSTP bytes that follow")
    func responseByteAtATime() {
        let text =
            "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\nServer: Microsoft-HTTPAPI/2.0\r\n"
            + "Date: Thu, 09 Nov 2006 00:51:09 GMT\r\n\r\n"
        let bytes = Array(text.utf8) + hex("10 01 00 08 00 08 00 00")
        var parser = SSTPHTTPResponseParser()
        for (index, byte) in bytes.enumerated() {
            var buffer = ByteBuffer(bytes: [byte])
            if let result = parser.parse(&buffer) {
                #expect(result == .accepted)
                #expect(index == text.utf8.count - 1)
                return
            }
        }
        Issue.record("the response was never complete")
    }

    @Test(
        "responses the client rejects",
        arguments: [
            ("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", SSTPHTTPResponseParser.Rejection.status(404)),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .unexpectedContentLength),
            ("HTTP/1.1 2OO OK\r\n\r\n", .malformedResponse),
            ("SSTP/1.0 200 OK\r\n\r\n", .malformedResponse),
            ("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", .malformedResponse),
        ]
    )
    func rejectedResponses(_ text: String, _ rejection: SSTPHTTPResponseParser.Rejection) {
        #expect(Self.parseResponse(text) == .rejected(rejection))
    }

    @Test("a 200 without Content-Length or reason phrase is accepted")
    func bareSuccess() {
        #expect(Self.parseResponse("HTTP/1.1 200\r\n\r\n") == .accepted)
        #expect(Self.parseResponse("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n") == .accepted)
    }
}
