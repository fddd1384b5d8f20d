import FSCore

/// Spark's non-ANSI conversions of one value (`spark.sql.ansi.enabled=false`): text that does
/// not parse gives nil (NULL), doubles saturate into integers, integers wrap when narrowed.
///
/// The evaluator calls the byte-level functions inside its column loops; the binder calls the
/// `String` ones to fold literals.
public enum SparkCast {
    // MARK: Whitespace

    /// Bounds of `p` without leading/trailing bytes <= 0x20 (Spark's `trimAll` before a cast).
    @inlinable
    static func trimmedBounds(_ p: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        var lo = 0, hi = p.count
        while lo < hi, p[lo] <= 0x20 { lo += 1 }
        while hi > lo, p[hi - 1] <= 0x20 { hi -= 1 }
        return lo..<hi
    }

    // MARK: Numbers

    /// `CAST(string AS BIGINT)`: optional sign, digits, optionally `.digits` (truncated);
    /// surrounding whitespace allowed; overflow → nil.
    public static func parseInt64(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        let r = trimmedBounds(p)
        var i = r.lowerBound
        guard i < r.upperBound else { return nil }
        var negative = false
        if p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { negative = p[i] == UInt8(ascii: "-"); i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < r.upperBound, p[i] >= 48, p[i] <= 57 {
            let d = Int64(p[i] - 48)
            // Accumulate negatively so Int64.min parses.
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(d)
            if o1 || o2 { return nil }
            value = s
            digits += 1
            i += 1
        }
        var fractionDigits = 0
        if i < r.upperBound, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < r.upperBound, p[i] >= 48, p[i] <= 57 { i += 1; fractionDigits += 1 }
        }
        // Spark accepts "5." and ".5" (the fraction is dropped), not "." alone.
        guard i == r.upperBound, digits + fractionDigits > 0 else { return nil }
        if negative { return value }
        return value == .min ? nil : -value
    }

    /// `CAST(string AS INT)`: as `parseInt64`, nil when outside Int32.
    public static func parseInt32(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let v = parseInt64(p), let n = Int32(exactly: v) else { return nil }
        return n
    }

    /// `CAST(string AS DOUBLE)`: Java's `Double.parseDouble` after trimming, plus Spark's
    /// special words (`NaN`, `Infinity`, `inf`, case-insensitive, optional sign).
    public static func parseDouble(_ p: UnsafeBufferPointer<UInt8>) -> Double? {
        let r = trimmedBounds(p)
        guard !r.isEmpty else { return nil }
        var text = String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)
        switch text.lowercased() {
        case "nan", "+nan", "-nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        // Java accepts a trailing type suffix (1.5d, 2f).
        if let last = text.last, "dDfF".contains(last) { text.removeLast() }
        guard let first = text.first, first.isNumber || first == "." || first == "-" || first == "+" else { return nil }
        // Swift also accepts words Java rejects ("nan", "inf" after a sign): only digits remain here.
        guard !text.lowercased().contains("n") || text.lowercased().hasPrefix("0x") else { return nil }
        return Double(text)
    }

    /// `CAST(string AS BOOLEAN)`: t/true/y/yes/1 and f/false/n/no/0, case-insensitive.
    public static func parseBoolean(_ p: UnsafeBufferPointer<UInt8>) -> Bool? {
        let r = trimmedBounds(p)
        guard r.count <= 5 else { return nil }
        var lower: [UInt8] = []
        for i in r { lower.append(p[i] >= 65 && p[i] <= 90 ? p[i] + 32 : p[i]) }
        switch String(decoding: lower, as: UTF8.self) {
        case "t", "true", "y", "yes", "1": return true
        case "f", "false", "n", "no", "0": return false
        default: return nil
        }
    }

    /// Java's `(int) d`: NaN → 0, saturating at the bounds.
    @inlinable
    public static func int32(saturating d: Double) -> Int32 { integer(saturating: d) }

    /// Java's `(long) d`: NaN → 0, saturating at the bounds.
    @inlinable
    public static func int64(saturating d: Double) -> Int64 { integer(saturating: d) }

    /// Java's narrowing of a double: NaN → 0, ±bounds and beyond → `.min`/`.max`, else toward
    /// zero. `Double(I.max)` is 2^31 - 1 exactly for Int32 and rounds up to 2^63 for Int64, so
    /// `>=` saturates exactly where Java does.
    @inlinable
    static func integer<I: FixedWidthInteger & SignedInteger>(saturating d: Double) -> I {
        if d.isNaN { return 0 }
        if d >= Double(I.max) { return .max }
        if d <= Double(I.min) { return .min }
        return I(d.rounded(.towardZero))
    }

    // MARK: Dates and timestamps

    /// `CAST(string AS DATE)`: `[+-]yyyy[-m[m][-d[d]]]`, optionally followed by a space or `T`
    /// and anything; surrounding whitespace allowed; nil when malformed or not a real date.
    public static func parseDate(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        let r = trimmedBounds(p)
        var i = r.lowerBound
        guard let c = parseDatePart(p, &i, end: r.upperBound) else { return nil }
        if i < r.upperBound, p[i] != UInt8(ascii: " "), p[i] != UInt8(ascii: "T") { return nil }
        return Int32(truncatingIfNeeded: c.daysSinceEpoch)
    }

    public static func parseDate(_ text: String) -> Int32? {
        var t = text
        return t.withUTF8 { parseDate($0) }
    }

