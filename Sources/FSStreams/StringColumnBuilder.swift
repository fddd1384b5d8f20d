import FSCore

/// A string column that the JSON scanner decodes into directly: the bytes of the row being
/// parsed are written at the column's tail, and become the row only when it is committed.
///
/// Why: the parser used to unescape a message's strings into a scratch buffer (or leave them
/// in the message) and then copy them into `ColumnBuilder`'s byte array — a second pass over
/// ~1.7 KB a message, plus the array's growth copies; those appends were ~3.5% of fs-ingest's
/// CPU and 30% of its page faults (bench/ANALYSIS.md, fourth pass). Here the scanner's one
/// store per word is the only copy.
///
/// ```
///  bytes: [ committed rows …………………… | tail of the row being parsed | spare ]
///                                        ^ used                          ^ bytes.count
/// ```
/// `bytes` is kept longer than its content (`used`); the spare part is scratch that is only
/// ever written before it is read, and is cut off by `finish`. A message that goes to
/// quarantine leaves its tail uncommitted: the next row overwrites it, so nothing of a bad
/// message reaches the column.
///
/// The offsets and validity bits are raw memory, not arrays: an `Array.append` checks the
/// array's uniqueness (a call into the runtime) and capacity, once per string field and
/// message — part of the 4.6% of the ingest thread in `swift_isUniquelyReferenced`
/// (bench/ANALYSIS.md, sixth pass). The owner frees that memory with `release()`, and a copy
/// of the struct shares it, so `copy()` is the way to duplicate a builder.
struct StringColumnBuilder {
    /// The committed rows' bytes, then scratch (see the type's comment).
    private var bytes: [UInt8]
    /// Bytes of `bytes` that belong to committed rows.
    private(set) var used = 0
    /// `bytes.count`, kept here: the room check runs for every string of every message, and
    /// reading it from the array's header was a dependent load of its own (perf annotate).
    private var capacity: Int
    /// `rowCapacity + 1` offsets into `bytes`; the first `rowCount + 1` are set, `[0] == 0`.
    private var offsets: UnsafeMutablePointer<Int>
    private var rowCapacity: Int
    /// Rows committed so far.
    private(set) var rowCount = 0
    /// One bit per row (1 = valid), `rowCapacity / 64 + 1` words, zero past `rowCount`; nil
    /// while every row is valid.
    private var validity: UnsafeMutablePointer<UInt64>?
    /// The most bytes and rows a `finish` has seen: the next batch reserves that (+1/8)
    /// instead of doubling up from a guess — chunks are of similar size, and a micro-batch's
    /// short last chunk must not shrink the next one (every column would regrow, a copy each).
    private var largestBytes = 0
    private var largestRows = 0

    /// - Parameters:
    ///   - rows: rows to reserve room for.
    ///   - bytes: string bytes to reserve (the last chunk's, so a chunk rarely regrows).
    init(rows: Int, bytes byteCount: Int) {
        bytes = Self.uninitializedBytes(byteCount)
        capacity = bytes.count
        rowCapacity = Swift.max(rows, 16)
        offsets = .allocate(capacity: rowCapacity + 1)
        offsets[0] = 0
    }

    /// Counted as initialized without being written: `UInt8` is trivial, and no byte past
    /// `used` is read before the scanner has stored it (saves a memset of each chunk).
    private static func uninitializedBytes(_ n: Int) -> [UInt8] {
        let n = Swift.max(n, 64)
        return [UInt8](unsafeUninitializedCapacity: n) { _, count in count = n }
    }

    /// Makes room for `n` bytes at the tail and calls `body` with their start; the tail's
    /// content stays there until `commitRow` or the next `withTail` (which may move it).
    @inline(__always)
    mutating func withTail<R>(reserving n: Int, _ body: (UnsafeMutablePointer<UInt8>) -> R) -> R {
        if used + n > capacity { grow(to: used + n) }
        let at = used
        return bytes.withUnsafeMutableBufferPointer { body($0.baseAddress! + at) }
    }

