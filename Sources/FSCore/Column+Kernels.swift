#if canImport(Glibc)
import Glibc
#endif

// Generic column kernels every layer uses on whole columns: ordering rows by a column, and
// reading an event-time column as microseconds. (The gather fast path is `StringArray.gather`,
// so `Column.gather` and `RecordBatch.gather` have it.)

extension Column {
    /// Row order of this column ascending: NULL rows first (in row order), strings by UTF-8
    /// bytes (Spark's and Parquet statistics' order), ties in row order — so the order, and any
    /// file written in it, is the same whatever order the rows arrived in.
    public func ascendingOrder() -> [Int] {
        let n = count
        var order = Array(0..<n)
        let nulls = validity
        func nullOrder(_ a: Int, _ b: Int) -> Bool? {
            guard let v = nulls else { return nil }
            let na = !v.isValid(a), nb = !v.isValid(b)
            if na || nb { return na && !nb ? true : (na == nb ? a < b : false) }
            return nil
        }
        switch values {
        case .string(let s):
            order = s.ascendingOrder(nulls: nulls)
        case .int64(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? v[a] < v[b] : a < b) }
        case .int32(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? v[a] < v[b] : a < b) }
        case .boolean(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? !v[a] : a < b) }
        case .double(let v): order.sort { a, b in nullOrder(a, b) ?? (v[a] != v[b] ? v[a] < v[b] : a < b) }
        }
        return order
    }

    /// An event-time column in µs: a timestamp as is, a date at midnight UTC; NULL rows (and a
    /// column of any other type) read `Int64.min`, which no time range contains.
    public func eventTimeMicros() -> [Int64] {
        let n = count
        var out: [Int64]
        switch values {
        case .int64(let v) where type == .timestamp:
            out = v
        case .int32(let v) where type == .date:
            out = v.map { Int64($0) * microsPerDay }
        default:
            return Array(repeating: .min, count: n)
        }
        if let bm = validity {
            for i in 0..<n where !bm.isValid(i) { out[i] = .min }
        }
        return out
    }
}

extension StringArray {
    /// Row order by UTF-8 bytes, NULL rows (per `nulls`) first in row order. Sorts (8-byte
    /// big-endian prefix, row) pairs so most comparisons are one integer compare; ties on the
    /// prefix fall back to memcmp of the rest, then the length (a proper prefix sorts first).
    public func ascendingOrder(nulls: Validity?) -> [Int] {
        let s = self
        let n = s.count
        var head: [Int] = []
        var entries: [(prefix: UInt64, row: Int)] = []
        entries.reserveCapacity(n)
        s.offsets.withUnsafeBufferPointer { off in
            s.bytes.withUnsafeBufferPointer { bytes in
                for i in 0..<n {
                    if let v = nulls, !v.isValid(i) { head.append(i); continue }
                    var p: UInt64 = 0
                    let start = off[i], len = off[i + 1] - start
                    for k in 0..<8 { p = p << 8 | (k < len ? UInt64(bytes[start + k]) : 0) }
                    entries.append((p, i))
                }
                entries.sort { a, b in
                    if a.prefix != b.prefix { return a.prefix < b.prefix }
                    let la = off[a.row + 1] - off[a.row], lb = off[b.row + 1] - off[b.row]
                    let common = min(la, lb)
                    if common > 8, let base = bytes.baseAddress {
                        let c = memcmp(base + off[a.row] + 8, base + off[b.row] + 8, common - 8)
                        if c != 0 { return c < 0 }
                    }
                    return la != lb ? la < lb : a.row < b.row
                }
            }
        }
        return head + entries.map(\.row)
    }
}
