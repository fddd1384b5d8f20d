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
struct StringColumnBuilder {
    /// The committed rows' bytes, then scratch (see the type's comment).
    private var bytes: [UInt8]
    /// Bytes of `bytes` that belong to committed rows.
    private(set) var used = 0
    /// `bytes.count`, kept here: the room check runs for every string of every message, and
    /// reading it from the array's header was a dependent load of its own (perf annotate).
    private var capacity: Int
    private var offsets: [Int]
    private var validity: Validity?

    /// - Parameters:
    ///   - rows: rows to reserve room for.
    ///   - bytes: string bytes to reserve (the last chunk's, so a chunk rarely regrows).
    init(rows: Int, bytes byteCount: Int) {
        // Counted as initialized without being written: `UInt8` is trivial, and no byte past
        // `used` is read before the scanner has stored it (saves a memset of each chunk).
        let n = Swift.max(byteCount, 64)
        bytes = [UInt8](unsafeUninitializedCapacity: n) { _, count in count = n }
        capacity = n
        offsets = [0]
        offsets.reserveCapacity(rows + 1)
    }

    /// Rows committed so far.
    var rowCount: Int { offsets.count - 1 }

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
        offsets.append(used)
        validity?.append(true)
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
        if validity == nil { validity = Validity(repeating: true, count: rowCount) }
        offsets.append(used)
        validity!.append(false)
    }

    /// The finished column; the builder must not be used afterwards.
    mutating func finish() -> Column {
        bytes.removeLast(bytes.count - used)
        let values = StringArray(offsets: offsets, bytes: bytes)
        return Column(type: .string, values: .string(values), validity: validity)
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
}
