import FSCore

// Values as the text the stores read back, appended to a byte buffer without a `String` per
// value (a `String` per timestamp and double was most of a publish's own CPU time).

/// A double as SQL text both PostgreSQL and MySQL parse back to the same bits: the shortest
/// round-trip form, with PostgreSQL's spellings of NaN and the infinities.
func sqlDoubleText(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
    return "\(d)"
}

/// Appends `sqlDoubleText(d)`.
func appendSQLDouble(_ d: Double, to out: inout [UInt8]) {
    if !d.isFinite { out.append(contentsOf: sqlDoubleText(d).utf8); return }
    // Integral values below 1e15 print as `N.0`, exactly as Swift's description does.
    if d == d.rounded(.towardZero), abs(d) < 1e15 {
        if d == 0 && d.sign == .minus { out.append(45) }
        appendDecimal(Int64(d), to: &out)
        out.append(contentsOf: ".0".utf8)
        return
    }
    appendShortestDouble(d, to: &out)
}

/// Appends `d.description` (the shortest text that reads back to the same bits) through
/// `Double.write(to:)`, which formats into a stack buffer: no interpolation buffer, and the
/// `String` it hands over is inline (no heap) up to 15 characters.
func appendShortestDouble(_ d: Double, to out: inout [UInt8]) {
    // Amounts in cents (most features of the order tables): when d·100 is an integer k and
    // k/100 is d again, the decimal k/100 reads back to d, and no shorter decimal does (two
    // decimals of at most two places differ by 0.01, far above d's spacing below 1e9) — so its
    // digits, trailing zero dropped, are Swift's shortest form. Written directly: about a
    // tenth of the formatter's cost.
    let cents = d * 100
    if d != 0, abs(d) < 1e9, cents == cents.rounded(), cents / 100 == d {  // ±0.0: the formatter keeps the sign
        let k = Int64(cents)
        if k < 0 { out.append(45) }
        let m = k.magnitude
        appendDecimal(Int64(m / 100), to: &out)
        out.append(46)
        let f = m % 100
        if f % 10 == 0 {
            out.append(UInt8(48 + f / 10))
        } else {
            out.append(UInt8(48 + f / 10))
            out.append(UInt8(48 + f % 10))
        }
        return
    }
    var sink = ByteSink()
    swap(&sink.bytes, &out)
    d.write(to: &sink)
    swap(&sink.bytes, &out)
}

/// A `TextOutputStream` over a byte array, for `appendShortestDouble`.
private struct ByteSink: TextOutputStream {
    var bytes: [UInt8] = []
    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }
}

/// Appends the decimal digits of `value` (no allocation).
func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value == 0 { out.append(48); return }
    var magnitude = value.magnitude
    if value < 0 { out.append(45) }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { buf in
        while magnitude > 0 {
            buf[n] = UInt8(48 + magnitude % 10)
            magnitude /= 10
            n += 1
        }
        for k in stride(from: n - 1, through: 0, by: -1) { out.append(buf[k]) }
    }
}

/// Appends `v` as at least `width` digits, zero-padded (`pad` of FSCore's formatters).
@inline(__always)
private func appendPadded(_ v: Int, _ width: Int, to out: inout [UInt8]) {
    if v < 0 { out.append(45) }
    let m = v.magnitude
    var div = 1
    for _ in 1..<width { div *= 10 }
    while div > 1 && Int(m) < div { out.append(48); div /= 10 }
    appendDecimal(Int64(m), to: &out)
}

/// Appends `formatDate(days:)`: `2019-01-17`.
func appendDate(days: Int32, to out: inout [UInt8]) {
    let c = CivilDate(daysSinceEpoch: Int64(days))
    appendPadded(c.year, 4, to: &out)
    out.append(45)
    appendPadded(c.month, 2, to: &out)
    out.append(45)
    appendPadded(c.day, 2, to: &out)
}

/// Appends `formatISO8601(micros:)`: `2019-01-17T22:50:06.000000Z`.
func appendISO8601(micros: Int64, to out: inout [UInt8]) {
    appendDateTime(micros: micros, separator: 84, to: &out)
    out.append(90)
}

/// Appends `2019-01-17 22:50:06.000000`: the DATETIME(6) literal MySQL parses (UTC, as the
/// session time zone is), the same instant as `formatTimestamp` without trimming the fraction.
func appendSQLTimestamp(micros: Int64, to out: inout [UInt8]) {
    appendDateTime(micros: micros, separator: 32, to: &out)
}

private func appendDateTime(micros: Int64, separator: UInt8, to out: inout [UInt8]) {
    let f = UTCFields(micros: micros)
    appendDate(days: Int32(truncatingIfNeeded: f.date.daysSinceEpoch), to: &out)
    out.append(separator)
    appendPadded(f.hour, 2, to: &out)
    out.append(58)
    appendPadded(f.minute, 2, to: &out)
    out.append(58)
    appendPadded(f.second, 2, to: &out)
    out.append(46)
    appendPadded(f.micro, 6, to: &out)
}
