#if canImport(Glibc)
import Glibc
#endif

/// Status lines for people and scripts: written straight to standard output (no stdio buffering), so a line is
/// visible at once even when stdout is a pipe (tests and supervisors wait for "tunnel up on ...").
enum Output {
    static func line(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
