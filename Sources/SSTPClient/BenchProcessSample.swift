import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time and resident memory of another process (the gateway under load), read from `/proc/PID`.
public struct BenchProcessSample: Sendable, Equatable {
    /// utime + stime of all its threads, in seconds (`/proc/PID/stat` fields 14 and 15, in clock ticks).
    public var cpuSeconds: Double
    /// VmRSS from `/proc/PID/status`, in KiB.
    public var rssKiB: Int

    public init(cpuSeconds: Double, rssKiB: Int) {
        self.cpuSeconds = cpuSeconds
        self.rssKiB = rssKiB
    }

    /// Reads the process now; nil if it is gone or unreadable.
    public static func read(pid: Int32) -> BenchProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        return parse(stat: stat, status: status, ticksPerSecond: Int(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Parses the two files' text. The command name in `stat` is in parentheses and may itself contain spaces and
    /// parentheses, so the fields are counted from the last ")".
    public static func parse(stat: String, status: String, ticksPerSecond: Int) -> BenchProcessSample? {
        guard let close = stat.lastIndex(of: ")"), ticksPerSecond > 0 else { return nil }
        // After ")": field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let utime = Int(fields[11]), let stime = Int(fields[12]) else { return nil }
        guard
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let rss = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return BenchProcessSample(cpuSeconds: Double(utime + stime) / Double(ticksPerSecond), rssKiB: rss)
    }
}
