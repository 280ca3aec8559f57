import Synchronization
import TLSEngine
import Testing

@Suite("NSS key log (diagnostic)")
struct TLSKeyLogTests {
    private static func handshake(
        serverContext: TLSContext, clientContext: TLSContext
    ) throws -> (client: TLSConnection, server: TLSConnection) {
        let server = try TLSConnection(context: serverContext)
        let client = try TLSConnection(context: clientContext, serverName: "sstp.example.test")
        let states = interactInMemory(client: client, server: server)
        guard states.client.isComplete, states.server.isComplete else {
            throw TestFailure("handshake did not complete: \(states)")
        }
        return (client, server)
    }

    @Test("TLS 1.2: one CLIENT_RANDOM line carrying the master secret")
    func tls12() throws {
        let keyLog = TLSKeyLog()
        let serverContext = try Fixtures.serverContext()
        serverContext.enableKeyLog(keyLog)
        let (client, server) = try Self.handshake(
            serverContext: serverContext, clientContext: Fixtures.clientContext(version: .tls12))
        let entries = keyLog.entries
        #expect(entries.map(\.label) == [.clientRandom])
        #expect(entries.first?.clientRandom == client.clientRandom)
        #expect(entries.first?.secret == server.tls12MasterSecret())
        #expect(entries.first?.secret.count == 48)
        #expect(keyLog.lines.count == 1)
    }

    @Test("TLS 1.3: the five RFC 8446 §7.1 secrets, the same on both sides")
    func tls13() throws {
        let serverLog = TLSKeyLog()
        let clientLog = TLSKeyLog()
        let serverContext = try Fixtures.serverContext()
        let clientContext = try Fixtures.clientContext(version: .tls13)
        serverContext.enableKeyLog(serverLog)
        clientContext.enableKeyLog(clientLog)
        let (client, _) = try Self.handshake(serverContext: serverContext, clientContext: clientContext)
        let expected: Set<TLSKeyLog.Label> = [
            .clientHandshakeTrafficSecret, .serverHandshakeTrafficSecret, .clientTrafficSecret0,
            .serverTrafficSecret0, .exporterSecret,
        ]
        #expect(Set(serverLog.entries.map(\.label)) == expected)
        #expect(serverLog.entries.count == 5)
        #expect(serverLog.entries.allSatisfy { $0.clientRandom == client.clientRandom })
        #expect(
            Set(serverLog.entries) == Set(clientLog.entries),
            "client and server derive the same secrets for the same session")
        // Distinct secrets, each one hash long (32 or 48 octets).
        #expect(Set(serverLog.entries.map(\.secret)).count == 5)
        #expect(serverLog.entries.allSatisfy { [32, 48].contains($0.secret.count) })
    }

    @Test("off unless enabled: handshakes on other contexts are not logged")
    func perContext() throws {
        let keyLog = TLSKeyLog()
        let loggedContext = try Fixtures.serverContext()
        loggedContext.enableKeyLog(keyLog)
        _ = try Self.handshake(serverContext: Fixtures.serverContext(), clientContext: Fixtures.clientContext())
        #expect(keyLog.lines.isEmpty)
        _ = try Self.handshake(serverContext: loggedContext, clientContext: Fixtures.clientContext())
        #expect(keyLog.entries.count == 5)
        keyLog.removeAll()
        #expect(keyLog.lines.isEmpty)
    }

    @Test("the sink sees every line as it is logged")
    func sink() throws {
        let seen = Mutex<[String]>([])
        let keyLog = TLSKeyLog { line in seen.withLock { $0.append(line) } }
        let context = try Fixtures.clientContext()
        context.enableKeyLog(keyLog)
        _ = try Self.handshake(serverContext: Fixtures.serverContext(), clientContext: context)
        #expect(seen.withLock { $0 } == keyLog.lines)
        #expect(keyLog.lines.count == 5)
    }

    @Test("the context owns the key log: released with the SSL_CTX")
    func lifetime() throws {
        weak var weakLog: TLSKeyLog?
        do {
            let keyLog = TLSKeyLog()
            weakLog = keyLog
            let context = try Fixtures.serverContext()
            context.enableKeyLog(keyLog)
            _ = try Self.handshake(serverContext: context, clientContext: Fixtures.clientContext())
        }
        #expect(weakLog == nil)
    }

    @Test("NSS key log line format: parse and print")
    func lineFormat() throws {
        let random = (0..<32).map { UInt8($0) }
        let line = "EXPORTER_SECRET " + hex(random) + " " + "AABBCC"
        let entry = try #require(TLSKeyLog.Entry(line: line))
        #expect(entry.label == .exporterSecret)
        #expect(entry.clientRandom == random)
        #expect(entry.secret == [0xAA, 0xBB, 0xCC])
        #expect(entry.line == "EXPORTER_SECRET " + hex(random) + " aabbcc")
        #expect(TLSKeyLog.Entry(line: entry.line) == entry)
        for bad in [
            "", "# comment", "CLIENT_RANDOM", "CLIENT_RANDOM 00 11", "CLIENT_RANDOM \(hex(random))",
            "CLIENT_RANDOM \(hex(random)) 1", "CLIENT_RANDOM \(hex(random)) zz", "A \(hex(random)) 00 extra",
        ] {
            #expect(TLSKeyLog.Entry(line: bad) == nil, "\(bad)")
        }
    }

    @Test("secret accessors are nil before the handshake")
    func accessorsBeforeHandshake() throws {
        let client = try TLSConnection(context: Fixtures.clientContext())
        _ = client.drive()
        #expect(client.clientRandom == nil && client.serverRandom == nil && client.tls12MasterSecret() == nil)
    }
}
