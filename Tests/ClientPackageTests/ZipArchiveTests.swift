import Foundation
import Testing

@testable import ClientPackage

@Suite struct ChecksumTests {
    @Test func crc32KnownAnswers() {
        // The CRC-32 check value (catalogue of parametrised CRC algorithms: CRC-32/ISO-HDLC).
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(CRC32.checksum([0x00]) == 0xD202_EF8D)
    }

    @Test func sha1KnownAnswers() {
        // FIPS 180-4 examples "abc" and the two-block message.
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(hex(SHA1.hash(Array(twoBlocks.utf8))) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(SHA1.hash(Array(repeating: 0x61, count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func uuidVersion5MatchesRFCAndPython() throws {
        // RFC 9562 Appendix A.4: name "www.example.com" in the DNS namespace.
        let dns = try #require(UUID(uuidString: "6ba7b810-9dad-11d1-80b4-00c04fd430c8"))
        #expect(NameBasedUUID.v5(namespace: dns, name: "www.example.com").uuidString == "2ED6657D-E927-568B-95E1-2665A8AEA6A2")
        // And Python's uuid.uuid5 for a non-ASCII name in this project's namespace.
        let name = "sstp\nvpn.example.test\n443\nalice\nBüro VPN"
        let ours = NameBasedUUID.v5(namespace: NameBasedUUID.clientPackageNamespace, name: name)
        let theirs = try python(
            "import sys, uuid; print(uuid.uuid5(uuid.UUID(sys.argv[1]), sys.argv[2]))",
            [NameBasedUUID.clientPackageNamespace.uuidString, name])
        #expect(theirs.succeeded, "\(theirs.stderr)")
        #expect(theirs.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == ours.uuidString.lowercased())
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

@Suite struct ZipArchiveTests {
    static let date = Date(timeIntervalSince1970: 1_763_776_862)  // 2025-11-22 02:01:02 UTC

    static func sample() throws -> ZipArchive {
        var archive = ZipArchive(modificationDate: date)
        try archive.add(.init(path: "README.txt", contents: Array("hello\n".utf8), mode: 0o644))
        try archive.add(.init(path: "dir/sub/Büro – ☃.txt", contents: Array("unicode name\n".utf8), mode: 0o600))
        try archive.add(.init(path: "empty", contents: [], mode: 0o644))
        try archive.add(.init(path: "bin/run.sh", contents: Array("#!/bin/sh\necho hi\n".utf8), mode: 0o755))
        try archive.add(.init(path: "data.bin", contents: (0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 7) }, mode: 0o644))
        return archive
    }

    /// Python's zipfile reads the archive: names, sizes, modes, date, CRCs (testzip) and the bytes of each entry.
    @Test func pythonZipfileReadsEveryEntry() throws {
        let archive = try Self.sample()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(try archive.bytes(), "sample.zip")
        let listing = try python(
            """
            import sys, zipfile, json, hashlib
            with zipfile.ZipFile(sys.argv[1]) as z:
                assert z.testzip() is None, "bad CRC"
                out = []
                for i in z.infolist():
                    out.append([i.filename, i.file_size, i.compress_type, i.external_attr >> 16, list(i.date_time),
                                i.create_system, hashlib.sha256(z.read(i)).hexdigest(), i.flag_bits])
                print(json.dumps(out))
            """, [path])
        #expect(listing.succeeded, "\(listing.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[Any]])
        #expect(rows.count == archive.entries.count)
        for (row, entry) in zip(rows, archive.entries) {
            #expect(row[0] as? String == entry.path)
            #expect(row[1] as? Int == entry.contents.count)
            #expect(row[2] as? Int == 0)  // stored
            #expect(row[3] as? Int == 0o100000 | Int(entry.mode))
            #expect(row[4] as? [Int] == [2025, 11, 22, 2, 1, 2])
            #expect(row[5] as? Int == 3)  // made on Unix
            #expect(row[7] as? Int == 0x800)  // UTF-8 names
        }
        // Byte equality after extraction.
        let extracted = directory.file("out")
        let extraction = try python(
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", [path, extracted])
        #expect(extraction.succeeded, "\(extraction.stderr)")
        for entry in archive.entries {
            let data = FileManager.default.contents(atPath: extracted + "/" + entry.path)
            #expect(data.map(Array.init) == entry.contents, "\(entry.path)")
        }
    }

    /// Info-ZIP's `unzip -t` accepts it, and `unzip` restores the Unix modes.
    @Test func unzipTestsAndRestoresModes() throws {
        try #require(tool("/usr/bin/unzip") != nil, "unzip is not installed (scripts/install-deps.sh installs it)")
        let archive = try Self.sample()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(try archive.bytes(), "sample.zip")
        let tested = try run("/usr/bin/unzip", ["-t", path])
        #expect(tested.succeeded, "\(tested.stdout)\(tested.stderr)")
        #expect(tested.stdout.contains("No errors detected"))
        let extracted = try run("/usr/bin/unzip", ["-q", path, "-d", directory.file("out")])
        #expect(extracted.succeeded, "\(extracted.stderr)")
        for entry in archive.entries {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.file("out/" + entry.path))
            #expect((attributes[.posixPermissions] as? Int) == Int(entry.mode), "\(entry.path)")
        }
    }

    @Test func outputIsDeterministicAndDateDependent() throws {
        let first = try Self.sample().bytes()
        #expect(first == (try Self.sample().bytes()))
        var later = try Self.sample()
        later.modificationDate = Self.date + 3600
        #expect(first != (try later.bytes()))
        // The end record: 5 entries, and the central directory offset points at a central header signature.
        let end = Array(first.suffix(22))
        #expect(end[0..<4] == [0x50, 0x4B, 0x05, 0x06])
        #expect(end[8] == 5 && end[10] == 5)
        let offset = Int(end[16]) | Int(end[17]) << 8 | Int(end[18]) << 16 | Int(end[19]) << 24
        #expect(first[offset..<offset + 4] == [0x50, 0x4B, 0x01, 0x02])
    }

    @Test func dosDateTimeFields() {
        let (time, day) = ZipArchive.dosDateTime(Self.date)
        #expect(time == (2 << 11) | (1 << 5) | 1)  // 02:01:02 → seconds/2 = 1
        #expect(day == (45 << 9) | (11 << 5) | 22)  // 2025-11-22
        #expect(ZipArchive.dosDateTime(Date(timeIntervalSince1970: 0)).date == (1 << 5) | 1)  // clamped to 1980-01-01
    }

    @Test(arguments: ["", "/etc/passwd", "a/../b", "a//b", "./a", "dir/", "a\\b", "a\nb"])
    func unsafePathsAreRefused(path: String) {
        var archive = ZipArchive(modificationDate: Self.date)
        #expect(throws: ZipArchive.Error.self) { try archive.add(.init(path: path, contents: [], mode: 0o644)) }
    }

    @Test func duplicatePathsAreRefused() throws {
        var archive = ZipArchive(modificationDate: Self.date)
        try archive.add(.init(path: "a", contents: [1], mode: 0o644))
        #expect(throws: ZipArchive.Error.self) { try archive.add(.init(path: "a", contents: [2], mode: 0o644)) }
    }
}
