import FSCore

/// Reduces a stream of batches (columns `keys…, time, features…`) to the newest row of every
/// key, holding only those rows.
///
/// Rule: a row replaces the kept row of its key only when its time is strictly greater. On equal
/// times the row seen first stays — the same rule the stores apply (an equal time never
/// overwrites), so publishing commits one by one or all at once gives the same store, as long
/// as rows are fed in commit order (`ChangeReader` reads files in the order their commits added
/// them, rows in file order). Rows with a NULL key part or a NULL time cannot be placed and are
/// counted, never kept.
///
/// Memory: winners are gathered out of each input batch (column-wise, no per-row values kept)
/// into parts; when the parts hold more than twice the keys, the live rows are compacted into
/// one batch. So memory is O(keys), whatever the number of input rows.
struct LatestPerKey {
    /// One key's identity: a single column's value, or the values of a composite key.
    enum Key: Hashable { case one(Value), many([Value]) }
    /// A time, comparable across batches whatever the column type.
    enum Time: Comparable { case int(Int64), double(Double), string(String) }

    let schema: Schema
    let keyCount: Int
    private(set) var rowsRead = 0
    private(set) var nullKeyRows = 0
    private(set) var nullTimeRows = 0

    private var slotOfKey: [Key: Int] = [:]
    private var bestTime: [Time] = []
    /// Where each slot's row lives: part index and row in it.
    private var location: [(part: Int, row: Int)] = []
    private var parts: [RecordBatch] = []
    private var partRows = 0

    init(schema: Schema, keyCount: Int) {
        self.schema = schema
        self.keyCount = keyCount
    }

    var keyCountSeen: Int { bestTime.count }

    mutating func add(_ batch: RecordBatch) {
        let n = batch.rowCount
        guard n > 0 else { return }
        rowsRead += n
        let keyColumns = Array(batch.columns[0..<keyCount])
        let timeColumn = batch.columns[keyCount]
        // Winning row of this batch per slot (a later row of the same key may supersede it).
        var pending: [Int: Int] = [:]
        for r in 0..<n {
            guard let key = Self.key(keyColumns, r) else { nullKeyRows += 1; continue }
            guard let t = Self.time(timeColumn, r) else { nullTimeRows += 1; continue }
            if let slot = slotOfKey[key] {
                if t > bestTime[slot] {
                    bestTime[slot] = t
                    pending[slot] = r
                }
            } else {
                let slot = bestTime.count
                slotOfKey[key] = slot
                bestTime.append(t)
                location.append((part: -1, row: -1))
                pending[slot] = r
            }
        }
        guard !pending.isEmpty else { return }
        let ordered = pending.sorted { $0.value < $1.value }
        let part = parts.count
        parts.append(batch.gather(ordered.map(\.value)))
        for (i, (slot, _)) in ordered.enumerated() { location[slot] = (part: part, row: i) }
        partRows += ordered.count
        if partRows > 2 * bestTime.count + 65_536 { compact() }
    }

    /// The kept rows, one per key, in the order keys were first seen.
    mutating func finish() -> RecordBatch {
        if bestTime.isEmpty { return RecordBatch.empty(schema) }
        compact()
        return parts[0]
    }

    /// Rewrites the parts into one batch holding exactly the live rows, in slot order.
    private mutating func compact() {
        if parts.count == 1 && partRows == bestTime.count && location.enumerated().allSatisfy({ $0.element.row == $0.offset }) { return }
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
        partRows = bestTime.count
    }

    static func key(_ columns: [Column], _ r: Int) -> Key? {
        if columns.count == 1 {
            let v = columns[0][r]
            return v.isNull ? nil : .one(v)
        }
        var values: [Value] = []
        values.reserveCapacity(columns.count)
        for c in columns {
            let v = c[r]
            if v.isNull { return nil }
            values.append(v)
        }
        return .many(values)
    }

    static func time(_ c: Column, _ r: Int) -> Time? {
        if c.isNull(r) { return nil }
        switch c.values {
        case .int64(let v): return .int(v[r])
        case .int32(let v): return .int(Int64(v[r]))
        case .double(let v): return v[r].isNaN ? nil : .double(v[r])
        case .string(let v): return .string(v[r])
        case .boolean(let v): return .int(v[r] ? 1 : 0)
        }
    }
}
