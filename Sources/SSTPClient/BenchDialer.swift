import Logging
import NIOCore
import NIOPosix
import SSTPNIO
import SSTPProtocol
import Synchronization
import TLSEngine

/// `SSTPDialer.connect` as the load generator uses it: a TLS context shared by every session (loading the CA file
/// per dial would be client CPU charged to the measurement), an optional local source address (to go past one
/// address's ~28k ephemeral ports), and a probe that counts the SSTP Echo Requests the session received.
enum BenchDialer {
    static func connect(
        _ configuration: DialConfiguration, tlsContext: TLSContext, localAddress: SocketAddress?,
        probe: BenchSessionProbe, group: any EventLoopGroup, logger: Logger
    ) async throws -> TunnelConnection {
        try await SSTPDialer.connect(
            configuration, group: group, logger: logger, tlsContext: tlsContext, localAddress: localAddress,
            extraHandler: { BenchEchoProbeHandler(probe: probe) })
    }
}

/// What the bench learns about one session from outside the client handler.
final class BenchSessionProbe: Sendable {
    /// SSTP_MSG_ECHO_REQUEST messages received; the client state machine answers each with an Echo Response
    /// (MS-SSTP §3.2.5.3.7), so this is also the number of echoes answered.
    let echoRequests = Atomic<Int>(0)
    /// Traffic phase: IPv4 packets this session's uplink sender has written (final once the sender is stopped).
    let uplinkSent = Atomic<Int>(0)
    /// Traffic phase: downlink packets (IPv4/UDP to `BenchTrafficConfiguration.sessionPort`) that came out of the
    /// tunnel, and their IP bytes.
    let downlinkReceived = Atomic<Int>(0)
    let downlinkReceivedBytes = Atomic<Int>(0)

    init() {}
}

/// Passes every byte through unchanged and counts the SSTP Echo Requests in the stream.
///
/// It skips the HTTP response head (up to the blank line, MS-SSTP §3.2.4.1) and then walks the SSTP framing by its
/// headers only (§2.2.1: version, C bit, 12-bit length; a control packet's message type follows, §2.2.3), so it
/// costs a few comparisons per packet and copies nothing. Anything that does not look like SSTP stops the count
/// (the client handler reports the framing error itself).
final class BenchEchoProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        /// Bytes of "\r\n\r\n" matched so far.
        case httpHead(matched: Int)
        /// Header bytes of the next SSTP packet collected so far (a header may straddle reads).
        case header([UInt8])
        /// Bytes left of the current packet's body.
        case body(remaining: Int)
        case stopped
    }

    private static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)
    /// Version byte, flags byte (C bit), 2 length bytes (§2.2.1), then a control message's type (2 bytes, §2.2.3).
    private static let controlHeaderBytes = 6

    private let probe: BenchSessionProbe
    private var phase = Phase.httpHead(matched: 0)

    init(probe: BenchSessionProbe) {
        self.probe = probe
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        scan(unwrapInboundIn(data).readableBytesView)
        context.fireChannelRead(data)
    }

    private func scan(_ bytes: ByteBufferView) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            switch phase {
            case .stopped:
                return
            case .httpHead(var matched):
                while index < bytes.endIndex && matched < Self.headEnd.count {
                    let byte = bytes[index]
                    matched = byte == Self.headEnd[matched] ? matched + 1 : (byte == Self.headEnd[0] ? 1 : 0)
                    index += 1
                }
                phase = matched == Self.headEnd.count ? .header([]) : .httpHead(matched: matched)
            case .header(var header):
                // Four bytes give the C bit and the length; a control packet's message type needs two more.
                var needed = header.count < 4 ? 4 : (header[1] & 0x01 == 1 ? Self.controlHeaderBytes : 4)
                while index < bytes.endIndex && header.count < needed {
                    header.append(bytes[index])
                    index += 1
                    if header.count == 4 && header[1] & 0x01 == 1 { needed = Self.controlHeaderBytes }
                }
                guard header.count == needed else {
                    phase = .header(header)
                    return
                }
                let length = Int(header[2] & 0x0F) << 8 | Int(header[3])
                guard header[0] == SSTPVersion.current, length >= needed else {
                    phase = .stopped
                    return
                }
                if needed == Self.controlHeaderBytes
                    && UInt16(header[4]) << 8 | UInt16(header[5]) == SSTPMessageType.echoRequest.rawValue
                {
                    probe.echoRequests.add(1, ordering: .relaxed)
                }
                phase = length > needed ? .body(remaining: length - needed) : .header([])
            case .body(let remaining):
                let take = min(remaining, bytes.endIndex - index)
                index += take
                phase = take == remaining ? .header([]) : .body(remaining: remaining - take)
            }
        }
    }
}