    /// Reads `count` bytes of the tail (the row being parsed), e.g. a dedup key.
    func withTail<R>(count: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        precondition(used + count <= bytes.count, "tail read past what was written")
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[used..<(used + count)])) }
    }

    /// Makes the first `count` bytes of the tail the next row.
    @inline(__always)
    mutating func commitRow(count: Int) {
        precondition(used + count <= capacity, "committed more than the tail holds")
        used += count
        endRow()
    }

    /// Appends a row by copying (values that were not decoded into the tail: Kafka keys,
    /// booleans and numbers written into a string column, compacted JSON arrays).
    mutating func append(utf8 v: UnsafeRawBufferPointer) {
        let n = v.count
        withTail(reserving: n) { p in
            if let src = v.baseAddress, n > 0 { p.update(from: src.assumingMemoryBound(to: UInt8.self), count: n) }
        }
        commitRow(count: n)
    }

    mutating func appendNull() {
        if rowCount == rowCapacity { growRows() }
        if validity == nil { validity = ValidityWords.allocate(rows: rowCapacity, firstValid: rowCount) }
        rowCount += 1
        offsets[rowCount] = used
    }

    /// Ends a valid row at `used`.
    @inline(__always)
    private mutating func endRow() {
        if rowCount == rowCapacity { growRows() }
        if let v = validity { v[rowCount >> 6] |= 1 &<< UInt64(rowCount & 63) }
        rowCount += 1
        offsets[rowCount] = used
    }

    /// The finished column. The builder is empty afterwards, reserved for the largest batch
    /// so far (see `largestBytes`), and can be reused.
    mutating func finish() -> Column {
        bytes.removeLast(bytes.count - used)
        let n = rowCount, o = offsets
        let values = StringArray(offsets: [Int](unsafeUninitializedCapacity: n + 1) { b, c in b.baseAddress!.update(from: o, count: n + 1); c = n + 1 },
                                 bytes: bytes)
        var bits: Validity? = nil
        if let v = validity {
            bits = ValidityWords.finish(v, count: n)
            validity = nil
        }
        largestBytes = Swift.max(largestBytes, used)
        largestRows = Swift.max(largestRows, n)
        bytes = Self.uninitializedBytes(largestBytes > 0 ? largestBytes + largestBytes / 8 : largestRows * 16)
        capacity = bytes.count
        used = 0
        rowCount = 0
        return Column(type: .string, values: .string(values), validity: bits)
    }

    /// An independent builder with the same rows (the byte array is shared until either
    /// writes, as arrays are).
    func copy() -> StringColumnBuilder {
        var c = self
        c.offsets = .allocate(capacity: rowCapacity + 1)
        c.offsets.update(from: offsets, count: rowCount + 1)
        if let v = validity { c.validity = ValidityWords.copy(v, rows: rowCapacity) }
        return c
    }

    /// Frees the raw memory; the builder must not be used afterwards.
    func release() {
        offsets.deallocate()
        validity?.deallocate()
    }

    /// Doubles the buffer (at least to `needed`), keeping the committed bytes.
    private mutating func grow(to needed: Int) {
        let n = Swift.max(needed, bytes.count * 2)
        var grown = [UInt8](unsafeUninitializedCapacity: n) { _, count in count = n }
        let keep = used
        grown.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                if keep > 0 { dst.baseAddress!.update(from: src.baseAddress!, count: keep) }
            }
        }
        bytes = grown
        capacity = n
    }

    /// Doubles the room for rows, keeping the offsets and validity bits.
    private mutating func growRows() {
        let n = rowCapacity * 2
        let grown = UnsafeMutablePointer<Int>.allocate(capacity: n + 1)
        grown.update(from: offsets, count: rowCount + 1)
        offsets.deallocate()
        offsets = grown
        if let v = validity { validity = ValidityWords.grow(v, rows: rowCapacity, to: n) }
        rowCapacity = n
    }
}
