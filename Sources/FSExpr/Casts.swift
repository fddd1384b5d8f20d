import FSCore

/// Column casts with Spark's non-ANSI results (see `SparkCast` for the per-value rules).
enum Casts {
    static func cast(_ c: Column, to t: DataType) -> Column {
        if c.type == t { return c }
        let n = c.count
        switch (c.type, t) {
        // Numbers to numbers.
        case (.int32, .int64): return Column(type: t, values: .int64(map1(c.int32s ?? []) { Int64($0) }), validity: c.validity)
        case (.int32, .double): return Column(type: t, values: .double(map1(c.int32s ?? []) { Double($0) }), validity: c.validity)
        case (.int64, .int32): return Column(type: t, values: .int32(map1(c.int64s ?? []) { Int32(truncatingIfNeeded: $0) }), validity: c.validity)
        case (.int64, .double): return Column(type: t, values: .double(map1(c.int64s ?? []) { Double($0) }), validity: c.validity)
        case (.double, .int32): return Column(type: t, values: .int32(map1(c.doubles ?? []) { SparkCast.int32(saturating: $0) }), validity: c.validity)
        case (.double, .int64): return Column(type: t, values: .int64(map1(c.doubles ?? []) { SparkCast.int64(saturating: $0) }), validity: c.validity)
        // Booleans and numbers.
        case (.boolean, .int32): return Column(type: t, values: .int32(map1(c.booleans ?? []) { $0 ? 1 : 0 }), validity: c.validity)
        case (.boolean, .int64): return Column(type: t, values: .int64(map1(c.booleans ?? []) { $0 ? 1 : 0 }), validity: c.validity)
        case (.boolean, .double): return Column(type: t, values: .double(map1(c.booleans ?? []) { $0 ? 1 : 0 }), validity: c.validity)
        case (.boolean, .timestamp): return Column(type: t, values: .int64(map1(c.booleans ?? []) { $0 ? 1 : 0 }), validity: c.validity)
        case (.int32, .boolean): return Column(type: t, values: .boolean(map1(c.int32s ?? []) { $0 != 0 }), validity: c.validity)
        case (.int64, .boolean): return Column(type: t, values: .boolean(map1(c.int64s ?? []) { $0 != 0 }), validity: c.validity)
        case (.double, .boolean): return Column(type: t, values: .boolean(map1(c.doubles ?? []) { $0 != 0 }), validity: c.validity)
        // Dates and timestamps.
        case (.date, .timestamp): return Column(type: t, values: .int64(map1(c.int32s ?? []) { Int64($0) &* microsPerDay }), validity: c.validity)
        case (.timestamp, .date): return Column(type: t, values: .int32(map1(c.int64s ?? []) { Int32(truncatingIfNeeded: daysOf(micros: $0)) }), validity: c.validity)
        case (.timestamp, .int64): return Column(type: t, values: .int64(map1(c.int64s ?? []) { floorDiv($0, microsPerSecond) }), validity: c.validity)
        case (.timestamp, .int32): return Column(type: t, values: .int32(map1(c.int64s ?? []) { Int32(truncatingIfNeeded: floorDiv($0, microsPerSecond)) }), validity: c.validity)
        case (.timestamp, .double): return Column(type: t, values: .double(map1(c.int64s ?? []) { Double($0) / 1e6 }), validity: c.validity)
        case (.timestamp, .boolean): return Column(type: t, values: .boolean(map1(c.int64s ?? []) { $0 != 0 }), validity: c.validity)
        case (.int32, .timestamp): return Column(type: t, values: .int64(map1(c.int32s ?? []) { Int64($0) &* microsPerSecond }), validity: c.validity)
        case (.int64, .timestamp): return Column(type: t, values: .int64(map1(c.int64s ?? []) { $0 &* microsPerSecond }), validity: c.validity)
        case (.double, .timestamp):
            let d = c.doubles ?? []
            let v = map1(d) { $0.isFinite ? SparkCast.int64(saturating: $0 * 1e6) : 0 }
            return Column(type: t, values: .int64(v), validity: intersect(c.validity, validityWhere(n) { d[$0].isFinite }))
        // Spark 3+ non-ANSI: a date cast to a number or boolean is NULL.
        case (.date, .int32), (.date, .int64), (.date, .double), (.date, .boolean):
            return Column.nulls(t, count: n)
        case (.string, _): return fromString(c, to: t)
        case (_, .string): return toString(c)
        default:
            preconditionFailure("cast from \(c.type) to \(t) (binder bug)")
        }
    }

    /// Parses every row; rows that do not parse become NULL.
    static func fromString(_ c: Column, to t: DataType) -> Column {
        guard case .string(let s) = c.values else { preconditionFailure("string column without string storage") }
        let n = c.count
        var valid = c.validity ?? Validity(repeating: true, count: n)
        // One loop for every target type: `parse` is nil for text that is not a value.
        func parsed<T>(_ zero: T, _ parse: (UnsafeBufferPointer<UInt8>) -> T?) -> [T] {
            var out = [T](repeating: zero, count: n)
            for i in 0..<n where valid.isValid(i) {
                if let v = s.withUTF8(i, parse) { out[i] = v } else { valid.set(i, false) }
            }
            return out
        }
        let values: ColumnValues
        switch t {
        case .int32: values = .int32(parsed(0, SparkCast.parseInt32))
        case .date: values = .int32(parsed(0, SparkCast.parseDate))
        case .int64: values = .int64(parsed(0, SparkCast.parseInt64))
        case .timestamp: values = .int64(parsed(0, SparkCast.parseTimestamp))
        case .double: values = .double(parsed(0, SparkCast.parseDouble))
        case .boolean: values = .boolean(parsed(false, SparkCast.parseBoolean))
        case .string:
            return c
        }
        return Column(type: t, values: values, validity: valid.nullCount == 0 ? nil : valid)
    }

    /// Spark's text forms: `1.0E10`, `true`, `2024-01-31`, `2024-01-31 10:00:00.5`.
    static func toString(_ c: Column) -> Column {
        let n = c.count
        var out = StringArray()
        out.reserveCapacity(rows: n, bytes: n * 8)
        for i in 0..<n {
            if c.isNull(i) { out.appendEmpty(); continue }
            out.append(c[i].description)
        }
        return Column(type: .string, values: .string(out), validity: c.validity)
    }
}
