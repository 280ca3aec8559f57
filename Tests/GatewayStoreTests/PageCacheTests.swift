import Foundation
import Testing

@testable import GatewayStore

/// The state store's memory is bounded: SQLite's page cache grows with the file only up to `pageCacheKiB` per
/// connection (docs/state-store.md, "Memory"). Measured per connection, so stores other tests open meanwhile do not
/// count.
@Suite("State store page cache")
struct PageCacheTests {
    @Test("every connection gets the configured cache_size")
    func setting() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        #expect(try store.cacheSizeSetting(writer: true) == -GatewayStore.pageCacheKiB)
        #expect(try store.cacheSizeSetting(writer: false) == -GatewayStore.pageCacheKiB)
    }

    @Test("12,000 accounting records make the file larger than the cache; the writer's cache stops at its bound")
    func boundedAsRecordsAccumulate() throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        let bound = GatewayStore.pageCacheKiB * 1024
        let counters = GatewayStore.Counters(bytesIn: 123_456, bytesOut: 654_321, packetsIn: 1_234, packetsOut: 4_321)
        var largest = 0
        for index in 0..<12_000 {
            let id = try store.startAccounting(
                sessionKey: "session-\(index)", user: "user-\(index % 50)", address: "10.77.\(index / 250 % 4).\(index % 250 + 2)",
                peer: "192.0.2.\(index % 200 + 1):\(10_000 + index % 50_000)", method: "mschapv2", cryptoBinding: "sha256",
                at: Instant.at(Double(index)))
            try store.stopAccounting(id: id, counters: counters, reason: "client-disconnect", at: Instant.at(Double(index) + 0.5))
            if index % 500 == 499 { largest = max(largest, try store.writerPageCacheBytes()) }
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.statePath)
        let wal = (try? FileManager.default.attributesOfItem(atPath: directory.statePath + "-wal"))?[.size] as? Int ?? 0
        let fileBytes = (attributes[.size] as? Int ?? 0) + wal
        // The records outgrow the cache, so an unbounded cache would have passed the bound...
        #expect(fileBytes > bound + bound / 2, "state file and WAL: \(fileBytes) bytes")
        // ...and the cache filled up to near it and stayed within it (plus SQLite's per-page headers).
        #expect(largest > bound / 2, "\(largest) bytes")
        #expect(largest <= bound + bound / 8, "\(largest) bytes")
    }
}
