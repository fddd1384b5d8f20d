import FSCore

/// Reduces a stream of batches (columns `keys…, time, features…`) to the newest row of every
/// key, holding only those rows.
///
/// Rule: a row replaces the kept row of its key only when its time is strictly greater. On equal
/// times the row seen first stays — the same rule the stores apply (an equal time never
/// overwrites), so publishing commits one by one or all at once gives the same store, as long
/// as rows are fed in commit order (`ChangeReader` reads files in the order their commits added
/// them, rows in file order). Rows with a NULL key part or a NULL (or NaN) time cannot be placed and are
/// counted, never kept.
///
/// Memory: winners are gathered out of each input batch (column-wise, no per-row values kept)
/// into parts; when the parts hold more than twice the keys, the live rows are compacted into
/// one batch. So memory is O(keys), whatever the number of input rows.
struct LatestPerKey {
    /// The kept rows' times, typed by the time column's storage.
    enum Times { case ints([Int64]), doubles([Double]), strings([String]) }

    let schema: Schema
    let keyCount: Int
    private(set) var rowsRead = 0
    private(set) var nullKeyRows = 0
    private(set) var nullTimeRows = 0

    private var keys = KeyTable()
    private var best: Times
    /// Where each slot's row lives: part index and row in it.
    private var location: [(part: Int, row: Int)] = []
    private var parts: [RecordBatch] = []
    private var partRows = 0
    /// Per slot, the batch row that won in the batch being added (+1; 0 = none).
    private var pendingRow: [Int] = []

    init(schema: Schema, keyCount: Int) {
        self.schema = schema
        self.keyCount = keyCount
        switch schema.fields[keyCount].type {
        case .double: best = .doubles([])
        case .string: best = .strings([])
        default: best = .ints([])
        }
    }

    var keyCountSeen: Int { keys.count }

    mutating func add(_ batch: RecordBatch) {
        let n = batch.rowCount
        guard n > 0 else { return }
        rowsRead += n
        let keyColumns = Array(batch.columns[0..<keyCount])
        let time = batch.columns[keyCount]
        if keys.count == 0 { reserveForFirstBatch(keyColumns, rows: n) }
        var touched: [Int] = []
        touched.reserveCapacity(n)
        switch (best, time.values) {
        case (.ints(var b), .int64(let t)):
            best = .ints([])
            reduce(keyColumns, time, n, &touched, &b) { t[$0] }
            best = .ints(b)
        case (.ints(var b), .int32(let t)):
            best = .ints([])
            reduce(keyColumns, time, n, &touched, &b) { Int64(t[$0]) }
            best = .ints(b)
        case (.ints(var b), .boolean(let t)):
            best = .ints([])
            reduce(keyColumns, time, n, &touched, &b) { t[$0] ? 1 : 0 }
            best = .ints(b)
        case (.doubles(var b), .double(let t)):
            best = .doubles([])
            reduce(keyColumns, time, n, &touched, &b) { t[$0] }
            best = .doubles(b)
        case (.strings(var b), .string(let t)):
            best = .strings([])
            reduce(keyColumns, time, n, &touched, &b) { t[$0] }
            best = .strings(b)
        default:
            preconditionFailure("time column \(time.type) does not match the layout's \(schema.fields[keyCount].type)")
        }
        takeWinners(of: batch, touched)
    }

    /// Sizes the key table and the per-slot arrays for `rows` keys (at most one per row) when
    /// the first batch arrives: growing them step by step from empty (the table rehashed seven
    /// times on the way to 50k keys) cost more than reserving once.
    private mutating func reserveForFirstBatch(_ keyColumns: [Column], rows n: Int) {
        var keyBytes = 0
        if keyColumns.count == 1, case .string(let s) = keyColumns[0].values { keyBytes = s.bytes.count }
        keys.reserve(keys: n, bytes: keyBytes)
        location.reserveCapacity(n)
        pendingRow.reserveCapacity(n)
        switch best {
        case .ints(var b): best = .ints([]); b.reserveCapacity(n); best = .ints(b)
        case .doubles(var b): best = .doubles([]); b.reserveCapacity(n); best = .doubles(b)
        case .strings(var b): best = .strings([]); b.reserveCapacity(n); best = .strings(b)
        }
    }

