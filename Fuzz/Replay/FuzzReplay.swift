// Shared by the replay tests: Tests/<Module>Tests/FuzzReplay.swift is a symbolic link to this file (docs/fuzzing.md).
import Foundation
import Testing

/// One input of a fuzz harness, replayed by a unit test without the fuzzer: a seed from Fuzz/Corpus/<harness>/ or an
/// input a fuzzer once failed on, from Fuzz/Regressions/<harness>/.
struct FuzzReplayInput: Sendable, CustomTestStringConvertible {
    let path: String
    let bytes: [UInt8]

    var testDescription: String { self.path }

    /// Every seed and regression input of `harness`, by path. The repository root is found from the calling test
    /// file's `#filePath` (Tests/<Module>Tests/<file>.swift).
    static func all(_ harness: String, testFile: String = #filePath) -> [FuzzReplayInput] {
        let root = URL(fileURLWithPath: testFile).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var inputs: [FuzzReplayInput] = []
        for kind in ["Corpus", "Regressions"] {
            let directory = root.appendingPathComponent("Fuzz/\(kind)/\(harness)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                let file = directory.appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: file.path) else { continue }
                inputs.append(FuzzReplayInput(path: "Fuzz/\(kind)/\(harness)/\(name)", bytes: Array(data)))
            }
        }
        return inputs
    }
}
