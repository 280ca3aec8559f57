import Glibc

/// glibc's `malloc_trim(0)`: returns the heap's free memory to the kernel. Looked up at run time (it is a GNU
/// extension not exported by the Glibc module); a no-op elsewhere.
enum HeapTrim {
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    private static let function: MallocTrim? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: MallocTrim.self)
    }()

    /// Trims the heap; true if memory was released.
    @discardableResult
    static func trim() -> Bool {
        (function?(0) ?? 0) != 0
    }
}