    /// Folds in `later`, the reduction of rows that all come after this one's rows in feeding
    /// order (the next files of the same change): the result is what feeding both inputs to one
    /// reducer gives — same rows, same slot order, same counts — because a key's kept row is the
    /// first of its strictly greatest time, so `later`'s row wins only when strictly newer, and
    /// keys `later` adds come after this one's in the order `later` first saw them. This is what
    /// lets `ParallelReduction` split the files across threads and stay deterministic.
    mutating func merge(_ other: LatestPerKey) {
        var later = other
        rowsRead += later.rowsRead
        nullKeyRows += later.nullKeyRows
        nullTimeRows += later.nullTimeRows
        guard later.keys.count > 0 else { return }
        let batch = later.finish()
        var touched: [Int] = []
        switch (best, later.best) {
        case (.ints(var b), .ints(let t)):
            best = .ints([])
            fold(later.keys, &touched, &b) { t[$0] }
            best = .ints(b)
        case (.doubles(var b), .doubles(let t)):
            best = .doubles([])
            fold(later.keys, &touched, &b) { t[$0] }
            best = .doubles(b)
        case (.strings(var b), .strings(let t)):
            best = .strings([])
            fold(later.keys, &touched, &b) { t[$0] }
            best = .strings(b)
        default:
            preconditionFailure("merging reducers of different time types (\(schema.fields[keyCount].type))")
        }
        takeWinners(of: batch, touched)
    }

    /// The merge's per-key loop: `later`'s slot `r` (row `r` of its finished batch) against this
    /// reducer's kept row of the same key bytes.
    private mutating func fold<T: Comparable>(_ laterKeys: KeyTable, _ touched: inout [Int], _ bestTimes: inout [T], _ timeAt: (Int) -> T) {
        for r in 0..<laterKeys.count {
            let (slot, isNew) = laterKeys.withKey(r) { keys.slot(utf8: $0) }
            keep(slot, isNew: isNew, row: r, time: timeAt(r), &touched, &bestTimes)
        }
    }

    /// Gathers the rows of `batch` that won a slot (`pendingRow`) into a new part, in row order.
    private mutating func takeWinners(of batch: RecordBatch, _ touched: [Int]) {
        guard !touched.isEmpty else { return }
        // The winners of this batch, in row order, gathered column-wise.
        var rows: [Int] = []
        rows.reserveCapacity(touched.count)
        var isAscending = true
        for slot in touched {
            let row = pendingRow[slot] - 1
            if let last = rows.last, row < last { isAscending = false }
            rows.append(row)
        }
        // Winners already in row order (each key once per batch, the common case of a publish
        // of latest rows) need no sort, and when every row won, no copy of the batch: the sort
        // and gather were a third of reducing the bench's 50k unique keys.
        let order = isAscending ? Array(rows.indices) : rows.indices.sorted { rows[$0] < rows[$1] }
        let part = parts.count
        parts.append(isAscending && rows.count == batch.rowCount ? batch : batch.gather(order.map { rows[$0] }))
        for (i, o) in order.enumerated() {
            let slot = touched[o]
            location[slot] = (part: part, row: i)
            pendingRow[slot] = 0
        }
        partRows += touched.count
        if partRows > 2 * keys.count + 65_536 { compact() }
    }

    /// The per-row loop for one time storage type: NULL keys and times counted; a row wins when
    /// its key is new or its time is strictly greater than the kept one. A single string key
    /// (the common case: an entity id) is looked up straight from the column's bytes, without
    /// unpacking the column per row.
    private mutating func reduce<T: Comparable>(_ keyColumns: [Column], _ time: Column, _ n: Int, _ touched: inout [Int],
                                                _ bestTimes: inout [T], _ timeAt: (Int) -> T) {
        let timeHasNulls = time.hasNulls
        let keyHasNulls = keyColumns.contains { $0.hasNulls }
        if keyColumns.count == 1, case .string(let s) = keyColumns[0].values {
            let keyColumn = keyColumns[0]
            if let hint = keyColumn.dictionaryHint, hint.codes.count == n, hint.codeCount <= 2 * n + 1024 {
                reduceByCode(s, keyColumn, hint, time, n, &touched, &bestTimes, timeAt)
                return
            }
            s.offsets.withUnsafeBufferPointer { off in
                s.bytes.withUnsafeBufferPointer { bytes in
                    for r in 0..<n {
                        if keyHasNulls && keyColumn.isNull(r) { nullKeyRows += 1; continue }
                        if timeHasNulls && time.isNull(r) { nullTimeRows += 1; continue }
                        let t = timeAt(r)
                        if t != t { nullTimeRows += 1; continue }  // NaN: unordered
                        let (slot, isNew) = keys.slot(utf8: UnsafeBufferPointer(rebasing: bytes[off[r]..<off[r + 1]]))
                        keep(slot, isNew: isNew, row: r, time: t, &touched, &bestTimes)
                    }
                }
            }
            return
        }
        for r in 0..<n {
            if keyHasNulls && keyColumns.contains(where: { $0.isNull(r) }) { nullKeyRows += 1; continue }
            if timeHasNulls && time.isNull(r) { nullTimeRows += 1; continue }
            let t = timeAt(r)
            if t != t { nullTimeRows += 1; continue }  // NaN: unordered
            guard let (slot, isNew) = keys.slot(keyColumns, r) else { nullKeyRows += 1; continue }
            keep(slot, isNew: isNew, row: r, time: t, &touched, &bestTimes)
        }
    }

