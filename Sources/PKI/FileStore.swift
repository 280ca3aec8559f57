import Foundation

/// Small POSIX file helpers for the state directory: atomic writes with an exact mode, private directories, and an
/// exclusive lock so that two `sstpctl` runs cannot interleave their index updates.
enum FileStore {
    /// Creates `path` (one level) with `mode` if missing, and sets `mode` on it either way.
    static func ensureDirectory(_ path: String, mode: mode_t) throws(PKIError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw .fileSystem("creating directory \(path)", errno: errno)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw .fileSystem("stat \(path)", errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .fileSystem("\(path) is not a directory", errno: ENOTDIR) }
        guard chmod(path, mode) == 0 else { throw .fileSystem("chmod \(path)", errno: errno) }
    }

    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Writes `bytes` to `path` atomically (a temporary file in the same directory, fsync, rename), with exactly
    /// `mode`: the temporary file is created with that mode, so a key is never readable by others, not even briefly.
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(PKIError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .fileSystem("creating \(temporary)", errno: errno) }
        var failure: PKIError? = nil
        if fchmod(fd, mode) != 0 { failure = .fileSystem("fchmod \(temporary)", errno: errno) }
        var offset = 0
        while failure == nil, offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = .fileSystem("writing \(temporary)", errno: errno)
            } else {
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .fileSystem("fsync \(temporary)", errno: errno) }
        close(fd)
        if failure == nil, rename(temporary, path) != 0 { failure = .fileSystem("renaming to \(path)", errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Writes UTF-8 `text`.
    static func write(_ text: String, to path: String, mode: mode_t) throws(PKIError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// The contents of `path`.
    static func read(_ path: String) throws(PKIError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileSystem("opening \(path)", errno: errno) }
        defer { close(fd) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .fileSystem("reading \(path)", errno: errno)
            }
            if count == 0 { return out }
            out += chunk[..<count]
        }
    }

    /// The contents of `path` as UTF-8 text.
    static func readText(_ path: String) throws(PKIError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// Runs `body` holding an exclusive `flock` on `path` (created 0600 if missing).
    static func withLock<T>(_ path: String, _ body: () throws(PKIError) -> T) throws(PKIError) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .fileSystem("opening lock \(path)", errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .fileSystem("locking \(path)", errno: errno) }
        }
        return try body()
    }
}
