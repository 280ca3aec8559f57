import NIOCore

/// An accepted SSTP_DUPLEX_POST request (MS-SSTP §3.2.4.1, §4.1).
public struct SSTPHTTPRequest: Sendable, Hashable {
    /// The `Host` header.
    public var host: String
    /// The `SSTPCORRELATIONID` GUID without braces, if present and well formed ("The SSTP server SHOULD use this
    /// GUID value to log troubleshooting information", §3.2.4.1). Malformed values are dropped, never logged.
    public var correlationID: String?
    /// The query of the request target (for example `tenantid=...`), without the `?`.
    public var query: String?
    /// All header fields, in order.
    public var headers: [SSTPHTTPHeader]

    public init(host: String, correlationID: String?, query: String?, headers: [SSTPHTTPHeader]) {
        self.host = host
        self.correlationID = correlationID
        self.query = query
        self.headers = headers
    }
}

/// A request the server turns away, with the status to answer (see ``SSTPHTTPResponse/refusal(_:)``).
public struct SSTPHTTPRefusal: Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, for logging.
    public enum Reason: Sendable, Hashable {
        case headTooLarge
        case requestLineTooLong
        case headerLineTooLong
        case tooManyHeaders
        case malformedRequestLine
        case malformedHeader
        case unsupportedVersion
        case methodNotAllowed
        case methodNotImplemented
        case wrongPath
        case missingHost
        case duplicateHost
    }

    public var reason: Reason
    public var status: SSTPHTTPStatus

    public init(_ reason: Reason) {
        self.reason = reason
        switch reason {
        case .headTooLarge, .headerLineTooLong, .tooManyHeaders: self.status = .requestHeaderFieldsTooLarge
        case .requestLineTooLong: self.status = .uriTooLong
        case .malformedRequestLine, .malformedHeader, .missingHost, .duplicateHost: self.status = .badRequest
        case .unsupportedVersion: self.status = .httpVersionNotSupported
        case .methodNotAllowed: self.status = .methodNotAllowed
        case .methodNotImplemented: self.status = .notImplemented
        case .wrongPath: self.status = .notFound
        }
    }

    /// The response to send before closing the connection.
    public var response: SSTPHTTPResponse { .refusal(self.status) }

    public var description: String { "\(self.reason) (\(self.status))" }
}

/// The server's parser for the client's request head (MS-SSTP §4.1: the server "validates the method to be
/// SSTP_DUPLEX_POST and the HTTP version to be 1.1 [...] Otherwise, the server fails the request by sending an HTTP
/// error code").
///
/// Feed it the decrypted bytes with ``parse(_:)``; it consumes only the head. Whatever follows the head in the
/// buffer (the client's first SSTP packets) is left there for the SSTP packet parser.
public struct SSTPHTTPRequestParser: Sendable {
    /// Size limits, enforced while bytes arrive.
    public struct Limits: Sendable, Hashable {
        /// The whole head, request line and empty line included.
        public var maximumHeadLength: Int
        /// Any single line.
        public var maximumLineLength: Int
        /// The number of header fields.
        public var maximumHeaderCount: Int

        public init(maximumHeadLength: Int = 4096, maximumLineLength: Int = 1024, maximumHeaderCount: Int = 32) {
            self.maximumHeadLength = maximumHeadLength
            self.maximumLineLength = maximumLineLength
            self.maximumHeaderCount = maximumHeaderCount
        }
    }

    /// The verdict on a complete (or oversized) head.
    public enum Result: Sendable, Hashable {
        case accepted(SSTPHTTPRequest)
        case refused(SSTPHTTPRefusal)
    }

