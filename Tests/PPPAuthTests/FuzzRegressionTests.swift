import Testing

/// Replays the fuzz harnesses of the PPPAuth core, without the fuzzer, on every seed (Fuzz/Corpus/<harness>/)
/// and every input a fuzzer once failed on (Fuzz/Regressions/<harness>/); see docs/fuzzing.md. The harness code is
/// the fuzzers' own: the FuzzSupport, FuzzReplay and *Harnesses files of this target are symbolic links into Fuzz/.
/// A violated invariant fails the case naming the input; a crash of the parser crashes the test process.
@Suite("Fuzz regressions (PPPAuth)")
struct PPPAuthFuzzRegressionTests {
    @Test("mschapv2", arguments: FuzzReplayInput.all("mschapv2"))
    func mschapv2(_ input: FuzzReplayInput) throws {
        try MSCHAPv2Harness.run(input.bytes)
    }

    @Test("every harness has seeds")
    func seedsArePresent() {
        for harness in ["mschapv2"] {
            #expect(!FuzzReplayInput.all(harness).isEmpty, "no inputs for \(harness) under Fuzz/Corpus")
        }
    }
}
