import NIOCore

/// A response head the server sends: `200 OK` to start SSTP, or an error before closing (MS-SSTP §4.1).
public struct SSTPHTTPResponse: Sendable, Hashable {
    public var status: SSTPHTTPStatus
    public var headers: [SSTPHTTPHeader]

    /// The longest value accepted for the optional `Server` and `Date` headers.
    static let maximumOptionalHeaderLength = 64

    public init(status: SSTPHTTPStatus, headers: [SSTPHTTPHeader]) {
        for header in headers {
            precondition(
                !header.name.isEmpty && header.name.utf8.allSatisfy(SSTPHTTPHeader.isTokenCharacter),
                "invalid header name"
            )
            precondition(SSTPHTTPHeader.isSafeFieldValue(header.value), "header values must be printable ASCII")
        }
        self.status = status
        self.headers = headers
    }

    /// The success response: `HTTP/1.1 200 OK`, `Content-Length: 18446744073709551615`, and at most two short
    /// optional headers.
    ///
    /// Few headers on purpose: sstp-client reads the status at a fixed offset and the headers into a fixed array
    /// of 7 entries (`sstp-buff.c`), and requires Content-Length, when present, to be ULONGLONG_MAX
    /// (`sstp-http.c`).
    ///
    /// - Parameters:
    ///   - server: the `Server` value, or `nil` for none.
    ///   - date: an IMF-fixdate such as `Thu, 09 Nov 2006 00:51:09 GMT` (RFC 9110 §5.6.7), computed by the caller,
    ///     or `nil` for none.
    public static func success(server: String? = "sstpd", date: String? = nil) -> SSTPHTTPResponse {
        var headers = [SSTPHTTPHeader(name: "Content-Length", value: SSTPHTTP.contentLength)]
        if let server {
            precondition(server.utf8.count <= maximumOptionalHeaderLength, "Server header too long")
            headers.append(SSTPHTTPHeader(name: "Server", value: server))
        }
        if let date {
            precondition(date.utf8.count <= maximumOptionalHeaderLength, "Date header too long")
            headers.append(SSTPHTTPHeader(name: "Date", value: date))
        }
        return SSTPHTTPResponse(status: .ok, headers: headers)
    }

    /// An error response without a body: `Content-Length: 0` and `Connection: close` (plus `Allow` for 405, which
    /// RFC 9110 §15.5.6 requires). The connection is to be closed after sending it.
    public static func refusal(_ status: SSTPHTTPStatus) -> SSTPHTTPResponse {
        var headers = [
            SSTPHTTPHeader(name: "Content-Length", value: "0"),
            SSTPHTTPHeader(name: "Connection", value: "close"),
        ]
        if status.code == SSTPHTTPStatus.methodNotAllowed.code {
            headers.append(SSTPHTTPHeader(name: "Allow", value: SSTPHTTP.method))
        }
        return SSTPHTTPResponse(status: status, headers: headers)
    }

    /// Writes the response head and returns the number of bytes written.
    @discardableResult
    public func write(into buffer: inout ByteBuffer) -> Int {
        var written = buffer.writeString("HTTP/1.1 \(self.status.code) \(self.status.reasonPhrase)\r\n")
        for header in self.headers {
            written += buffer.writeString("\(header.name): \(header.value)\r\n")
        }
        written += buffer.writeString("\r\n")
        return written
    }
}

/// The client side of the HTTP phase, for `sstp-dial` (MS-SSTP §3.2.4.1).
public enum SSTPHTTPClientRequest {
    /// Writes the SSTP_DUPLEX_POST request head and returns the number of bytes written.
    ///
    /// - Parameters:
    ///   - host: the server name, as dialled.
    ///   - correlationID: a fresh GUID for this connection attempt ("a newly generated GUID string (for each new SSTP
    ///     client connection attempt)"), with or without braces; it is sent in braces.
    @discardableResult
    public static func write(host: String, correlationID: String, into buffer: inout ByteBuffer) -> Int {
        precondition(!host.isEmpty && SSTPHTTPHeader.isSafeFieldValue(host), "invalid host")
        guard let guid = SSTPHTTPRequestParser.normalizedGUID(correlationID) else {
            preconditionFailure("the correlation ID must be a GUID")
        }
        let head =
            "\(SSTPHTTP.method) \(SSTPHTTP.path) HTTP/1.1\r\n"
            + "Host: \(host)\r\n"
            + "Content-Length: \(SSTPHTTP.contentLength)\r\n"
            + "\(SSTPHTTP.correlationIDHeader): {\(guid)}\r\n"
            + "\r\n"
        return buffer.writeString(head)
    }
}

/// The client's parser for the server's response head.
///
/// Accepts only status 200 with, if present, `Content-Length: 18446744073709551615` (the checks sstp-client makes,
/// `sstp-http.c`). It consumes only the head; SSTP packets that follow stay in the buffer.
public struct SSTPHTTPResponseParser: Sendable {
    /// Why the response does not open an SSTP session.
    public enum Rejection: Sendable, Hashable {
        /// The head is not valid HTTP/1.x, or exceeds the size limits.
        case malformedResponse
        /// The server answered with another status.
        case status(Int)
        /// `Content-Length` is present but is not ULONGLONG_MAX.
        case unexpectedContentLength
    }

    public enum Result: Sendable, Hashable {
        case accepted
        case rejected(Rejection)
    }

    private var accumulator: HTTPHeadAccumulator
    private var finished = false

    public init(maximumHeadLength: Int = 4096, maximumLineLength: Int = 1024, maximumHeaderCount: Int = 32) {
        self.accumulator = HTTPHeadAccumulator(
            maximumHeadLength: maximumHeadLength,
            maximumLineLength: maximumLineLength,
            maximumLineCount: maximumHeaderCount + 1
        )
    }

    /// Consumes head bytes from `buffer`; `nil` until the head is complete. Call it no more after a result.
    public mutating func parse(_ buffer: inout ByteBuffer) -> Result? {
        precondition(!self.finished, "the response head was already parsed")
        let result: Result
        switch self.accumulator.consume(&buffer) {
        case .needMoreBytes: return nil
        case .complete: result = Self.evaluate(self.accumulator)
        case .headTooLarge, .firstLineTooLong, .lineTooLong, .tooManyLines: result = .rejected(.malformedResponse)
        }
        self.finished = true
        return result
    }

    private static func evaluate(_ head: HTTPHeadAccumulator) -> Result {
        guard let lines = head.lines(), let statusLine = lines.first else {
            return .rejected(.malformedResponse)
        }
        // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4).
        let bytes = Array(statusLine)
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard bytes.count >= 12, bytes[0..<7].elementsEqual("HTTP/1.".utf8), digits.contains(bytes[7]),
            bytes[8] == 0x20, bytes[9..<12].allSatisfy(digits.contains), bytes.count == 12 || bytes[12] == 0x20
        else {
            return .rejected(.malformedResponse)
        }
        let code = bytes[9..<12].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }

        var headers: [SSTPHTTPHeader] = []
        for line in lines.dropFirst() {
            guard let header = SSTPHTTPHeader.parse(line) else { return .rejected(.malformedResponse) }
            headers.append(header)
        }
        guard code == 200 else {
            return .rejected(.status(code))
        }
        for header in headers where header.name.lowercased() == "content-length" {
            guard header.value == SSTPHTTP.contentLength else { return .rejected(.unexpectedContentLength) }
        }
        return .accepted
    }
}
