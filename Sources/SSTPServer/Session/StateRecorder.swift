import AddressPool
import Dispatch
import Foundation
import GatewayStore
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// Writes leases and accounting records to the state store, off the event loops and in order.
///
/// Every write goes to one serial Dispatch queue: a session's start, flushes and stop reach SQLite in the order they
/// happened, and no event loop waits for the disk. A failed write is logged and counted, never fatal: the data path
/// keeps running when the disk is full.
final class StateRecorder: Sendable {
    let store: GatewayStore
    let logger: Logger
    private let queue = DispatchQueue(label: "sstpd.state")
    /// Session id → accounting row. Touched only on `queue`.
    private let rows = NIOLockedValueBox<[UInt64: Int64]>([:])
    /// Writes that failed (logged each time; `sstpctl status` shows the count as `state_write_failures`).
    let failures = NIOLockedValueBox<Int>(0)

    init(store: GatewayStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    private func write(_ what: String, _ body: @escaping @Sendable () throws -> Void) {
        queue.async { [self] in
            do {
                try body()
            } catch {
                failures.withLockedValue { $0 += 1 }
                logger.error("state store write failed", metadata: ["write": "\(what)", "error": "\(error)"])
            }
        }
    }

    func leased(address: IPv4Address, user: String, sessionKey: String) {
        let lease = GatewayStore.Lease(address: "\(address)", user: user, sessionKey: sessionKey, since: Date())
        write("lease") { [store] in try store.recordLease(lease) }
    }

    func released(address: IPv4Address) {
        write("lease release") { [store] in _ = try store.removeLease(address: "\(address)") }
    }

    /// The call is connected (crypto binding verified): the session's accounting record starts.
    func sessionStarted(
        sessionID: UInt64, sessionKey: String, user: String, address: IPv4Address?, peer: String, method: String,
        cryptoBinding: String?
    ) {
        let now = Date()
        write("accounting start") { [store, rows] in
            let id = try store.startAccounting(
                sessionKey: sessionKey, user: user, address: address.map { "\($0)" }, peer: peer, method: method,
                cryptoBinding: cryptoBinding, at: now)
            rows.withLockedValue { $0[sessionID] = id }
        }
    }

    func sessionEnded(sessionID: UInt64, counters: SessionCounters, reason: String) {
        let snapshot = Self.snapshot(counters)
        let now = Date()
        write("accounting stop") { [store, rows] in
            guard let id = rows.withLockedValue({ $0.removeValueAndShrink(forKey: sessionID) }) else { return }
            try store.stopAccounting(id: id, counters: snapshot, reason: reason, at: now)
        }
    }

    /// Writes every live session's counters in one transaction (the periodic flush).
    func flush(_ sessions: [SessionInfo]) {
        let snapshots = sessions.map { ($0.id, Self.snapshot($0.counters)) }
        let now = Date()
        write("accounting flush") { [store, rows, logger] in
            let ids = rows.withLockedValue { $0 }
            let batch = snapshots.compactMap { entry in ids[entry.0].map { (id: $0, counters: entry.1) } }
            guard !batch.isEmpty else { return }
            try store.flushAccounting(batch, at: now)
            logger.debug("accounting flushed", metadata: ["sessions": "\(batch.count)"])
        }
    }

    /// Waits until every queued write is done (shutdown).
    func drain() {
        queue.sync {}
    }

    static func snapshot(_ counters: SessionCounters) -> GatewayStore.Counters {
        GatewayStore.Counters(
            bytesIn: Int64(counters.bytesIn.load(ordering: .relaxed)),
            bytesOut: Int64(counters.bytesOut.load(ordering: .relaxed)),
            packetsIn: Int64(counters.packetsIn.load(ordering: .relaxed)),
            packetsOut: Int64(counters.packetsOut.load(ordering: .relaxed)))
    }
}
