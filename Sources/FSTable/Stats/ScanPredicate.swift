import FSCore

/// A predicate a scan uses to skip whole files and row groups from their statistics and
/// partition values — never to filter rows: a file that *may* hold a matching row is read whole,
/// and the caller (the expression evaluator) filters rows.
///
/// Comparisons with NULL are never true (SQL), so a column known to be all-null cannot match a
/// comparison. NaN orders above every number (Spark's rule).
public indirect enum ScanPredicate: Sendable, Equatable, CustomStringConvertible {
    case compare(column: String, op: ComparisonOperator, value: Value)
    case isNull(column: String)
    case isNotNull(column: String)
    case inList(column: String, values: [Value])
    case and([ScanPredicate])
    case or([ScanPredicate])

    /// Columns the predicate mentions.
    public var columns: Set<String> {
        switch self {
        case .compare(let c, _, _), .isNull(let c), .isNotNull(let c), .inList(let c, _): return [c]
        case .and(let ps), .or(let ps): return ps.reduce(into: Set<String>()) { $0.formUnion($1.columns) }
        }
    }

    /// False only when no row described by `range` can satisfy the predicate.
    /// `range(column)` returns nil for a column without usable statistics.
    public func mayMatch(_ range: (String) -> ColumnRange?) -> Bool {
        switch self {
        case .and(let ps): return ps.allSatisfy { $0.mayMatch(range) }
        case .or(let ps): return ps.isEmpty || ps.contains { $0.mayMatch(range) }
        case .isNull(let c):
            guard let r = range(c), let n = r.nullCount else { return true }
            return n > 0
        case .isNotNull(let c):
            guard let r = range(c), let n = r.nullCount, let rows = r.rowCount else { return true }
            return n < rows
        case .inList(let c, let values):
            return values.contains { ScanPredicate.compare(column: c, op: .equal, value: $0).mayMatch(range) }
        case .compare(let c, let op, let v):
            guard let r = range(c) else { return true }
            if r.isAllNull || v.isNull { return false }
            if case .double(let d) = v, d.isNaN { return true }
            if r.mayContainNaN, op == .greater || op == .greaterOrEqual || op == .notEqual { return true }
            switch op {
            case .equal:
                if let lo = r.min, let o = compareValues(lo, v), o > 0 { return false }
                if let hi = r.max, let o = compareValues(hi, v), o < 0 { return false }
                return true
            case .notEqual:
                if r.isExact, let lo = r.min, let hi = r.max, compareValues(lo, v) == 0, compareValues(hi, v) == 0 {
                    return false
                }
                return true
            case .less:
                if let lo = r.min, let o = compareValues(lo, v) { return o < 0 }
                return true
            case .lessOrEqual:
                if let lo = r.min, let o = compareValues(lo, v) { return o <= 0 }
                return true
            case .greater:
                if let hi = r.max, let o = compareValues(hi, v) { return o > 0 }
                return true
            case .greaterOrEqual:
                if let hi = r.max, let o = compareValues(hi, v) { return o >= 0 }
                return true
            }
        }
    }

    public var description: String {
        switch self {
        case .compare(let c, let op, let v): return "\(c) \(op.rawValue) \(v)"
        case .isNull(let c): return "\(c) IS NULL"
        case .isNotNull(let c): return "\(c) IS NOT NULL"
        case .inList(let c, let vs): return "\(c) IN (" + vs.map(\.description).joined(separator: ", ") + ")"
        case .and(let ps): return "(" + ps.map(\.description).joined(separator: " AND ") + ")"
        case .or(let ps): return "(" + ps.map(\.description).joined(separator: " OR ") + ")"
        }
    }
}

/// Comparison operators of `ScanPredicate`.
public enum ComparisonOperator: String, Sendable, Equatable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// What is known about one column's values in a file, row group or partition. Built only in
/// FSTable (from file statistics, row-group statistics and partition values): the memberwise init.
public struct ColumnRange: Sendable, Equatable {
    /// A lower bound of the non-null values (nil = unknown).
    public var min: Value?
    /// An upper bound of the non-null values (nil = unknown).
    public var max: Value?
    public var nullCount: Int64?
    public var rowCount: Int64?
    /// True when min and max are the exact values (partition columns), so `!=` can skip.
    public var isExact = false
    /// True when a double column may hold NaN not reflected in max.
    public var mayContainNaN = false

    /// The range of a partition column in a file: exactly its value.
    public static func partition(_ v: Value, rowCount: Int64?) -> ColumnRange {
        if v.isNull { return ColumnRange(min: nil, max: nil, nullCount: rowCount, rowCount: rowCount, isExact: true) }
        return ColumnRange(min: v, max: v, nullCount: 0, rowCount: rowCount, isExact: true)
    }

    /// The range described by Delta file statistics, widened where writers are known to cut
    /// corners: timestamp maxima truncated to the millisecond (delta-rs) get +999 µs, string
    /// maxima that may be truncated prefixes (32 characters or more) are dropped, a NaN bound
    /// is dropped.
    public static func deltaStats(_ e: FileStatistics.ColumnEntry, rowCount: Int64?) -> ColumnRange {
        var r = ColumnRange(min: e.min, max: e.max, nullCount: e.nullCount, rowCount: rowCount)
        switch r.max {
        case .timestamp(let t): r.max = .timestamp(t &+ 999)
        case .string(let s) where s.utf16.count >= FileStatistics.maxStringLength: r.max = nil
        case .double(let d) where d.isNaN: r.max = nil; r.mayContainNaN = true
        default: break
        }
        if case .double(let d) = r.min, d.isNaN { r.min = nil }
        return r
    }

    /// True when every row is null.
    public var isAllNull: Bool {
        if let n = nullCount, let rows = rowCount { return rows > 0 && n >= rows }
        return false
    }
}

/// Orders two values of comparable types: <0, 0, >0; nil when they cannot be compared
/// (different kinds, NaN) — callers then cannot skip.
public func compareValues(_ a: Value, _ b: Value) -> Int? {
    switch (a, b) {
    case (.string(let x), .string(let y)):
        if x == y { return 0 }
        return utf8Less(x, y) ? -1 : 1
    case (.boolean(let x), .boolean(let y)):
        return x == y ? 0 : (!x ? -1 : 1)
    case (.date(let x), .date(let y)): return x == y ? 0 : (x < y ? -1 : 1)
    case (.timestamp(let x), .timestamp(let y)): return x == y ? 0 : (x < y ? -1 : 1)
    case (.date, .timestamp), (.timestamp, .date), (.date, .string), (.string, .date), (.timestamp, .string), (.string, .timestamp):
        guard let x = timeMicros(a), let y = timeMicros(b) else { return nil }
        return x == y ? 0 : (x < y ? -1 : 1)
    default:
        guard a.type?.isNumeric == true, b.type?.isNumeric == true else { return nil }
        if case .double = a {} else if case .double = b {} else {
            guard let x = a.asInt64, let y = b.asInt64 else { return nil }
            return x == y ? 0 : (x < y ? -1 : 1)
        }
        guard let x = a.asDouble, let y = b.asDouble, !x.isNaN, !y.isNaN else { return nil }
        return x == y ? 0 : (x < y ? -1 : 1)
    }
}

/// A date, timestamp or date/timestamp string as µs since the epoch (dates at midnight UTC).
private func timeMicros(_ v: Value) -> Int64? {
    switch v {
    case .date(let d): return Int64(d) * microsPerDay
    case .timestamp(let t): return t
    case .string(let s): return parseTimestamp(s)
    default: return nil
    }
}
