import Foundation
import Glibc
import NIOCore
import TLSEngine

/// `openssl s_server` listening on 127.0.0.1 on a port the kernel picks, for interop known answers.
///
/// Everything is bounded by one deadline: reads from its output and from the socket wait with `poll`, never with a
/// sleep. `stop()` (also run by `deinit`) kills the process, so every exit path of a test cleans up.
final class OpenSSLServerProcess {
    private let process = Process()
    /// Held open on purpose: without `-quiet`, s_server treats EOF on stdin as "quit" and closes the connection
    /// before the handshake; `-quiet` would keep it alive but also silence the keying material we want to read.
    private let standardInput = Pipe()
    private let standardOutput = Pipe()
    private let standardError = Pipe()
    private var pending: [UInt8] = []
    private(set) var output = ""
    let deadline: ContinuousClock.Instant
    private(set) var port: UInt16 = 0
    private var launched = false
    private var stopped = false

    /// Starts `openssl s_server -accept 127.0.0.1:0 <arguments>` and waits for its `ACCEPT 127.0.0.1:<port>` line.
    init(arguments: [String], timeout: Duration) throws {
        self.deadline = .now + timeout
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        self.process.arguments = ["s_server", "-accept", "127.0.0.1:0"] + arguments
        self.process.standardInput = self.standardInput
        self.process.standardOutput = self.standardOutput
        self.process.standardError = self.standardError
        try self.process.run()
        self.launched = true
        do {
            let accept = try self.readLine(containing: "ACCEPT ")
            guard let text = accept.split(separator: ":").last, let port = UInt16(text), port != 0 else {
                throw TestFailure("no port in s_server's line \(accept)")
            }
            self.port = port
        } catch {
            self.stop()
            throw error
        }
    }

    deinit {
        self.stop()
    }

    /// Reads s_server's standard output up to the first line containing `needle` and returns that line.
    func readLine(containing needle: String) throws -> String {
        let descriptor = self.standardOutput.fileHandleForReading.fileDescriptor
        while true {
            while let newline = self.pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: self.pending[..<newline], as: UTF8.self)
                self.pending.removeSubrange(...newline)
                self.output += line + "\n"
                if line.contains(needle) { return line }
            }
            let chunk: [UInt8]
            do {
                chunk = try waitAndRead(descriptor, deadline: self.deadline, what: "s_server output (\(needle))")
            } catch {
                throw TestFailure("\(error); s_server output so far:\n\(self.output)")
            }
            guard !chunk.isEmpty else {
                throw TestFailure("s_server exited before printing \(needle); output:\n\(self.output)\(self.errors())")
            }
            self.pending += chunk
        }
    }

    /// Kills the process (if still running) and reaps it. Idempotent.
    func stop() {
        guard self.launched, !self.stopped else { return }
        self.stopped = true
        if self.process.isRunning {
            self.process.terminate()
        }
        self.process.waitUntilExit()
        try? self.standardInput.fileHandleForWriting.close()
    }

    /// Whatever s_server wrote to standard error, once it has exited (for failure messages).
    private func errors() -> String {
        guard !self.process.isRunning else { return "" }
        let data = ((try? self.standardError.fileHandleForReading.readToEnd()) ?? Data())
        return data.isEmpty ? "" : "\nstderr:\n" + String(decoding: data, as: UTF8.self)
    }
}

/// A blocking IPv4 TCP client socket whose reads wait at most until a deadline.
final class LoopbackTCPClient {
    private let descriptor: Int32
    private let deadline: ContinuousClock.Instant

    init(port: UInt16, deadline: ContinuousClock.Instant) throws {
        self.deadline = deadline
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: errno \(errno)") }
        self.descriptor = descriptor
        // Bounds connect() and send() too (a loopback connect to a listening port completes at once anyway).
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestFailure("connect to 127.0.0.1:\(port): errno \(errno)")
        }
    }

    deinit {
        close(self.descriptor)
    }

    func send(_ buffer: ByteBuffer?) throws {
        guard let buffer else { return }
        let bytes = Array(buffer.readableBytesView)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, 0) }
            guard sent > 0 else { throw TestFailure("send: errno \(errno)") }
            offset += sent
        }
    }

    /// The next bytes from the peer; throws on EOF or when the deadline passes.
    func receive() throws -> [UInt8] {
        let bytes = try waitAndRead(self.descriptor, deadline: self.deadline, what: "the TLS peer")
        guard !bytes.isEmpty else { throw TestFailure("the TLS peer closed the connection") }
        return bytes
    }

    /// Drives `connection` (a client) to the end of its handshake over this socket.
    func handshake(_ connection: TLSConnection) throws -> (version: String, cipher: String) {
        while true {
            let state = connection.drive()
            try self.send(connection.takeCiphertext())
            switch state {
            case .complete(let version, let cipher):
                return (version, cipher)
            case .failed(let error):
                throw error
            case .inProgress:
                var buffer = ByteBuffer(bytes: try self.receive())
                connection.feedCiphertext(&buffer)
            }
        }
    }
}

/// Waits (with `poll`) until `descriptor` is readable or `deadline` passes, then reads what is there; an empty
/// result means end of file.
private func waitAndRead(_ descriptor: Int32, deadline: ContinuousClock.Instant, what: String) throws -> [UInt8] {
    while true {
        let remaining = deadline - .now
        guard remaining > .zero else { throw TestFailure("timed out waiting for \(what)") }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&request, 1, milliseconds)
        if ready < 0 {
            if errno == EINTR { continue }
            throw TestFailure("poll: errno \(errno)")
        }
        if ready == 0 { continue }  // the loop re-checks the deadline
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw TestFailure("read: errno \(errno)")
        }
        return Array(chunk.prefix(count))
    }
}
