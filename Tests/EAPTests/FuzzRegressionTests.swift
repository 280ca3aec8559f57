import Testing

/// Replays the fuzz harnesses of the EAP core, without the fuzzer, on every seed (Fuzz/Corpus/<harness>/)
/// and every input a fuzzer once failed on (Fuzz/Regressions/<harness>/); see docs/fuzzing.md. The harness code is
/// the fuzzers' own: the FuzzSupport, FuzzReplay and *Harnesses files of this target are symbolic links into Fuzz/.
/// A violated invariant fails the case naming the input; a crash of the parser crashes the test process.
@Suite("Fuzz regressions (EAP)")
struct EAPFuzzRegressionTests {
    @Test("eap", arguments: FuzzReplayInput.all("eap"))
    func eap(_ input: FuzzReplayInput) throws {
        try EAPHarness.run(input.bytes)
    }

    @Test("eap-tls", arguments: FuzzReplayInput.all("eap-tls"))
    func eapTls(_ input: FuzzReplayInput) throws {
        try EAPTLSHarness.run(input.bytes)
    }

    @Test("every harness has seeds")
    func seedsArePresent() {
        for harness in ["eap", "eap-tls"] {
            #expect(!FuzzReplayInput.all(harness).isEmpty, "no inputs for \(harness) under Fuzz/Corpus")
        }
    }
}
