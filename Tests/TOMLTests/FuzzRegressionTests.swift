import Testing

/// Replays the fuzz harnesses of the TOML core, without the fuzzer, on every seed (Fuzz/Corpus/<harness>/)
/// and every input a fuzzer once failed on (Fuzz/Regressions/<harness>/); see docs/fuzzing.md. The harness code is
/// the fuzzers' own: the FuzzSupport, FuzzReplay and *Harnesses files of this target are symbolic links into Fuzz/.
/// A violated invariant fails the case naming the input; a crash of the parser crashes the test process.
@Suite("Fuzz regressions (TOML)")
struct TOMLFuzzRegressionTests {
    @Test("toml", arguments: FuzzReplayInput.all("toml"))
    func toml(_ input: FuzzReplayInput) throws {
        try TOMLHarness.run(input.bytes)
    }

    @Test("every harness has seeds")
    func seedsArePresent() {
        for harness in ["toml"] {
            #expect(!FuzzReplayInput.all(harness).isEmpty, "no inputs for \(harness) under Fuzz/Corpus")
        }
    }
}
