import AddressPool
import GatewayPolicy
import Logging
import NIOCore
import Synchronization
import struct NIOConcurrencyHelpers.NIOLockedValueBox

/// The accept-time guard against slow and half-open connection floods: caps on connections that have not reached
/// Call Connected, per client address (`limits.max_unauthenticated_per_address`) and in all
/// (`limits.max_unauthenticated`), with the policy of `UnauthenticatedAdmission` (a full table evicts its oldest
/// connection). Every connection is checked before TLS starts; a refused one is closed at once without a byte sent.
///
/// Each deadline still applies on top (`sstp.handshake_timeout` for TLS + the HTTP request, then the SSTP
/// negotiation timer): the caps bound how many such connections exist at once, the deadlines how long each lives.
///
/// Thread-safe: one lock around the table, taken once per accept and once per release (authentication or close).
final class ConnectionAdmission: Sendable {
    private struct State {
        var table = UnauthenticatedAdmission()
        /// How to close each held connection (for eviction), and its peer for the log.
        var held: [UInt64: (peer: String, close: @Sendable () -> Void)] = [:]
        /// Refusal and eviction lines are rate limited: a flood must not flood the log as well.
        var lastLogged: UInt64 = 0
        var suppressed = 0
    }

    private let state = NIOLockedValueBox(State())
    /// At most one refusal or eviction line per this many nanoseconds; the next line says how many were left out.
    static let logInterval: UInt64 = 1_000_000_000

    init() {}

    /// Decides on a newly accepted connection. Returns its ticket (release it when the call connects; it is released
    /// when the channel closes in any case), or nil when it is refused: then the caller must close the channel.
    func admit(_ channel: any Channel, gateway: GatewayServer) -> AdmissionTicket? {
        let configuration = gateway.configuration
        let limits = UnauthenticatedAdmission.Limits(
            perAddress: configuration.maxUnauthenticatedPerAddress, total: configuration.maxUnauthenticated)
        let address = channel.remoteAddress
        let ip = address?.ipAddress ?? "?"
        let peer = address.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        let now = NIODeadline.now().uptimeNanoseconds
        let (decision, evicted, logLine) = state.withLockedValue { s -> (UnauthenticatedAdmission.Decision, [(String, @Sendable () -> Void)], Int?) in
            let decision = s.table.admit(address: ip, limits: limits)
            var evicted: [(String, @Sendable () -> Void)] = []
            switch decision {
            case .refusedPerAddress:
                break
            case .admitted(let ticket, let tickets):
                evicted = tickets.compactMap { s.held.removeValue(forKey: $0) }
                s.held[ticket] = (peer, { [channel] in channel.close(promise: nil) })
                if tickets.isEmpty { return (decision, [], nil) }
            }
            // A refusal or an eviction: log it unless one was logged within the interval.
            if s.lastLogged != 0 && now &- s.lastLogged < Self.logInterval {
                s.suppressed += 1
                return (decision, evicted, nil)
            }
            let suppressed = s.suppressed
            s.lastLogged = now
            s.suppressed = 0
            return (decision, evicted, suppressed)
        }
        var logger = gateway.logger
        logger[metadataKey: "peer"] = "\(peer)"
        switch decision {
        case .refusedPerAddress:
            gateway.counters.unauthenticatedPerAddressRefusals.add(1, ordering: .relaxed)
            gateway.metrics.failure(.unauthenticatedLimit)
            if let suppressed = logLine {
                logger.warning(
                    "refused connection: too many unauthenticated connections from this address",
                    metadata: ["limit": "\(limits.perAddress)", "suppressed": "\(suppressed)"])
            }
            return nil
        case .admitted(let ticket, _):
            for (evictedPeer, close) in evicted {
                gateway.counters.unauthenticatedEvictions.add(1, ordering: .relaxed)
                gateway.metrics.failure(.unauthenticatedLimit)
                close()
                if let suppressed = logLine {
                    logger.warning(
                        "closed the oldest unauthenticated connection to make room",
                        metadata: ["closed-peer": "\(evictedPeer)", "limit": "\(limits.total)", "suppressed": "\(suppressed)"])
                }
            }
            return AdmissionTicket(id: ticket, admission: self)
        }
    }

    fileprivate func release(_ ticket: UInt64) {
        state.withLockedValue { s in
            s.held.removeValueAndShrink(forKey: ticket)
            s.table.release(ticket)
        }
    }

    /// Unauthenticated connections held now (for tests and status).
    var count: Int { state.withLockedValue { $0.table.count } }
}

/// One admitted connection's place in the table; `release()` is idempotent and thread-safe.
final class AdmissionTicket: Sendable {
    let id: UInt64
    private let admission: ConnectionAdmission
    private let released = Atomic<Bool>(false)

    fileprivate init(id: UInt64, admission: ConnectionAdmission) {
        self.id = id
        self.admission = admission
    }

    /// The connection authenticated (call connected) or closed.
    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        admission.release(id)
    }
}

/// Stands in for the pipeline of a refused connection: closes it as soon as it is active, reading nothing.
final class RefusedConnectionHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
