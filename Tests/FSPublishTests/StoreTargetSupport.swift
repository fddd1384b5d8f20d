import FSCore
import FSPublish
import Testing

/// Random feature rows and an independent latest-per-key, shared by the store-target suites.
///
/// Every store test compares the store's contents (read back with the store's own CLI, not with
/// our client) with `expectedLatest`, computed here from all rows ever published: for each key,
/// the row with the greatest time. Times are distinct per key, so "newest" is never a tie.
struct StoreFixture {
    /// Key, time, and features whose names need quoting: a dash, a quote, a space.
    static let keyColumns = [Field("customer id", .string, isNullable: false)]
    static let timeColumn = Field("window_end", .timestamp)
    static let featureColumns = [
        Field("total-amount", .double), Field("it's \"n\"", .int64), Field("is_vip", .boolean),
        Field("first_day", .date), Field("note", .string), Field("n32", .int32),
    ]

    static func layout(target: String, sourceId: String = "source-1") -> PublishLayout {
        PublishLayout(target: target, sourceTableId: sourceId, sourcePath: "/data/aggregations/online/x",
                      keyColumns: keyColumns, timeColumn: timeColumn, featureColumns: featureColumns)
    }

    /// Keys that exercise escaping: tab, newline, backslash, quotes, non-ASCII, colon.
    static let keys = ["c0", "c:1", "c\\2", "tab\there", "new\nline", "ça 😀", "quote'\"", "", "a:b:c", "c9"]

    var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// `count` rows with random keys, distinct times in [base, base + 10^6 s), random features.
    mutating func rows(_ count: Int, base: Int64 = 1_547_730_000_000_000) -> [[Value]] {
        var used = Set<Int64>()
        var out: [[Value]] = []
        for _ in 0..<count {
            let key = Self.keys[Int(generator.next() % UInt64(Self.keys.count))]
            var t: Int64
            repeat { t = base + Int64(generator.next() % 1_000_000) * 1_000_000 + Int64(generator.next() % 1000) } while used.contains(t)
            used.insert(t)
            let r = generator.next()
            out.append([
                .string(key), .timestamp(t),
                r % 11 == 0 ? .null : .double(Double(Int64(r % 100_000)) / 8 - 3000),
                .int64(Int64(bitPattern: r) >> 20),
                .boolean(r & 1 == 0),
                r % 13 == 0 ? .null : .date(Int32(17_000 + r % 500)),
                r % 5 == 0 ? .null : .string(["", "x", "tab\tand\\slash", "naïve", "line\nbreak"][Int(r % 5)]),
                .int32(Int32(truncatingIfNeeded: r >> 40)),
            ])
        }
        return out
    }

    /// The newest row per key of `rows` (the reduction the publish job applies per batch).
    static func latestPerKey(_ rows: [[Value]]) -> [[Value]] {
        var best: [String: [Value]] = [:]
        for row in rows {
            let k = keyText(row)
            if let b = best[k], time(b) >= time(row) { continue }
            best[k] = row
        }
        return best.keys.sorted().map { best[$0]! }
    }

    static func batch(_ rows: [[Value]]) -> RecordBatch {
        let fields = keyColumns + [timeColumn] + featureColumns
        return RecordBatch(schema: Schema(fields), columns: fields.indices.map { j in Column(fields[j].type, rows.map { $0[j] }) })
    }

    static func keyText(_ row: [Value]) -> String { if case .string(let s) = row[0] { return s }; return "" }
    static func time(_ row: [Value]) -> Int64 { if case .timestamp(let t) = row[1] { return t }; return .min }
}

/// Lowercase hex of a string's UTF-8 bytes: how string values are compared (psql and
/// redis-cli output cannot carry tabs and newlines unambiguously).
func hexUTF8(_ s: String) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    for b in s.utf8 { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return out
}

/// A double in one canonical spelling, so the store's text and ours compare equal.
func canonicalDouble(_ text: String) -> String {
    guard let d = Double(text) else { return "bad(\(text))" }
    return d.isNaN ? "NaN" : "\(d)"
}