    /// The single string key loop for a column that came with dictionary codes (the Parquet
    /// reader's `DictionaryHint`): the first row of a code in the batch is looked up in the key
    /// table; later rows of the code only confirm that their bytes equal that first row's (the
    /// hint is never trusted: a mismatch takes the hashed lookup). Hashing each row's key and
    /// probing the table was 41 % of a 12M-row publish (50k customers, ~2,800 per row group);
    /// this hashes ~1 row in 12. The comparison is with the batch's own bytes, not the key
    /// table's arena: checking against the arena (1.8 MB for 50k keys, random access) cost
    /// 17 % of the run in cache misses, more than it saved.
    private mutating func reduceByCode<T: Comparable>(_ s: StringArray, _ keyColumn: Column, _ hint: DictionaryHint, _ time: Column, _ n: Int,
                                                      _ touched: inout [Int], _ bestTimes: inout [T], _ timeAt: (Int) -> T) {
        let timeHasNulls = time.hasNulls
        let keyHasNulls = keyColumn.hasNulls
        // Per code: the slot of its first row in this batch (-1: none yet) and that row.
        var slotOfCode = [Int](repeating: -1, count: hint.codeCount)
        var rowOfCode = [Int](repeating: 0, count: hint.codeCount)
        s.offsets.withUnsafeBufferPointer { off in
            s.bytes.withUnsafeBufferPointer { bytes in
                hint.codes.withUnsafeBufferPointer { codes in
                    for r in 0..<n {
                        if keyHasNulls && keyColumn.isNull(r) { nullKeyRows += 1; continue }
                        if timeHasNulls && time.isNull(r) { nullTimeRows += 1; continue }
                        let t = timeAt(r)
                        if t != t { nullTimeRows += 1; continue }  // NaN: unordered
                        let lo = off[r], length = off[r + 1] - lo
                        let code = Int(codes[r])
                        if code < slotOfCode.count, slotOfCode[code] >= 0 {
                            let first = rowOfCode[code], firstLo = off[first]
                            if off[first + 1] - firstLo == length,
                               length == 0 || bytesEqual(bytes.baseAddress! + lo, bytes.baseAddress! + firstLo, length) {
                                keep(slotOfCode[code], isNew: false, row: r, time: t, &touched, &bestTimes)
                                continue
                            }
                        }
                        let (slot, isNew) = keys.slot(utf8: UnsafeBufferPointer(rebasing: bytes[lo..<lo + length]))
                        if code < slotOfCode.count {
                            slotOfCode[code] = slot
                            rowOfCode[code] = r
                        }
                        keep(slot, isNew: isNew, row: r, time: t, &touched, &bestTimes)
                    }
                }
            }
        }
    }

    /// Row `r` with time `t` against the kept row of its slot: it becomes the batch's winner of
    /// the slot when the key is new or `t` is strictly greater.
    @inline(__always)
    private mutating func keep<T: Comparable>(_ slot: Int, isNew: Bool, row r: Int, time t: T, _ touched: inout [Int], _ bestTimes: inout [T]) {
        if isNew {
            bestTimes.append(t)
            location.append((part: -1, row: -1))
            pendingRow.append(0)
        } else if !(t > bestTimes[slot]) {
            return
        } else {
            bestTimes[slot] = t
        }
        if pendingRow[slot] == 0 { touched.append(slot) }
        pendingRow[slot] = r + 1
    }

    /// The kept rows, one per key, in the order keys were first seen.
    mutating func finish() -> RecordBatch {
        if keys.count == 0 { return RecordBatch.empty(schema) }
        compact()
        return parts[0]
    }

    /// Rewrites the parts into one batch holding exactly the live rows, in slot order.
    private mutating func compact() {
        if parts.count == 1 && partRows == keys.count && location.enumerated().allSatisfy({ $0.element.row == $0.offset }) { return }
        var indicesByPart = [[Int]](repeating: [], count: parts.count)
        var slotsByPart = [[Int]](repeating: [], count: parts.count)
        for (slot, loc) in location.enumerated() {
            indicesByPart[loc.part].append(loc.row)
            slotsByPart[loc.part].append(slot)
        }
        var gathered: [RecordBatch] = []
        var order: [Int] = []  // slot of each row of the concatenation
        for p in parts.indices where !indicesByPart[p].isEmpty {
            gathered.append(parts[p].gather(indicesByPart[p]))
            order += slotsByPart[p]
        }
        let merged = RecordBatch.concatenate(gathered, schema: schema)
        // Into slot order, so the result does not depend on when compaction ran.
        var positionOfSlot = [Int](repeating: 0, count: order.count)
        for (i, slot) in order.enumerated() { positionOfSlot[slot] = i }
        parts = [merged.gather(positionOfSlot)]
        for slot in location.indices { location[slot] = (part: 0, row: slot) }
        partRows = keys.count
    }
}
