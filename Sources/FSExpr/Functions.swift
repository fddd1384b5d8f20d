import FSCore

/// Scalar function dispatch. NULL-in/NULL-out functions run through `mapColumns` (all-scalar
/// inputs are computed once); `coalesce`, `greatest` and `least` blend with the CASE kernel.
extension Frame {
    mutating func evalFunction(_ f: ScalarFunction, _ args: [BoundExpr], _ t: DataType) -> Datum {
        switch f {
        case .currentDate:
            return .scalar(.date(Int32(truncatingIfNeeded: daysOf(micros: context.nowMicros))), .date)
        case .currentTimestamp:
            return .scalar(.timestamp(context.nowMicros), .timestamp)
        case .coalesce:
            let values = args.map { eval($0) }
            guard var acc = values.last else { return .scalar(.null, t) }
            for d in values.dropLast().reversed() {
                acc = Kernels.select(isNotNull(d), d, acc, t, rowCount)
            }
            return acc
        case .greatest, .least:
            let values = args.map { eval($0) }
            var acc = values[0]
            for d in values.dropFirst() {
                // Take d where it is non-NULL and (acc is NULL or d beats acc).
                let beats = Kernels.compare(f == .greatest ? .greater : .less, d, acc, rowCount)
                let cond = Kernels.logic(isAnd: true, isNotNull(d), Kernels.logic(isAnd: false, Kernels.not(isNotNull(acc)), beats, rowCount), rowCount)
                acc = Kernels.select(cond, d, acc, t, rowCount)
            }
            return acc
        default:
            let inputs = args.map { eval($0) }
            if inputs.contains(where: \.isNullScalar) && f.isNullIntolerant { return .scalar(.null, t) }
            let now = context.nowMicros
            return mapColumns(inputs) { cols, n in ScalarKernels.apply(f, cols, t, n, nowMicros: now) }
        }
    }

    func isNotNull(_ d: Datum) -> Datum {
        switch d {
        case .scalar(let v, _): return .scalar(.boolean(!v.isNull), .boolean)
        case .column(let c):
            guard let val = c.validity else { return .scalar(.boolean(true), .boolean) }
            return .column(Column(type: .boolean, values: .boolean((0..<c.count).map { val.isValid($0) })))
        }
    }
}

extension ScalarFunction {
    /// True when any NULL argument makes the result NULL (everything but `concat_ws`, `nanvl`).
    var isNullIntolerant: Bool { self != .concatWs && self != .isnan && self != .splitSize }
}

