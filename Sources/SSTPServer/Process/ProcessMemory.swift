internal import CProcessShims
import Foundation
import GatewayStore
import Glibc

/// Where the process's memory is: the kernel's resident set split into anonymous and file-backed pages
/// (`/proc/self/status`), and glibc malloc's own accounting of the heap (`mallinfo2`, every arena).
///
/// The split answers the question a growing RSS raises: file-backed pages are shared-library code and data paged in
/// as code paths run for the first time (they level off and the kernel can drop them); anonymous pages are the heap,
/// thread stacks and arenas. Of the anonymous part, `heapInUseBytes` is what live objects hold — it returns to its
/// start when sessions end unless something leaks — and `heapFreeBytes` is memory malloc keeps for reuse
/// (fragmentation, or a peak not yet trimmed). `sstpctl status` and the `sstpd_memory_bytes` metric report it.
public struct ProcessMemory: Codable, Sendable, Equatable {
    /// Resident anonymous memory (`RssAnon`), bytes.
    public var residentAnonymousBytes: Int
    /// Resident file-backed memory (`RssFile`: libraries, mapped files), bytes.
    public var residentFileBytes: Int
    /// Bytes malloc has handed out and not had back (`uordblks + hblkhd`); nil where `mallinfo2` is missing or malloc
    /// is not glibc's (see ``heapFiguresAvailable``).
    public var heapInUseBytes: Int?
    /// Bytes malloc holds free in its arenas (`fordblks`); nil where `heapInUseBytes` is.
    public var heapFreeBytes: Int?
    /// Of the heap in use, what SQLite (the state store) holds: mostly its page caches. Nil from an older sstpd.
    public var sqliteBytes: Int?

    public init(
        residentAnonymousBytes: Int, residentFileBytes: Int, heapInUseBytes: Int?, heapFreeBytes: Int?,
        sqliteBytes: Int? = nil
    ) {
        self.residentAnonymousBytes = residentAnonymousBytes
        self.residentFileBytes = residentFileBytes
        self.heapInUseBytes = heapInUseBytes
        self.heapFreeBytes = heapFreeBytes
        self.sqliteBytes = sqliteBytes
    }

    /// Whether this process has malloc figures: glibc ≥ 2.33 and its own malloc in use (a sanitizer runtime or a
    /// preloaded jemalloc/tcmalloc replaces it, and glibc's arenas then describe almost nothing).
    public static var heapFiguresAvailable: Bool { MallocInfo.current() != nil }

    /// The resident set, bytes (anonymous + file-backed; shared memory, which sstpd does not map, not included).
    public var residentBytes: Int { residentAnonymousBytes + residentFileBytes }

    /// The current process's figures. Reads one small procfs file and walks malloc's arenas (takes each arena's lock
    /// briefly): cheap enough for every status request and scrape, not for the data path.
    public static func current() -> ProcessMemory {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let (anonymous, file) = residentSet(status: status)
        let heap = MallocInfo.current()
        return ProcessMemory(
            residentAnonymousBytes: anonymous, residentFileBytes: file,
            heapInUseBytes: heap.map { $0.inUse }, heapFreeBytes: heap.map { $0.free },
            sqliteBytes: GatewayStore.sqliteMemoryUsed)
    }

    /// `RssAnon` and `RssFile` of a `/proc/PID/status` text, in bytes (0 when a line is missing).
    static func residentSet(status: String) -> (anonymous: Int, file: Int) {
        var anonymous = 0
        var file = 0
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let kib = Int(fields[1]) else { continue }
            switch fields[0] {
            case "RssAnon:": anonymous = kib * 1024
            case "RssFile:": file = kib * 1024
            default: break
            }
        }
        return (anonymous, file)
    }
}

/// glibc's `mallinfo2()` (glibc ≥ 2.33) through the C shim: the Glibc module does not export it.
enum MallocInfo {
    /// Bytes in use (ordinary chunks plus mmapped ones) and free in the arenas; nil without `mallinfo2`.
    static func current() -> (inUse: Int, free: Int)? {
        var inUse: UInt64 = 0
        var free: UInt64 = 0
        guard cprocess_heap_usage(&inUse, &free) == 0 else { return nil }
        return (Int(clamping: inUse), Int(clamping: free))
    }
}
