// Shared by the fuzz harnesses (Fuzz/Sources/FuzzHarnesses) and the replay tests: Tests/<Module>Tests/FuzzSupport.swift
// is a symbolic link to this file, so the unit tests run exactly the code the fuzzers run. Keep it free of imports.

/// An invariant a harness checks does not hold. The fuzzers abort on it (a crash libFuzzer records); the replay tests
/// report it as a failure naming the input.
public struct FuzzInvariantViolation: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Throws a ``FuzzInvariantViolation`` when `condition` is false.
func fuzzRequire(
    _ condition: Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) throws(FuzzInvariantViolation) {
    if !condition {
        throw FuzzInvariantViolation("\(file):\(line): \(message())")
    }
}

/// Reads a fuzz input as a sequence of small values. Reading past the end yields zeros and empty arrays, so every
/// input, however short, is a valid program for the stateful harnesses.
struct FuzzReader {
    let bytes: [UInt8]
    private(set) var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { self.index >= self.bytes.count }
    var remaining: Int { max(0, self.bytes.count - self.index) }

    mutating func byte() -> UInt8 {
        guard self.index < self.bytes.count else { return 0 }
        defer { self.index += 1 }
        return self.bytes[self.index]
    }

    mutating func uint16() -> UInt16 {
        UInt16(self.byte()) << 8 | UInt16(self.byte())
    }

    mutating func uint32() -> UInt32 {
        UInt32(self.uint16()) << 16 | UInt32(self.uint16())
    }

    /// Up to `count` bytes (fewer at the end of the input).
    mutating func take(_ count: Int) -> [UInt8] {
        let n = min(max(0, count), self.remaining)
        defer { self.index += n }
        return Array(self.bytes[self.index..<self.index + n])
    }

    /// Exactly `count` bytes, zero-padded at the end of the input.
    mutating func fixed(_ count: Int) -> [UInt8] {
        let taken = self.take(count)
        return taken + [UInt8](repeating: 0, count: count - taken.count)
    }

    mutating func rest() -> [UInt8] {
        self.take(self.remaining)
    }

    /// A 16-bit length (reduced modulo `maximum + 1`) followed by that many bytes (fewer at the end of the input).
    mutating func lengthPrefixed(maximum: Int) -> [UInt8] {
        self.take(Int(self.uint16()) % (maximum + 1))
    }

    /// A large record cheaply: a 16-bit length (modulo `maximum + 1`), an 8-bit prefix length and the prefix; the
    /// rest of the record is `filler` bytes. Lets the fuzzer reach size limits without inputs of that size.
    mutating func padded(maximum: Int) -> [UInt8] {
        let length = Int(self.uint16()) % (maximum + 1)
        let filler = self.byte()
        let prefix = self.take(min(Int(self.byte()), length))
        return prefix + [UInt8](repeating: filler, count: length - prefix.count)
    }
}

/// Splits `bytes` into chunks whose sizes derive from the bytes themselves (the same input always splits the same
/// way), for checking that incremental parsers give the same result however the stream is cut.
func fuzzChunks(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    // FNV-1a of the input seeds a 64-bit linear congruential generator.
    var state: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let pick = Int(truncatingIfNeeded: state >> 33)
        // Mostly tiny chunks (1–8 bytes, where boundaries fall inside headers), sometimes up to 512.
        let size = pick % 4 == 0 ? 1 + (pick >> 2) % 512 : 1 + (pick >> 2) % 8
        let end = min(bytes.count, start + size)
        chunks.append(bytes[start..<end])
        start = end
    }
    return chunks
}
