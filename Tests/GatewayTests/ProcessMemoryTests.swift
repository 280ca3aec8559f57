import Foundation
import Testing

@testable import SSTPServer

/// ProcessMemory: the resident-set split parsed from /proc/PID/status, and malloc's heap accounting following a real
/// allocation (256 MiB, far above what the tests running alongside allocate or free meanwhile).
@Suite("process memory figures")
struct ProcessMemoryTests {
    @Test("RssAnon and RssFile are read from a /proc/PID/status text, in bytes")
    func parsesStatus() {
        let status = """
            Name:\tsstpd
            VmRSS:\t   39484 kB
            RssAnon:\t    6596 kB
            RssFile:\t   32888 kB
            RssShmem:\t       0 kB
            Threads:\t6
            """
        let parsed = ProcessMemory.residentSet(status: status)
        #expect(parsed.anonymous == 6596 * 1024)
        #expect(parsed.file == 32888 * 1024)
        #expect(ProcessMemory.residentSet(status: "Name:\tx\n").anonymous == 0)
    }

    /// Whether this test process runs under a sanitizer runtime (which brings its own malloc).
    static var sanitized: Bool {
        let names: [String] = ["__tsan_init", "__asan_init"]
        return names.contains { dlsym(UnsafeMutableRawPointer(bitPattern: 0), $0) != nil }
    }

    @Test("malloc figures are reported exactly when glibc's own malloc is in use (not under a sanitizer)")
    func availability() {
        #expect(ProcessMemory.heapFiguresAvailable == !Self.sanitized)
        let memory = ProcessMemory.current()
        #expect((memory.heapInUseBytes != nil) == ProcessMemory.heapFiguresAvailable)
        #expect((memory.heapFreeBytes != nil) == ProcessMemory.heapFiguresAvailable)
    }

    @Test("a 256 MiB allocation shows in resident anonymous memory once touched and in heap in use; freeing it returns both")
    func followsAnAllocation() throws {
        let size = 256 << 20
        let before = ProcessMemory.current()
        #expect(before.residentFileBytes > 0, "the binary and its libraries are file-backed")
        let block = try #require(malloc(size))
        memset(block, 0x5A, size)
        let during = ProcessMemory.current()
        #expect(during.residentAnonymousBytes - before.residentAnonymousBytes >= size * 3 / 4)
        free(block)
        let after = ProcessMemory.current()
        // A sanitizer's allocator keeps freed memory in quarantine and has no mallinfo2 figures: the rest is glibc's.
        guard !Self.sanitized else { return }
        let startHeap = try #require(before.heapInUseBytes)
        #expect(try #require(during.heapInUseBytes) - startHeap >= size * 3 / 4)
        #expect(try #require(during.heapInUseBytes) - (try #require(after.heapInUseBytes)) >= size * 3 / 4)
        #expect(during.residentAnonymousBytes - after.residentAnonymousBytes >= size * 3 / 4)
    }
}
