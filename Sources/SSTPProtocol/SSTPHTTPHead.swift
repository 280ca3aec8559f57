import NIOCore

// The HTTP phase of SSTP (MS-SSTP §3.2.4.1, §4.1) is a single request head and a single response head, after which
// the connection carries raw SSTP packets. These types parse exactly that much HTTP/1.1 (RFC 9112 message syntax),
// strictly and within fixed size limits; they are not a general HTTP implementation.

/// Constants of the SSTP HTTP exchange.
public enum SSTPHTTP {
    /// The request method (§3.2.4.1): "by using the SSTP_DUPLEX_POST method".
    public static let method = "SSTP_DUPLEX_POST"
    /// The well-known URI (§3.2.4.1). Clients may append a `tenantid` query (§3.2.4.1), so only the path is compared.
    public static let path = "/sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/"
    /// "The content-length header field [...] MUST be specified with the content length of ULONGLONG_MAX" (§3.2.4.1).
    public static let contentLength = "18446744073709551615"
    /// The entity header carrying the connection's GUID (§3.2.4.1).
    public static let correlationIDHeader = "SSTPCORRELATIONID"
}

/// An HTTP status code with its reason phrase.
public struct SSTPHTTPStatus: Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var reasonPhrase: String

    public init(code: Int, reasonPhrase: String) {
        precondition((100...999).contains(code), "an HTTP status code has three digits")
        precondition(SSTPHTTPHeader.isSafeFieldValue(reasonPhrase), "reason phrase must be printable ASCII")
        self.code = code
        self.reasonPhrase = reasonPhrase
    }

    public static let ok = SSTPHTTPStatus(code: 200, reasonPhrase: "OK")
    public static let badRequest = SSTPHTTPStatus(code: 400, reasonPhrase: "Bad Request")
    public static let notFound = SSTPHTTPStatus(code: 404, reasonPhrase: "Not Found")
    public static let methodNotAllowed = SSTPHTTPStatus(code: 405, reasonPhrase: "Method Not Allowed")
    public static let uriTooLong = SSTPHTTPStatus(code: 414, reasonPhrase: "URI Too Long")
    public static let requestHeaderFieldsTooLarge = SSTPHTTPStatus(
        code: 431,
        reasonPhrase: "Request Header Fields Too Large"
    )
    public static let notImplemented = SSTPHTTPStatus(code: 501, reasonPhrase: "Not Implemented")
    public static let httpVersionNotSupported = SSTPHTTPStatus(code: 505, reasonPhrase: "HTTP Version Not Supported")

    public var description: String { "\(self.code) \(self.reasonPhrase)" }
}

/// One header field as received or to be sent.
public struct SSTPHTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// RFC 9110 §5.6.2 `tchar`.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Visible ASCII, space and tab (RFC 9110 §5.5 `field-vchar` without `obs-text`).
    static func isFieldValueCharacter(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x7E).contains(byte)
    }

    static func isSafeFieldValue(_ string: String) -> Bool {
        string.utf8.allSatisfy(isFieldValueCharacter)
    }

    /// Parses `name ":" OWS value OWS`; `nil` if malformed.
    static func parse(_ line: ArraySlice<UInt8>) -> SSTPHTTPHeader? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return nil }
        let name = line[line.startIndex..<colon]
        // RFC 9112 §5.1: "No whitespace is allowed between the field name and colon."
        guard name.allSatisfy(isTokenCharacter) else { return nil }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        guard value.allSatisfy(isFieldValueCharacter) else { return nil }
        return SSTPHTTPHeader(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self)
        )
    }
}

/// Collects an HTTP message head from a byte stream, up to and including the empty line, enforcing the limits as
/// bytes arrive (so nothing beyond them is ever buffered).
struct HTTPHeadAccumulator: Sendable {
    enum Progress {
        case needMoreBytes
        case complete
        /// The head, the first line, a header line, or the number of lines exceeded its limit.
        case headTooLarge
        case firstLineTooLong
        case lineTooLong
        case tooManyLines
    }

    let maximumHeadLength: Int
    let maximumLineLength: Int
    let maximumLineCount: Int
    private(set) var bytes: [UInt8] = []
    private var matched = 0
    private var currentLineLength = 0
    private var completedLines = 0

    init(maximumHeadLength: Int, maximumLineLength: Int, maximumLineCount: Int) {
        self.maximumHeadLength = maximumHeadLength
        self.maximumLineLength = maximumLineLength
        self.maximumLineCount = maximumLineCount
    }

    /// Moves bytes from `buffer` into the head until the head is complete or a limit is hit. Bytes after the head
    /// stay in `buffer`.
    mutating func consume(_ buffer: inout ByteBuffer) -> Progress {
        var consumed = 0
        var progress = Progress.needMoreBytes
        for byte in buffer.readableBytesView {
            consumed += 1
            self.bytes.append(byte)
            switch (self.matched, byte) {
            case (0, 0x0D), (2, 0x0D), (1, 0x0A), (3, 0x0A): self.matched += 1
            case (_, 0x0D): self.matched = 1
            default: self.matched = 0
            }
            if byte == 0x0A {
                self.completedLines += 1
                self.currentLineLength = 0
            } else {
                self.currentLineLength += 1
            }
            if self.matched == 4 {
                progress = .complete
                break
            }
            if self.currentLineLength > self.maximumLineLength {
                progress = self.completedLines == 0 ? .firstLineTooLong : .lineTooLong
                break
            }
            if self.completedLines > self.maximumLineCount {
                progress = .tooManyLines
                break
            }
            if self.bytes.count >= self.maximumHeadLength {
                progress = .headTooLarge
                break
            }
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        return progress
    }

    /// The lines of a complete head, without line terminators and without the final empty line; `nil` if a CR or
    /// LF appears other than as CRLF.
    func lines() -> [ArraySlice<UInt8>]? {
        let content = self.bytes.dropLast(4)
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = content.startIndex
        var index = content.startIndex
        while index < content.endIndex {
            switch content[index] {
            case 0x0D:
                guard index + 1 < content.endIndex, content[index + 1] == 0x0A else { return nil }
                lines.append(content[lineStart..<index])
                index += 2
                lineStart = index
            case 0x0A:
                return nil
            default:
                index += 1
            }
        }
        lines.append(content[lineStart..<content.endIndex])
        return lines
    }
}
