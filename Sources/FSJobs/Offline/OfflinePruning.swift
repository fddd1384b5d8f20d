import FSCore
import FSTable

/// The scan predicates an offline run derives from its range, so the scan opens only the
/// partitions and row groups that can hold rows of `[start, end)`.
///
/// - Partition filter: when the input is partitioned by calendar day (`fs_year/fs_month/fs_day`
///   as fs ingests, or `year/month/day`; a prefix such as year/month works too), one term per
///   month of the range: `(y = Y AND m = M [AND d >= a AND d <= b])`.
/// - Statistics predicate: `time >= start AND time < end` on the time field, which skips files
///   (Delta statistics) and row groups (Parquet footers) of any layout.
enum OfflinePruning {
    /// The partition filter for `range` over the scan's partition fields; nil when the input has
    /// no recognizable integer year/month/day partition columns.
    static func partitionFilter(partitionFields: [Field], range: OfflineRange) -> ScanPredicate? {
        func find(_ names: [String]) -> Field? {
            partitionFields.first { f in names.contains(f.name.lowercased()) && (f.type == .int32 || f.type == .int64) }
        }
        guard let year = find(["fs_year", "year"]) else { return nil }
        let month = find(["fs_month", "month"])
        let day = month == nil ? nil : find(["fs_day", "day"])
        func value(_ f: Field, _ x: Int) -> Value { f.type == .int32 ? .int32(Int32(x)) : .int64(Int64(x)) }

        let first = CivilDate(daysSinceEpoch: range.dayRange.lowerBound)
        let last = CivilDate(daysSinceEpoch: range.dayRange.upperBound)
        guard let month else {
            return .and([.compare(column: year.name, op: .greaterOrEqual, value: value(year, first.year)),
                         .compare(column: year.name, op: .lessOrEqual, value: value(year, last.year))])
        }
        var terms: [ScanPredicate] = []
        var y = first.year, m = first.month
        while (y, m) <= (last.year, last.month) {
            var term: [ScanPredicate] = [.compare(column: year.name, op: .equal, value: value(year, y)),
                                         .compare(column: month.name, op: .equal, value: value(month, m))]
            if let day {
                let lo = (y, m) == (first.year, first.month) ? first.day : 1
                let hi = (y, m) == (last.year, last.month) ? last.day : CivilDate.daysInMonth(year: y, month: m)
                if lo > 1 { term.append(.compare(column: day.name, op: .greaterOrEqual, value: value(day, lo))) }
                if hi < CivilDate.daysInMonth(year: y, month: m) { term.append(.compare(column: day.name, op: .lessOrEqual, value: value(day, hi))) }
            }
            terms.append(.and(term))
            (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1)
        }
        return .or(terms)
    }

    /// `time >= start AND time < end` in the time column's type (a date column holds midnight
    /// instants, so its bounds are rounded up to whole days).
    static func timePredicate(timeField: Field, range: OfflineRange) -> ScanPredicate? {
        switch timeField.type {
        case .timestamp:
            return .and([.compare(column: timeField.name, op: .greaterOrEqual, value: .timestamp(range.startMicros)),
                         .compare(column: timeField.name, op: .less, value: .timestamp(range.endMicros))])
        case .date:
            let lo = ceilDays(range.startMicros), hi = ceilDays(range.endMicros)
            return .and([.compare(column: timeField.name, op: .greaterOrEqual, value: .date(Int32(clamping: lo))),
                         .compare(column: timeField.name, op: .less, value: .date(Int32(clamping: hi)))])
        default:
            return nil
        }
    }

    static func ceilDays(_ micros: Int64) -> Int64 { -floorDiv(-micros, microsPerDay) }
}
