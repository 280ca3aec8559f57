/// The mutable table tree built while parsing, which remembers how each table came to exist so that the
/// "define a table only once" rules of TOML v1.0.0 ("Table", "Array of Tables", "Keys") can be enforced.
final class TOMLTableNode {
    /// How a table was created.
    enum Origin {
        /// As an intermediate of a `[a.b.c]` header; a later `[a]` may still define it once.
        case implicit
        /// By its own `[header]` or `[[header]]` (or the root table).
        case header
        /// By a dotted key such as `a.b = 1`; only more dotted keys in the same table may extend it.
        case dotted
    }

    enum Entry {
        /// Any value, including static arrays and inline tables, which can never be extended.
        case value(TOMLValue)
        case table(TOMLTableNode)
        case arrayOfTables([TOMLTableNode])
    }

    var origin: Origin
    private(set) var entries: [String: Entry] = [:]

    init(origin: Origin) {
        self.origin = origin
    }

    /// The finished tree as a value.
    var value: TOMLValue {
        .table(
            entries.mapValues { entry in
                switch entry {
                case .value(let value): value
                case .table(let table): table.value
                case .arrayOfTables(let tables): .array(tables.map(\.value))
                }
            })
    }

    /// Walks the intermediate keys of a `[header]` / `[[header]]` path, creating implicit tables; an array of
    /// tables stands for its last element.
    private func walkHeader(_ path: ArraySlice<String>, fullPath: [String]) throws(TOMLError.Reason) -> TOMLTableNode {
        var table = self
        for key in path {
            switch table.entries[key] {
            case nil:
                let child = TOMLTableNode(origin: .implicit)
                table.entries[key] = .table(child)
                table = child
            case .table(let child):
                table = child
            case .arrayOfTables(let children):
                table = children[children.count - 1]
            case .value:
                throw .notATable(Self.render(fullPath))
            }
        }
        return table
    }

    /// Handles `[path]`: returns the table that following key/value pairs go into.
    func defineTable(_ path: [String]) throws(TOMLError.Reason) -> TOMLTableNode {
        let parent = try walkHeader(path.dropLast(), fullPath: path)
        let key = path[path.count - 1]
        switch parent.entries[key] {
        case nil:
            let table = TOMLTableNode(origin: .header)
            parent.entries[key] = .table(table)
            return table
        case .table(let table) where table.origin == .implicit:
            table.origin = .header
            return table
        case .table, .arrayOfTables:
            throw .tableRedefinition(Self.render(path))
        case .value:
            throw .duplicateKey(Self.render(path))
        }
    }

    /// Handles `[[path]]`: appends a new table to the array of tables and returns it.
    func appendArrayTable(_ path: [String]) throws(TOMLError.Reason) -> TOMLTableNode {
        let parent = try walkHeader(path.dropLast(), fullPath: path)
        let key = path[path.count - 1]
        let table = TOMLTableNode(origin: .header)
        switch parent.entries[key] {
        case nil:
            parent.entries[key] = .arrayOfTables([table])
        case .arrayOfTables(var tables):
            tables.append(table)
            parent.entries[key] = .arrayOfTables(tables)
        case .table, .value:
            throw .notATable(Self.render(path))
        }
        return table
    }

    /// Handles `a.b.c = value` inside this table.
    func insert(_ value: TOMLValue, at path: [String]) throws(TOMLError.Reason) {
        var table = self
        for key in path.dropLast() {
            switch table.entries[key] {
            case nil:
                let child = TOMLTableNode(origin: .dotted)
                table.entries[key] = .table(child)
                table = child
            case .table(let child) where child.origin == .dotted:
                table = child
            case .table, .arrayOfTables, .value:
                throw .notATable(Self.render(path))
            }
        }
        let key = path[path.count - 1]
        guard table.entries[key] == nil else { throw .duplicateKey(Self.render(path)) }
        table.entries[key] = .value(value)
    }

    private static func render(_ path: [String]) -> String {
        path.joined(separator: ".")
    }
}
