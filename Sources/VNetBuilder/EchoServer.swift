import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The echo services of a simulated VM (RFC 862: "any data received is sent back"), on TCP and UDP.
///
/// Deliberately small and blocking: one thread accepts TCP connections and starts a thread per connection, one
/// thread answers UDP datagrams. It runs until killed (`down` sends SIGTERM).
public enum EchoServer {
    /// Binds the requested ports on all addresses, writes `readyFile` (containing the process id) once both listen,
    /// and serves forever.
    public static func run(tcpPort: Int?, udpPort: Int?, readyFile: String?) throws -> Never {
        // A process started with Foundation's Process inherits the signal mask of the thread that started it
        // (often everything blocked); unblock, so that down's SIGTERM ends the server at once.
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        signal(SIGTERM, SIG_DFL)
        signal(SIGPIPE, SIG_IGN)
        let tcp = try tcpPort.map { try bindSocket(type: Int32(SOCK_STREAM.rawValue), port: $0) }
        let udp = try udpPort.map { try bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: $0) }
        if let tcp, listen(tcp, 64) != 0 { throw socketError("listen") }
        if let readyFile {
            _ = FileManager.default.createFile(atPath: readyFile, contents: Data("\(getpid())\n".utf8))
        }
        if let udp {
            Thread.detachNewThread { serveUDP(udp) }
        }
        if let tcp {
            while true {
                let connection = accept(tcp, nil, nil)
                if connection < 0 { continue }
                Thread.detachNewThread { serveTCP(connection) }
            }
        }
        while true { pause() }
    }

    private static func serveUDP(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var peer = sockaddr_storage()
        while true {
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &length)
                    }
                }
            }
            guard n >= 0 else { continue }
            _ = buffer.withUnsafeBytes { bytes in
                withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, n, 0, $0, length)
                    }
                }
            }
        }
    }

    private static func serveTCP(_ fd: Int32) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            var sent = 0
            while sent < n {
                let w = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + sent, n - sent) }
                guard w > 0 else { return }
                sent += w
            }
        }
    }

    private static func bindSocket(type: Int32, port: Int) throws -> Int32 {
        guard (1...65535).contains(port) else { throw VNetBuilderError("port \(port) is out of range") }
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw socketError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw socketError("bind port \(port)")
        }
        return fd
    }

    static func socketError(_ what: String) -> VNetBuilderError {
        VNetBuilderError("\(what): \(String(cString: strerror(errno)))")
    }
}

/// A client for `EchoServer`: sends a probe and checks the same bytes come back.
public enum EchoClient {
    /// One TCP exchange: connect, send `payload`, read it back. False on any error or after `timeout` seconds.
    public static func tcp(address: String, port: Int, payload: [UInt8], timeout: Int = 1) -> Bool {
        exchange(type: Int32(SOCK_STREAM.rawValue), address: address, port: port, payload: payload, timeout: timeout)
    }

    /// One UDP exchange: send `payload` as a datagram, wait for the same datagram.
    public static func udp(address: String, port: Int, payload: [UInt8], timeout: Int = 1) -> Bool {
        exchange(type: Int32(SOCK_DGRAM.rawValue), address: address, port: port, payload: payload, timeout: timeout)
    }

    private static func exchange(type: Int32, address: String, port: Int, payload: [UInt8], timeout: Int) -> Bool {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // SO_SNDTIMEO also bounds connect(2) on Linux.
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else { return false }
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return false }
        guard payload.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == payload.count else { return false }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < payload.count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            received += buffer[..<n]
        }
        return received == payload
    }
}
