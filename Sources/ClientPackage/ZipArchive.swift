import Foundation

/// A ZIP archive writer (PKWARE APPNOTE 6.3.x) for small packages: every entry is *stored* (method 0, no
/// compression), names are UTF-8 (general purpose bit 11), and Unix permissions go in the high 16 bits of the
/// external attributes with "version made by" = Unix, as Info-ZIP does, so `unzip` restores them.
///
/// The output is a pure function of the entries and the date: the same inputs give the same bytes. No ZIP64, so the
/// archive is limited to 65,535 entries and 4 GiB, far beyond a client package.
public struct ZipArchive: Sendable {
    /// One file in the archive.
    public struct Entry: Sendable, Hashable {
        /// Path inside the archive, `/`-separated, relative (no leading `/`, no `..`).
        public var path: String
        public var contents: [UInt8]
        /// Unix permission bits, e.g. `0o644`.
        public var mode: UInt16

        /// An entry; `add(_:)` checks the path.
        public init(path: String, contents: [UInt8], mode: UInt16) {
            self.path = path
            self.contents = contents
            self.mode = mode
        }
    }

    /// Why an archive cannot be written.
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The entries in the order they are written.
    public private(set) var entries: [Entry] = []
    /// The modification time stamped on every entry (MS-DOS format: 2-second resolution, 1980–2107, taken in UTC).
    public var modificationDate: Date

    /// An empty archive whose entries will carry `modificationDate`.
    public init(modificationDate: Date) {
        self.modificationDate = modificationDate
    }

    /// Adds an entry; paths must be unique, relative and free of `..` components.
    public mutating func add(_ entry: Entry) throws(ZipArchive.Error) {
        let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
        guard !entry.path.isEmpty, !entry.path.hasPrefix("/"), !entry.path.hasSuffix("/"),
            !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            !entry.path.contains("\\"), !entry.path.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { throw Error("bad entry path \(entry.path.debugDescription)") }
        guard !entries.contains(where: { $0.path == entry.path }) else {
            throw Error("duplicate entry \(entry.path)")
        }
        guard entry.path.utf8.count <= Int(UInt16.max) else { throw Error("entry path too long") }
        guard entry.contents.count < Int(UInt32.max) else { throw Error("\(entry.path) needs ZIP64") }
        guard entries.count < Int(UInt16.max) else { throw Error("too many entries (ZIP64 not supported)") }
        entries.append(entry)
    }

    /// The archive's bytes: local headers and data in entry order, then the central directory and its end record.
    public func bytes() throws(ZipArchive.Error) -> [UInt8] {
        let (time, date) = Self.dosDateTime(modificationDate)
        var output: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.path.utf8)
            let crc = CRC32.checksum(entry.contents)
            let size = UInt32(entry.contents.count)
            guard output.count < Int(UInt32.max) else { throw Error("archive needs ZIP64") }
            let offset = UInt32(output.count)

            // §4.3.7 local file header.
            output.appendLE(UInt32(0x0403_4B50))
            output.appendLE(Self.versionNeeded)
            output.appendLE(Self.utf8Flag)
            output.appendLE(UInt16(0))  // stored
            output.appendLE(time)
            output.appendLE(date)
            output.appendLE(crc)
            output.appendLE(size)  // compressed size = size (stored)
            output.appendLE(size)
            output.appendLE(UInt16(name.count))
            output.appendLE(UInt16(0))  // extra field length
            output += name
            output += entry.contents

            // §4.3.12 central directory file header.
            central.appendLE(UInt32(0x0201_4B50))
            central.appendLE(Self.versionMadeByUnix)
            central.appendLE(Self.versionNeeded)
            central.appendLE(Self.utf8Flag)
            central.appendLE(UInt16(0))
            central.appendLE(time)
            central.appendLE(date)
            central.appendLE(crc)
            central.appendLE(size)
            central.appendLE(size)
            central.appendLE(UInt16(name.count))
            central.appendLE(UInt16(0))  // extra field length
            central.appendLE(UInt16(0))  // file comment length
            central.appendLE(UInt16(0))  // disk number start
            central.appendLE(UInt16(0))  // internal attributes
            // Unix mode (regular file) in the high half; the low byte is the MS-DOS attribute byte (none).
            central.appendLE((UInt32(0o100000) | UInt32(entry.mode & 0o7777)) << 16)
            central.appendLE(offset)
            central += name
        }
        guard output.count + central.count < Int(UInt32.max) else { throw Error("archive needs ZIP64") }
        let centralOffset = UInt32(output.count)
        output += central
        // §4.3.16 end of central directory record.
        output.appendLE(UInt32(0x0605_4B50))
        output.appendLE(UInt16(0))  // this disk
        output.appendLE(UInt16(0))  // disk with the central directory
        output.appendLE(UInt16(entries.count))
        output.appendLE(UInt16(entries.count))
        output.appendLE(UInt32(central.count))
        output.appendLE(centralOffset)
        output.appendLE(UInt16(0))  // comment length
        return output
    }

    /// 2.0: the version an extractor needs (stored entries, no ZIP64); APPNOTE §4.4.3.
    static let versionNeeded: UInt16 = 20
    /// Upper byte 3 = Unix (so the external attributes hold a mode), lower byte = spec version 2.0; §4.4.2.
    static let versionMadeByUnix: UInt16 = (3 << 8) | 20
    /// General purpose bit 11: file names are UTF-8 (APPNOTE Appendix D).
    static let utf8Flag: UInt16 = 1 << 11

    /// MS-DOS time and date fields (§4.4.6) of `date` in UTC, clamped to 1980-01-01…2107-12-31.
    static func dosDateTime(_ date: Date) -> (time: UInt16, date: UInt16) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = parts.year ?? 1980
        if year < 1980 { return (0, (1 << 5) | 1) }
        if year > 2107 { return ((23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31) }
        let time = UInt16(parts.hour ?? 0) << 11 | UInt16(parts.minute ?? 0) << 5 | UInt16((parts.second ?? 0) / 2)
        let day = UInt16(year - 1980) << 9 | UInt16(parts.month ?? 1) << 5 | UInt16(parts.day ?? 1)
        return (time, day)
    }
}

extension [UInt8] {
    /// Appends `value` little-endian, as every ZIP field is.
    fileprivate mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { self.append(contentsOf: $0) }
    }
}
