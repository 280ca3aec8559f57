import AddressPool
import Testing

@Suite struct DictionaryShrinkingTests {
    @Test("a table emptied of 10,000 entries gives its storage back; plain removeValue keeps it")
    func emptiedTableShrinks() {
        var shrinking: [UInt64: Int] = [:]
        var plain: [UInt64: Int] = [:]
        for key in 0..<UInt64(10_000) {
            shrinking[key] = Int(key)
            plain[key] = Int(key)
        }
        let grown = shrinking.capacity
        #expect(grown >= 10_000)
        for key in 0..<UInt64(10_000) {
            #expect(shrinking.removeValueAndShrink(forKey: key) == Int(key))
            plain.removeValue(forKey: key)
        }
        #expect(shrinking.isEmpty && plain.isEmpty)
        #expect(plain.capacity == grown, "Swift's own removal keeps the buckets (what this works around)")
        #expect(shrinking.capacity <= 64)
    }

    @Test("shrinking keeps every remaining entry, and a missing key removes nothing")
    func remainingEntriesSurvive() {
        var table: [UInt64: String] = [:]
        for key in 0..<UInt64(4096) { table[key] = "v\(key)" }
        // Remove all but every 64th key: 64 remain, far below an eighth of the capacity.
        for key in 0..<UInt64(4096) where key % 64 != 0 { table.removeValueAndShrink(forKey: key) }
        #expect(table.count == 64)
        #expect(table.capacity < 1024)
        for key in stride(from: UInt64(0), to: 4096, by: 64) { #expect(table[key] == "v\(key)") }
        #expect(table.removeValueAndShrink(forKey: 1) == nil)
        #expect(table.count == 64)
    }

    @Test("a table that stays at least an eighth full is not rebuilt")
    func denseTableKeepsItsStorage() {
        var table: [UInt64: Int] = [:]
        for key in 0..<UInt64(1000) { table[key] = 0 }
        let capacity = table.capacity
        for key in 0..<UInt64(500) { table.removeValueAndShrink(forKey: key) }
        #expect(table.capacity == capacity)
    }
}
