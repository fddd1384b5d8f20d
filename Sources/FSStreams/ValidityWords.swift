/// The validity bits of a raw column (one bit a row, set = present) in zeroed 64-bit words:
/// what `FixedColumn` and `StringColumnBuilder` allocate once a column meets its first NULL,
/// and move when their rows grow.
enum ValidityWords {
    /// Zeroed words for `rows` rows.
    static func allocate(rows: Int) -> UnsafeMutablePointer<UInt64> {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: rows >> 6 + 1)
        p.initialize(repeating: 0, count: rows >> 6 + 1)
        return p
    }

    /// `words`, sized for `rows`, moved into zeroed words for `newRows` (`words` is freed).
    static func grow(_ words: UnsafeMutablePointer<UInt64>, rows: Int, to newRows: Int) -> UnsafeMutablePointer<UInt64> {
        let grown = allocate(rows: newRows)
        grown.update(from: words, count: rows >> 6 + 1)
        words.deallocate()
        return grown
    }
}
