import Testing

/// Replays the fuzz harnesses of the SSTPProtocol core, without the fuzzer, on every seed (Fuzz/Corpus/<harness>/)
/// and every input a fuzzer once failed on (Fuzz/Regressions/<harness>/); see docs/fuzzing.md. The harness code is
/// the fuzzers' own: the FuzzSupport, FuzzReplay and *Harnesses files of this target are symbolic links into Fuzz/.
/// A violated invariant fails the case naming the input; a crash of the parser crashes the test process.
@Suite("Fuzz regressions (SSTPProtocol)")
struct SSTPProtocolFuzzRegressionTests {
    @Test("sstp-http", arguments: FuzzReplayInput.all("sstp-http"))
    func sstpHttp(_ input: FuzzReplayInput) throws {
        try SSTPHTTPHarness.run(input.bytes)
    }

    @Test("sstp-packet", arguments: FuzzReplayInput.all("sstp-packet"))
    func sstpPacket(_ input: FuzzReplayInput) throws {
        try SSTPPacketHarness.run(input.bytes)
    }

    @Test("sstp-state", arguments: FuzzReplayInput.all("sstp-state"))
    func sstpState(_ input: FuzzReplayInput) throws {
        try SSTPStateHarness.run(input.bytes)
    }

    @Test("every harness has seeds")
    func seedsArePresent() {
        for harness in ["sstp-http", "sstp-packet", "sstp-state"] {
            #expect(!FuzzReplayInput.all(harness).isEmpty, "no inputs for \(harness) under Fuzz/Corpus")
        }
    }
}