    /// RFC 9110 methods: a request with one of these gets 405 (with `Allow`), any other method 501.
    static let standardMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ]

    private var accumulator: HTTPHeadAccumulator
    private var finished = false

    public init(limits: Limits = Limits()) {
        self.accumulator = HTTPHeadAccumulator(
            maximumHeadLength: limits.maximumHeadLength,
            maximumLineLength: limits.maximumLineLength,
            maximumLineCount: limits.maximumHeaderCount + 1
        )
    }

    /// Consumes head bytes from `buffer`.
    ///
    /// - Returns: `nil` if the head is not complete yet (all of `buffer` was consumed); otherwise the verdict. Call it
    ///   no more after a verdict.
    public mutating func parse(_ buffer: inout ByteBuffer) -> Result? {
        precondition(!self.finished, "the request head was already parsed")
        let progress = self.accumulator.consume(&buffer)
        let result: Result
        switch progress {
        case .needMoreBytes: return nil
        case .complete: result = Self.evaluate(self.accumulator)
        case .headTooLarge: result = .refused(SSTPHTTPRefusal(.headTooLarge))
        case .firstLineTooLong: result = .refused(SSTPHTTPRefusal(.requestLineTooLong))
        case .lineTooLong: result = .refused(SSTPHTTPRefusal(.headerLineTooLong))
        case .tooManyLines: result = .refused(SSTPHTTPRefusal(.tooManyHeaders))
        }
        self.finished = true
        return result
    }

    private static func evaluate(_ head: HTTPHeadAccumulator) -> Result {
        guard let lines = head.lines(), let requestLine = lines.first else {
            return .refused(SSTPHTTPRefusal(.malformedRequestLine))
        }
        // request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(SSTPHTTPHeader.isTokenCharacter),
            parts[1].first == UInt8(ascii: "/"), parts[1].allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            return .refused(SSTPHTTPRefusal(.malformedRequestLine))
        }
        let method = String(decoding: parts[0], as: UTF8.self)
        let target = String(decoding: parts[1], as: UTF8.self)
        let version = String(decoding: parts[2], as: UTF8.self)

        guard version == "HTTP/1.1" else {
            return .refused(SSTPHTTPRefusal(isHTTPVersion(version) ? .unsupportedVersion : .malformedRequestLine))
        }

        var headers: [SSTPHTTPHeader] = []
        for line in lines.dropFirst() {
            // Obsolete line folding (a line starting with whitespace) is rejected too (RFC 9112 §5.2).
            guard let header = SSTPHTTPHeader.parse(line) else {
                return .refused(SSTPHTTPRefusal(.malformedHeader))
            }
            headers.append(header)
        }

        guard method == SSTPHTTP.method else {
            return .refused(
                SSTPHTTPRefusal(standardMethods.contains(method) ? .methodNotAllowed : .methodNotImplemented)
            )
        }

        let pathEnd = target.firstIndex(of: "?") ?? target.endIndex
        guard target[..<pathEnd].lowercased() == SSTPHTTP.path.lowercased() else {
            return .refused(SSTPHTTPRefusal(.wrongPath))
        }
        let query = pathEnd == target.endIndex ? nil : String(target[target.index(after: pathEnd)...])

        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
        // message that lacks a Host header field and to any request message that contains more than one Host
        // header field line or a Host header field with an invalid field value."
        let hosts = headers.filter { $0.name.lowercased() == "host" }
        guard hosts.count <= 1 else {
            return .refused(SSTPHTTPRefusal(.duplicateHost))
        }
        guard let host = hosts.first?.value, !host.isEmpty else {
            return .refused(SSTPHTTPRefusal(.missingHost))
        }

        let correlationID = headers.first { $0.name.uppercased() == SSTPHTTP.correlationIDHeader }
            .flatMap { normalizedGUID($0.value) }

        return .accepted(SSTPHTTPRequest(host: host, correlationID: correlationID, query: query, headers: headers))
    }

    /// `HTTP/<digit>.<digit>` (RFC 9112 §2.3).
    private static func isHTTPVersion(_ version: String) -> Bool {
        let bytes = Array(version.utf8)
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        return bytes.count == 8 && version.hasPrefix("HTTP/") && isDigit(bytes[5]) && bytes[6] == UInt8(ascii: ".")
            && isDigit(bytes[7])
    }

    /// A GUID in the MS-DTYP §2.3.4.3 form `8-4-4-4-12` hex digits, with or without braces; returned without braces.
    static func normalizedGUID(_ value: String) -> String? {
        var guid = Substring(value)
        if guid.hasPrefix("{") && guid.hasSuffix("}") && guid.count >= 2 {
            guid = guid.dropFirst().dropLast()
        }
        let groups = guid.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
            groups.allSatisfy({ $0.allSatisfy(\.isHexDigit) && $0.allSatisfy(\.isASCII) })
        else {
            return nil
        }
        return String(guid)
    }
}
