import FSCore

/// The validity bits of a raw column (one bit a row, set = present) in zeroed 64-bit words, the
/// layout of `Validity`: what `FixedColumn` and `StringColumnBuilder` allocate once a column
/// meets its first NULL, copy, grow and hand over as a `Validity` when a batch is finished.
enum ValidityWords {
    /// Zeroed words for `rows` rows.
    static func allocate(rows: Int) -> UnsafeMutablePointer<UInt64> {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: rows >> 6 + 1)
        p.initialize(repeating: 0, count: rows >> 6 + 1)
        return p
    }

    /// Words for `capacity` rows whose first `valid` rows are set: a column's bits at its first
    /// NULL, every row before it having held a value.
    static func allocate(rows capacity: Int, firstValid valid: Int) -> UnsafeMutablePointer<UInt64> {
        let v = allocate(rows: capacity)
        for w in 0..<(valid >> 6) { v[w] = ~0 }
        if valid & 63 != 0 { v[valid >> 6] = (1 &<< UInt64(valid & 63)) &- 1 }
        return v
    }

    /// An independent copy of `words`, sized for `rows`.
    static func copy(_ words: UnsafeMutablePointer<UInt64>, rows: Int) -> UnsafeMutablePointer<UInt64> {
        let c = allocate(rows: rows)
        c.update(from: words, count: rows >> 6 + 1)
        return c
    }

    /// `words`, sized for `rows`, moved into zeroed words for `newRows` (`words` is freed).
    static func grow(_ words: UnsafeMutablePointer<UInt64>, rows: Int, to newRows: Int) -> UnsafeMutablePointer<UInt64> {
        let grown = allocate(rows: newRows)
        grown.update(from: words, count: rows >> 6 + 1)
        words.deallocate()
        return grown
    }

    /// The first `count` bits as a `Validity`, then `words` freed.
    static func finish(_ words: UnsafeMutablePointer<UInt64>, count: Int) -> Validity {
        defer { words.deallocate() }
        return Validity(copying: words, count: count)
    }
}
