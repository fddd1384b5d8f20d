import FSCore

/// Delta per-file statistics (`add.stats`, §3.4): row count and, per column, min, max and null
/// count — built by our writer, parsed from any writer's log for data skipping.
///
/// Writing rules (so every reader can trust the bounds):
/// - partition columns are excluded, only the first `delta.dataSkippingNumIndexedCols` (32)
///   stored columns get statistics;
/// - timestamps are ISO-8601 UTC milliseconds: min truncated down, max rounded **up**;
/// - strings get min/max only when both are at most 32 UTF-16 units (Spark's prefix length:
///   a truncated max would not be an upper bound);
/// - doubles with a NaN, or an infinite bound, get no min/max (JSON has no NaN/Infinity, and
///   engines order NaN differently);
/// - an all-null column gets only its null count.
public struct FileStatistics: Sendable, Equatable {
    /// Statistics of one column (built only in FSTable: the memberwise init).
    public struct ColumnEntry: Sendable, Equatable {
        public var name: String
        public var min: Value?
        public var max: Value?
        public var nullCount: Int64?
    }

    public var numRecords: Int64?
    /// In schema order.
    public var columns: [ColumnEntry]

    public init(numRecords: Int64?, columns: [ColumnEntry]) {
        self.numRecords = numRecords
        self.columns = columns
    }

    /// Maximum string length (UTF-16 units, as Java counts) for which min/max are written.
    public static let maxStringLength = 32
    /// Default number of leading columns with statistics.
    public static let defaultIndexedColumns = 32

    /// Statistics of a written file from its column summaries (one entry per `fields` element,
    /// parallel arrays), applying the writing rules above.
    public init(numRecords: Int64, fields: [Field], nullCounts: [Int64], mins: [Value?], maxs: [Value?], nanCounts: [Int64?],
                indexedColumns: Int = FileStatistics.defaultIndexedColumns) {
        precondition(fields.count == nullCounts.count && fields.count == mins.count && fields.count == maxs.count && fields.count == nanCounts.count,
                     "statistics arrays must be parallel to the fields")
        var cols: [ColumnEntry] = []
        for i in 0..<min(fields.count, max(indexedColumns, 0)) {
            let f = fields[i]
            var e = ColumnEntry(name: f.name, nullCount: nullCounts[i])
            if let lo = mins[i], let hi = maxs[i], !lo.isNull, !hi.isNull, FileStatistics.boundsAreWritable(lo, hi, nanCount: nanCounts[i]) {
                e.min = FileStatistics.lowerBound(lo)
                e.max = FileStatistics.upperBound(hi)
            }
            cols.append(e)
        }
        self.init(numRecords: numRecords, columns: cols)
    }

    public func column(_ name: String) -> ColumnEntry? {
        if let c = columns.first(where: { $0.name == name }) { return c }
        let lower = name.lowercased()
        return columns.first { $0.name.lowercased() == lower }
    }

    // MARK: JSON

    /// `{"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}`, columns in order.
    public var json: String {
        var o: [(String, JSONValue)] = []
        if let n = numRecords { o.append(("numRecords", .int(n))) }
        o.append(("minValues", .object(columns.compactMap { c in c.min.flatMap(FileStatistics.jsonValue).map { (c.name, $0) } })))
        o.append(("maxValues", .object(columns.compactMap { c in c.max.flatMap(FileStatistics.jsonValue).map { (c.name, $0) } })))
        o.append(("nullCount", .object(columns.compactMap { c in c.nullCount.map { (c.name, JSONValue.int($0)) } })))
        return JSONValue.object(o).description
    }

    /// Parses a stats string against the table schema. Unknown columns, nested objects and
    /// values that do not fit the column type are dropped (no skipping on them); nil only when
    /// the text is not a JSON object.
    public static func parse(_ text: String, schema: Schema) -> FileStatistics? {
        guard let json = try? JSONValue.parse(text), case .object = json else { return nil }
        var byName: [String: ColumnEntry] = [:]
        func entry(_ key: String) -> (Field, String)? {
            guard let f = schema.field(named: key) else { return nil }
            if byName[f.name] == nil { byName[f.name] = ColumnEntry(name: f.name) }
            return (f, f.name)
        }
        for (k, v) in json["minValues"]?.objectValue ?? [] {
            if let (f, n) = entry(k), let value = typedValue(v, f.type) { byName[n]?.min = value }
        }
        for (k, v) in json["maxValues"]?.objectValue ?? [] {
            if let (f, n) = entry(k), let value = typedValue(v, f.type) { byName[n]?.max = value }
        }
        for (k, v) in json["nullCount"]?.objectValue ?? [] {
            if let (_, n) = entry(k), let c = v.int64Value { byName[n]?.nullCount = c }
        }
        let ordered = schema.fields.map(\.name).filter { byName[$0] != nil }.compactMap { byName[$0] }
        return FileStatistics(numRecords: json["numRecords"]?.int64Value, columns: ordered)
    }

    // MARK: Rules

    static func boundsAreWritable(_ lo: Value, _ hi: Value, nanCount: Int64?) -> Bool {
        switch (lo, hi) {
        case (.double(let a), .double(let b)):
            return (nanCount ?? 0) == 0 && a.isFinite && b.isFinite
        case (.string(let a), .string(let b)):
            return a.utf16.count <= maxStringLength && b.utf16.count <= maxStringLength
        default:
            return true
        }
    }

    /// Timestamps truncated down to the millisecond; other values unchanged.
    static func lowerBound(_ v: Value) -> Value {
        if case .timestamp(let t) = v { return .timestamp(floorDiv(t, 1000) * 1000) }
        return v
    }

    /// Timestamps rounded up to the next millisecond; other values unchanged.
    static func upperBound(_ v: Value) -> Value {
        if case .timestamp(let t) = v {
            let ms = floorDiv(t, 1000)
            let exact = ms * 1000 == t
            let up = exact ? ms : ms + 1
            let (r, overflow) = up.multipliedReportingOverflow(by: 1000)
            return .timestamp(overflow ? t : r)
        }
        return v
    }

    static func jsonValue(_ v: Value) -> JSONValue? {
        switch v {
        case .null: return nil
        case .boolean(let b): return .bool(b)
        case .int32(let x): return .int(Int64(x))
        case .int64(let x): return .int(x)
        case .double(let d): return d.isFinite ? .double(d) : nil
        case .string(let s): return .string(s)
        case .date(let d): return .string(formatDate(days: d))
        case .timestamp(let t): return .string(formatISO8601(micros: t, fractionDigits: 3))
        }
    }

    static func typedValue(_ j: JSONValue, _ type: DataType) -> Value? {
        switch (type, j) {
        case (.boolean, .bool(let b)): return .boolean(b)
        case (.int32, _): return j.int64Value.flatMap { Int32(exactly: $0) }.map(Value.int32)
        case (.int64, _): return j.int64Value.map(Value.int64)
        case (.double, .string(let s)): return Double(s).map(Value.double)
        case (.double, _): return j.doubleValue.map(Value.double)
        case (.string, .string(let s)): return .string(s)
        case (.date, .string(let s)): return parseDate(s).map(Value.date)
        case (.timestamp, .string(let s)): return parseTimestamp(s).map(Value.timestamp)
        default: return nil
        }
    }
}
