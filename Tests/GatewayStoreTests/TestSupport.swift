import Foundation
import GatewayStore

/// A fresh directory under the system temporary directory, removed when the test ends.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("gateway-store-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path for a state file in a not-yet-existing subdirectory, as sstpd's first start sees it.
    var statePath: String { path + "/state/state.sqlite" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Fixed instants with exact binary fractions, so they survive the REAL column bit for bit.
enum Instant {
    static let base: TimeInterval = 1_790_000_000
    static func at(_ offset: TimeInterval) -> Date { Date(timeIntervalSince1970: base + offset) }
}

/// RFC 2759 §9.2: NtPasswordHash("clientPass").
let clientPassHash: [UInt8] = [
    0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6, 0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE,
]

extension [UInt8] {
    /// Upper- and lower-case hex, the spellings a leaked hash would take.
    var hexSpellings: [String] {
        let upper = map { String(format: "%02X", $0) }.joined()
        return [upper, upper.lowercased()]
    }
}

/// Opens a file-backed store, creating the directory.
func openStore(_ directory: borrowing TemporaryDirectory) throws -> GatewayStore {
    try GatewayStore(path: directory.statePath)
}
