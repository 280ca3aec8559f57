// The entry point of every fuzz executable (Fuzz/Sources/fuzz-*/Entry.swift). Only in the fuzz package: the replay
// tests call the harnesses directly.
import Glibc

/// libFuzzer's driver for programs with their own `main` (FuzzerInterface.h). SwiftPM links every executable with
/// `--defsym main=<module>_main`, which would clash with libFuzzer's own `main`, so each fuzz executable has a Swift
/// `@main` that calls this instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The harness of this process; set once by ``FuzzDriver/main(_:)`` before libFuzzer starts.
nonisolated(unsafe) private var harness: (([UInt8]) throws(FuzzInvariantViolation) -> Void)?

public enum FuzzDriver {
    /// Runs libFuzzer (with the process arguments) on `body`. A violated invariant is a fatal error, which libFuzzer
    /// reports as a crash and saves the input of.
    public static func main(_ body: @escaping ([UInt8]) throws(FuzzInvariantViolation) -> Void) -> Never {
        harness = body
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(
            LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
                do {
                    try harness!(input)
                } catch {
                    fatalError("fuzz invariant violated: \(error)")
                }
                return 0
            }
        )
    }
}