/// Column implementations of the scalar functions; every argument column has `n` rows and
/// the type the binder promised.
enum ScalarKernels {
    static func apply(_ f: ScalarFunction, _ c: [Column], _ t: DataType, _ n: Int, nowMicros: Int64) -> Column {
        let valid = c.reduce(nil as Validity?) { intersect($0, $1.validity) }
        switch f {
        // MARK: Math
        case .abs:
            switch c[0].values {
            case .int32(let a): return Column(type: t, values: .int32(map1(a) { $0 < 0 ? 0 &- $0 : $0 }), validity: valid)
            case .int64(let a): return Column(type: t, values: .int64(map1(a) { $0 < 0 ? 0 &- $0 : $0 }), validity: valid)
            case .double(let a): return Column(type: t, values: .double(map1(a) { Swift.abs($0) }), validity: valid)
            default: preconditionFailure("abs of \(c[0].type)")
            }
        case .ceil, .floor:
            let rule: FloatingPointRoundingRule = f == .ceil ? .up : .down
            switch c[0].values {
            case .int32(let a): return Column(type: t, values: .int64(map1(a) { Int64($0) }), validity: valid)
            case .int64(let a): return Column(type: t, values: .int64(a), validity: valid)
            case .double(let a): return Column(type: t, values: .int64(map1(a) { SparkCast.int64(saturating: $0.rounded(rule)) }), validity: valid)
            default: preconditionFailure("\(f) of \(c[0].type)")
            }
        case .round, .bround:
            let scale = Int(c[1].int32s?.first ?? 0)
            let halfEven = f == .bround
            switch c[0].values {
            case .int32(let a): return Column(type: t, values: .int32(map1(a) { Int32(truncatingIfNeeded: Rounding.integer(Int64($0), scale: scale, halfEven: halfEven)) }), validity: valid)
            case .int64(let a): return Column(type: t, values: .int64(map1(a) { Rounding.integer($0, scale: scale, halfEven: halfEven) }), validity: valid)
            case .double(let a): return Column(type: t, values: .double(map1(a) { Rounding.double($0, scale: scale, halfEven: halfEven) }), validity: valid)
            default: preconditionFailure("round of \(c[0].type)")
            }
        case .sqrt: return doubleMap(c[0], valid) { $0.squareRoot() }
        case .exp: return doubleMap(c[0], valid) { Math.exp($0) }
        case .signum: return doubleMap(c[0], valid) { $0.isNaN ? .nan : ($0 > 0 ? 1 : ($0 < 0 ? -1 : 0)) }
        case .ln, .log10, .log2:
            // Spark: NULL for x <= 0.
            let a = c[0].doubles ?? []
            let v = map1(a) { x -> Double in
                if x <= 0 { return 0 }
                return f == .ln ? Math.log(x) : f == .log10 ? Math.log10(x) : Math.log2(x)
            }
            return Column(type: .double, values: .double(v), validity: intersect(valid, validityWhere(n) { !(a[$0] <= 0) }))
        case .pow:
            let x = c[0].doubles ?? [], y = c[1].doubles ?? []
            return Column(type: .double, values: .double(map2(.array(x), .array(y), n) { Math.pow($0, $1) }), validity: valid)
        case .isnan:
            // Never NULL: isnan(NULL) is false.
            let a = c[0].doubles ?? []
            return Column(type: .boolean, values: .boolean((0..<n).map { !c[0].isNull($0) && a[$0].isNaN }))
        case .toDecimal:
            // CAST(x AS DECIMAL(p, s)): HALF_UP to s digits, NULL when it needs more than p - s
            // integer digits or is not finite.
            let a = c[0].doubles ?? []
            let p = Int(c[1].int32s?.first ?? 10), s = Int(c[2].int32s?.first ?? 0)
            var limit = 1.0
            for _ in 0..<max(0, p - s) { limit *= 10 }
            let v = map1(a) { Rounding.double($0, scale: s, halfEven: false) }
            return Column(type: .double, values: .double(v), validity: intersect(c[0].validity, validityWhere(n) { v[$0].isFinite && Swift.abs(v[$0]) < limit }))
        case .toFloat:
            return doubleMap(c[0], valid) { Double(Float($0)) }
        case .nanvl:
            let x = c[0].doubles ?? [], y = c[1].doubles ?? []
            let v = map2(.array(x), .array(y), n) { $0.isNaN ? $1 : $0 }
            return Column(type: .double, values: .double(v), validity: validityWhere(n) { i in
                x[i].isNaN ? !c[1].isNull(i) && !c[0].isNull(i) : !c[0].isNull(i)
            })
        case .coalesce, .greatest, .least, .currentDate, .currentTimestamp:
            preconditionFailure("\(f) is evaluated by the frame")

        // MARK: Strings
        case .length:
            let s = strings(c[0])
            return Column(type: .int32, values: .int32((0..<n).map { i in Int32(s.withUTF8(i) { Text.scalarCount($0) }) }), validity: valid)
        case .lower, .upper:
            return stringMap(c[0], valid) { text in f == .lower ? Text.lower(text) : Text.upper(text) }
        case .trim, .ltrim, .rtrim:
            let s = strings(c[0])
            var out = StringArray()
            for i in 0..<n {
                s.withUTF8(i) { p in
                    var lo = 0, hi = p.count
                    if f != .rtrim { while lo < hi, p[lo] == 0x20 { lo += 1 } }
                    if f != .ltrim { while hi > lo, p[hi - 1] == 0x20 { hi -= 1 } }
                    out.append(utf8: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[lo..<hi]))
                }
            }
            return Column(type: .string, values: .string(out), validity: valid)
        case .substring:
            let s = strings(c[0]), pos = c[1].int32s ?? [], len = c[2].int32s ?? []
            var out = StringArray()
            for i in 0..<n {
                s.withUTF8(i) { p in Text.substring(p, pos: Int(pos[i]), length: Int(len[i]), into: &out) }
            }
            return Column(type: .string, values: .string(out), validity: valid)
        case .concat:
            let cols = c.map(strings)
            return joinedStrings(rows: n, validity: valid) { i, buffer in
                for s in cols { s.withUTF8(i) { buffer.append(contentsOf: $0) } }
            }
        case .concatWs:
            let cols = c.map(strings)
            return joinedStrings(rows: n, validity: c[0].validity) { i, buffer in
                var first = true
                for k in 1..<max(1, cols.count) where !c[k].isNull(i) {
                    if !first { cols[0].withUTF8(i) { buffer.append(contentsOf: $0) } }
                    cols[k].withUTF8(i) { buffer.append(contentsOf: $0) }
                    first = false
                }
            }
        case .splitPart:
            let s = strings(c[0]), d = strings(c[1]), k = c[2].int32s ?? []
            var out = StringArray()
            var nulls = valid ?? Validity(repeating: true, count: n)
            for i in 0..<n {
                // Spark raises INVALID_INDEX_OF_ZERO for part 0; fs returns NULL (never throws).
                if k[i] == 0 { nulls.set(i, false); out.appendEmpty(); continue }
                let piece = Text.splitPart(s[i], d[i], Int(k[i]))
                out.append(piece)
            }
            return Column(type: .string, values: .string(out), validity: nulls.nullCount == 0 ? nil : nulls)
        case .regexpExtract:
            let s = strings(c[0]), g = c[2].int32s ?? []
            return preparedStrings(rows: n, valid: valid, argument: strings(c[1]), prepare: RegexCache.compile) { i, regex in
                Text.regexpExtract(s[i], regex, Int(g[i]))
            }
        case .splitSize:
            // size(NULL) is -1 (spark.sql.legacy.sizeOfNull, on when ANSI is off).
            let s = strings(c[0]), r = strings(c[1])
            var out = [Int32](repeating: -1, count: n)
            var nulls = Validity(repeating: true, count: n)
            var cachedText: String?
            var regex: Regex<AnyRegexOutput>?
            for i in 0..<n where valid?.isValid(i) ?? true {
                let pattern = r[i]
                if pattern.isEmpty {
                    // Spark splits on every character for an empty pattern.
                    out[i] = Int32(max(1, s.withUTF8(i) { Text.scalarCount($0) }))
                    continue
                }
                if pattern != cachedText { cachedText = pattern; regex = RegexCache.compile(pattern) }
                guard let regex else { nulls.set(i, false); continue }
                out[i] = Int32(Text.splitCount(s[i], regex))
            }
            return Column(type: .int32, values: .int32(out), validity: nulls.nullCount == 0 ? nil : nulls)
        case .replace:
            let s = strings(c[0]), search = strings(c[1]), rep = strings(c[2])
            var out = StringArray()
            for i in 0..<n {
                let needle = search[i]
                out.append(needle.isEmpty ? s[i] : Text.replaceAll(s[i], needle, rep[i]))
            }
            return Column(type: .string, values: .string(out), validity: valid)
        case .instr:
            let s = strings(c[0]), sub = strings(c[1])
            return Column(type: .int32, values: .int32((0..<n).map { Int32(Text.instr(s[$0], sub[$0])) }), validity: valid)
        case .lpad, .rpad:
            let s = strings(c[0]), len = c[1].int32s ?? [], pad = strings(c[2])
            var out = StringArray()
            for i in 0..<n { out.append(Text.pad(s[i], Int(len[i]), pad[i], left: f == .lpad)) }
            return Column(type: .string, values: .string(out), validity: valid)

        // MARK: Dates and times
        case .toDate, .toTimestamp:
            let s = strings(c[0]), pat = strings(c[1])
            var out = [Int64](repeating: 0, count: n)
            var nulls = valid ?? Validity(repeating: true, count: n)
            var cachedText: String?
            var pattern: DateTimePattern?
            for i in 0..<n where nulls.isValid(i) {
                let pt = pat[i]
                if pt != cachedText { cachedText = pt; pattern = try? DateTimePattern(pt) }
                guard let pattern, let v = s.withUTF8(i, { pattern.parse($0) }) else { nulls.set(i, false); continue }
                out[i] = v
            }
            let validity = nulls.nullCount == 0 ? nil : nulls
            if f == .toDate {
                return Column(type: .date, values: .int32(map1(out) { Int32(truncatingIfNeeded: daysOf(micros: $0)) }), validity: validity)
            }
            return Column(type: .timestamp, values: .int64(out), validity: validity)
        case .year, .month, .dayOfMonth, .dayOfWeek, .dayOfYear, .quarter:
            let d = c[0].int32s ?? []
            let v = map1(d) { days -> Int32 in
                let civil = CivilDate(daysSinceEpoch: Int64(days))
                switch f {
                case .year: return Int32(truncatingIfNeeded: civil.year)
                case .month: return Int32(civil.month)
                case .dayOfMonth: return Int32(civil.day)
                case .quarter: return Int32((civil.month - 1) / 3 + 1)
                case .dayOfYear:
                    return Int32(Int64(days) - CivilDate(year: civil.year, month: 1, day: 1).daysSinceEpoch + 1)
                default:
                    // 1970-01-01 was a Thursday (5 with 1 = Sunday).
                    let m = (Int64(days) + 4) % 7
                    return Int32((m < 0 ? m + 7 : m) + 1)
                }
            }
            return Column(type: .int32, values: .int32(v), validity: valid)
        case .hour, .minute, .second:
            let ts = c[0].int64s ?? []
            let v = map1(ts) { us -> Int32 in
                let f2 = UTCFields(micros: us)
                return Int32(f == .hour ? f2.hour : f == .minute ? f2.minute : f2.second)
            }
            return Column(type: .int32, values: .int32(v), validity: valid)
        case .dateAdd, .dateSub:
            let d = c[0].int32s ?? [], k = c[1].int32s ?? []
            let v = f == .dateAdd ? map2(.array(d), .array(k), n) { $0 &+ $1 } : map2(.array(d), .array(k), n) { $0 &- $1 }
            return Column(type: .date, values: .int32(v), validity: valid)
        case .dateDiff:
            let a = c[0].int32s ?? [], b = c[1].int32s ?? []
            return Column(type: .int32, values: .int32(map2(.array(a), .array(b), n) { $0 &- $1 }), validity: valid)
        case .unixTimestamp:
            // Spark divides the microseconds truncating toward zero here (CAST uses floor).
            return Column(type: .int64, values: .int64(map1(c[0].int64s ?? []) { $0 / microsPerSecond }), validity: valid)
        case .fromUnixtime, .dateFormat:
            let times = c[0].int64s ?? []
            return preparedStrings(rows: n, valid: valid, argument: strings(c[1]), prepare: { try? DateTimePattern($0) }) { i, pattern in
                pattern.format(micros: f == .fromUnixtime ? times[i] &* microsPerSecond : times[i])
            }
        case .timestampAddMicros:
            let a = c[0].int64s ?? [], b = c[1].int64s ?? []
            return Column(type: .timestamp, values: .int64(map2(.array(a), .array(b), n) { $0 &+ $1 }), validity: valid)

        // MARK: JSON
        case .jsonArrayLength:
            let s = strings(c[0])
            var out = [Int32](repeating: 0, count: n)
            var nulls = valid ?? Validity(repeating: true, count: n)
            for i in 0..<n where nulls.isValid(i) {
                let len = s.withUTF8(i) { p -> Int? in
                    var scanner = JSONScanner(p)
                    return scanner.arrayLength()
                }
                if let len { out[i] = Int32(len) } else { nulls.set(i, false) }
            }
            return Column(type: .int32, values: .int32(out), validity: nulls.nullCount == 0 ? nil : nulls)
        case .getJsonObject:
            let s = strings(c[0])
            return preparedStrings(rows: n, valid: valid, argument: strings(c[1]), prepare: JSONPath.init) { i, path in
                s.withUTF8(i) { p -> String? in
                    var scanner = JSONScanner(p)
                    for step in path.steps { guard scanner.descend(step) else { return nil } }
                    // Spark drops a JSON null reached by name but prints one reached by index.
                    if case .index = path.steps.last { return scanner.extractValue() ?? "null" }
                    return scanner.extractValue()
                }
            }
        }
    }

    static func strings(_ c: Column) -> StringArray {
        guard case .string(let s) = c.values else { preconditionFailure("expected string storage, found \(c.type)") }
        return s
    }

    static func doubleMap(_ c: Column, _ valid: Validity?, _ f: (Double) -> Double) -> Column {
        Column(type: .double, values: .double(map1(c.doubles ?? [], f)), validity: valid)
    }

    /// A string column computed row by row with an argument that is costly to prepare (a regex,
    /// a date-time pattern, a JSON path) and usually the same text on every row: it is prepared
    /// again only when its text changes from one row to the next. A row is NULL where the inputs
    /// are (`valid`), where its text does not prepare, or where `row` returns nil.
    static func preparedStrings<Prepared>(
        rows n: Int, valid: Validity?, argument texts: StringArray,
        prepare: (String) -> Prepared?, _ row: (Int, Prepared) -> String?
    ) -> Column {
        var out = StringArray()
        var nulls = valid ?? Validity(repeating: true, count: n)
        var cachedText: String?
        var prepared: Prepared?
        for i in 0..<n {
            guard nulls.isValid(i) else { out.appendEmpty(); continue }
            let text = texts[i]
            if text != cachedText { cachedText = text; prepared = prepare(text) }
            guard let prepared, let value = row(i, prepared) else { nulls.set(i, false); out.appendEmpty(); continue }
            out.append(value)
        }
        return Column(type: .string, values: .string(out), validity: nulls.nullCount == 0 ? nil : nulls)
    }

    /// A string column whose row `i` is the bytes `row(i, &buffer)` appends: the buffer is
    /// emptied before each row and reused, so building a row allocates nothing (`concat`,
    /// `concat_ws`).
    static func joinedStrings(rows n: Int, validity: Validity?, _ row: (Int, inout [UInt8]) -> Void) -> Column {
        var out = StringArray()
        var buffer: [UInt8] = []
        for i in 0..<n {
            buffer.removeAll(keepingCapacity: true)
            row(i, &buffer)
            out.append(utf8: buffer)
        }
        return Column(type: .string, values: .string(out), validity: validity)
    }

    static func stringMap(_ c: Column, _ valid: Validity?, _ f: (String) -> String) -> Column {
        let s = strings(c)
        var out = StringArray()
        for i in 0..<c.count { out.append(c.isNull(i) ? "" : f(s[i])) }
        return Column(type: .string, values: .string(out), validity: valid)
    }
}
