import FSCore

/// A fixed-width column of one micro-batch (booleans, integers, doubles, timestamps), as raw
/// 64-bit words the parser appends to without touching a Swift array.
///
/// Why: `ColumnBuilder.append` and `Array.append` check the array's uniqueness and capacity
/// and, for the enum-backed `ColumnBuilder`, move the array out of its case and back, once per
/// value; with one call per field and message that per-row overhead was ~10% of the ingest
/// thread (`appendRow` plus `swift_isUniquelyReferenced`, bench/ANALYSIS.md, sixth pass).
/// Here an append is a capacity compare and a store. Every value is kept as its 64-bit
/// pattern (`Int32` and `Bool` widened) and converted to the column's array once, by
/// `finish`; validity bits are kept in words and only from the first NULL on.
///
/// The memory is owned by whoever holds the column (`BatchColumns`) and freed by `release()`;
/// a copy of the struct shares it, so `copy()` is the way to duplicate one.
struct FixedColumn {
    let type: DataType
    /// `capacity` values; the first `count` are rows.
    private var values: UnsafeMutablePointer<UInt64>
    private(set) var count = 0
    private var capacity: Int
    /// One bit per row (1 = valid), `capacity / 64 + 1` words, zero beyond `count`; nil while
    /// every row is valid.
    private var validity: UnsafeMutablePointer<UInt64>?

    init(type: DataType, capacity: Int) {
        self.type = type
        self.capacity = Swift.max(capacity, 16)
        values = .allocate(capacity: self.capacity)
    }

    @inline(__always)
    mutating func append(bits: UInt64) {
        if count == capacity { grow() }
        values[count] = bits
        if let v = validity { v[count >> 6] |= 1 &<< UInt64(count & 63) }
        count += 1
    }

    mutating func append(_ x: Int64) { append(bits: UInt64(bitPattern: x)) }
    mutating func append(_ x: Double) { append(bits: x.bitPattern) }
    mutating func append(_ b: Bool) { append(bits: b ? 1 : 0) }

    /// Appends a NULL (a zero value under a clear validity bit).
    mutating func appendNull() {
        if count == capacity { grow() }
        if validity == nil { validity = ValidityWords.allocate(rows: capacity, firstValid: count) }
        values[count] = 0
        count += 1
    }

    /// The rows as a column of `type`; the column is empty afterwards (its memory is kept for
    /// the next micro-batch).
    mutating func finish() -> Column {
        let n = count
        let p = values
        let column: ColumnValues
        switch type {
        case .boolean: column = .boolean([Bool](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = p[i] != 0 }; c = n })
        case .int32, .date:
            column = .int32([Int32](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = Int32(truncatingIfNeeded: Int64(bitPattern: p[i])) }; c = n })
        case .int64, .timestamp: column = .int64([Int64](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = Int64(bitPattern: p[i]) }; c = n })
        case .double: column = .double([Double](unsafeUninitializedCapacity: n) { b, c in for i in 0..<n { b[i] = Double(bitPattern: p[i]) }; c = n })
        case .string: preconditionFailure("FixedColumn of strings")
        }
        var bits: Validity? = nil
        if let v = validity {
            bits = ValidityWords.finish(v, count: n)
            validity = nil
        }
        count = 0
        return Column(type: type, values: column, validity: bits)
    }

    /// An independent column with the same rows.
    func copy() -> FixedColumn {
        var c = FixedColumn(type: type, capacity: capacity)
        c.values.update(from: values, count: count)
        c.count = count
        if let v = validity { c.validity = ValidityWords.copy(v, rows: capacity) }
        return c
    }

    /// Frees the memory; the column must not be used afterwards.
    func release() {
        values.deallocate()
        validity?.deallocate()
    }

    /// Doubles the room, keeping the rows (and their validity bits).
    private mutating func grow() {
        let n = capacity * 2
        let grown = UnsafeMutablePointer<UInt64>.allocate(capacity: n)
        grown.update(from: values, count: count)
        values.deallocate()
        values = grown
        if let v = validity { validity = ValidityWords.grow(v, rows: capacity, to: n) }
        capacity = n
    }
}