    /// `CAST(string AS TIMESTAMP)` in a UTC session: a date as in `parseDate`, then optionally
    /// (space or `T`) `h[h][:m[m][:s[s][.fraction]]]` and a zone (`Z`, `UTC`, `GMT`, `±h[h][:mm]`,
    /// optionally after one space). Fractions beyond microseconds are truncated.
    public static func parseTimestamp(_ p: UnsafeBufferPointer<UInt8>) -> Int64? {
        let r = trimmedBounds(p)
        let end = r.upperBound
        var i = r.lowerBound
        guard let c = parseDatePart(p, &i, end: end) else { return nil }
        var micros = c.daysSinceEpoch &* microsPerDay
        if i == end { return micros }
        guard p[i] == UInt8(ascii: " ") || p[i] == UInt8(ascii: "T") else { return nil }
        i += 1
        if i == end { return micros }
        guard let hh = smallNumber(p, &i, end: end, maxDigits: 2), hh < 24 else { return nil }
        var mm: Int64 = 0, ss: Int64 = 0, frac: Int64 = 0
        if i < end, p[i] == UInt8(ascii: ":") {
            i += 1
            guard let m = smallNumber(p, &i, end: end, maxDigits: 2), m < 60 else { return nil }
            mm = m
            if i < end, p[i] == UInt8(ascii: ":") {
                i += 1
                guard let s = smallNumber(p, &i, end: end, maxDigits: 2), s < 60 else { return nil }
                ss = s
                if i < end, p[i] == UInt8(ascii: ".") {
                    i += 1
                    var n = 0
                    while i < end, p[i] >= 48, p[i] <= 57 {
                        if n < 6 { frac = frac * 10 + Int64(p[i] - 48) }
                        n += 1; i += 1
                    }
                    guard n <= 9 else { return nil }
                    while n < 6 { frac *= 10; n += 1 }
                }
            }
        }
        micros = micros &+ (hh * 3600 + mm * 60 + ss) * microsPerSecond + frac
        if i == end { return micros }
        if p[i] == UInt8(ascii: " ") { i += 1 }
        guard let offset = parseZoneOffsetSeconds(p, &i, end: end), i == end else { return nil }
        return micros &- offset * microsPerSecond
    }

    public static func parseTimestamp(_ text: String) -> Int64? {
        var t = text
        return t.withUTF8 { parseTimestamp($0) }
    }

    /// `Z`, `UTC`, `GMT`, `UT`, optionally followed by (or just) `±h[h][:mm]` / `±hhmm`.
    static func parseZoneOffsetSeconds(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, end: Int) -> Int64? {
        guard i < end else { return nil }
        if p[i] == UInt8(ascii: "Z") || p[i] == UInt8(ascii: "z") { i += 1; return i == end ? 0 : nil }
        for prefix in ["UTC", "GMT", "UT"] {
            let bytes = Array(prefix.utf8)
            if end - i >= bytes.count, (0..<bytes.count).allSatisfy({ p[i + $0] == bytes[$0] }) {
                i += bytes.count
                if i == end { return 0 }
                break
            }
        }
        guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") else { return nil }
        let sign: Int64 = p[i] == UInt8(ascii: "+") ? 1 : -1
        i += 1
        let start = i
        guard var h = smallNumber(p, &i, end: end, maxDigits: 2) else { return nil }
        var m: Int64 = 0
        if i < end, p[i] == UInt8(ascii: ":") {
            i += 1
            guard let mm = smallNumber(p, &i, end: end, maxDigits: 2), i - start >= 4 else { return nil }
            m = mm
        } else if i < end {
            guard i - start == 2, let mm = smallNumber(p, &i, end: end, maxDigits: 2) else { return nil }
            m = mm
        }
        if h > 18 || m > 59 { return nil }
        h = h * 3600 + m * 60
        return sign * h
    }

    private static func smallNumber(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, end: Int, maxDigits: Int) -> Int64? {
        var v: Int64 = 0, n = 0
        while i < end, n < maxDigits, p[i] >= 48, p[i] <= 57 { v = v * 10 + Int64(p[i] - 48); i += 1; n += 1 }
        return n == 0 ? nil : v
    }

    /// `[+-]yyyy[y…]` (4–7 digits), then optional `-m[m]` and `-d[d]`.
    private static func parseDatePart(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, end: Int) -> CivilDate? {
        var sign = 1
        if i < end, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { sign = p[i] == UInt8(ascii: "-") ? -1 : 1; i += 1 }
        let start = i
        guard let y = smallNumber(p, &i, end: end, maxDigits: 7), i - start >= 4 else { return nil }
        var month: Int64 = 1, day: Int64 = 1
        if i < end, p[i] == UInt8(ascii: "-") {
            i += 1
            guard let m = smallNumber(p, &i, end: end, maxDigits: 2) else { return nil }
            month = m
            if i < end, p[i] == UInt8(ascii: "-") {
                i += 1
                guard let d = smallNumber(p, &i, end: end, maxDigits: 2) else { return nil }
                day = d
            }
        }
        let c = CivilDate(year: sign * Int(y), month: Int(month), day: Int(day))
        return c.isValid ? c : nil
    }
}

extension SparkCast {
    /// Whether Spark (non-ANSI) allows a cast. `implicit` is the stricter set the analyzer inserts
    /// on its own (no boolean ↔ number, no number ↔ date/timestamp).
    public static func canCast(from a: DataType, to b: DataType, implicit: Bool) -> Bool {
        if a == b || a == .string || b == .string { return true }
        switch (a, b) {
        case _ where a.isNumeric && b.isNumeric: return true
        case (.date, .timestamp), (.timestamp, .date): return true
        case (.boolean, _) where b.isNumeric, (_, .boolean) where a.isNumeric: return !implicit
        case (.timestamp, _) where b.isNumeric, (_, .timestamp) where a.isNumeric: return !implicit
        case (.boolean, .timestamp), (.timestamp, .boolean): return !implicit
        default: return false
        }
    }
}
