/// Calendar arithmetic in UTC on plain integers: days since 1970-01-01 and microseconds since the
/// Unix epoch. No Foundation `Calendar`/`DateFormatter` (slow, and zone-dependent by default):
/// every conversion here is proleptic Gregorian, UTC, exact.

public let microsPerSecond: Int64 = 1_000_000
public let microsPerDay: Int64 = 86_400_000_000

/// A civil date in the proleptic Gregorian calendar.
public struct CivilDate: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int  // 1...12
    public var day: Int    // 1...31

    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }

    /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date `days` after 1970-01-01 (civil_from_days).
    public init(daysSinceEpoch days: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = Int(yoe + era * 400 + (m <= 2 ? 1 : 0))
        self.month = Int(m)
        self.day = Int(d)
    }

    public var isValid: Bool {
        guard month >= 1 && month <= 12 && day >= 1 else { return false }
        return day <= CivilDate.daysInMonth(year: year, month: month)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String { formatDate(days: Int32(truncatingIfNeeded: daysSinceEpoch)) }
}

/// Floor division for negative timestamps (before 1970).
@inlinable
public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// Day number (since 1970-01-01, UTC) of a timestamp in µs.
@inlinable
public func daysOf(micros: Int64) -> Int64 { floorDiv(micros, microsPerDay) }

/// Broken-down UTC fields of a timestamp, as Spark's `year()`, `hour()`, ... return them.
public struct UTCFields: Sendable, Hashable {
    public var date: CivilDate
    public var hour: Int, minute: Int, second: Int, micro: Int

    public init(micros: Int64) {
        let days = daysOf(micros: micros)
        date = CivilDate(daysSinceEpoch: days)
        var rem = micros - days * microsPerDay
        hour = Int(rem / 3_600_000_000); rem %= 3_600_000_000
        minute = Int(rem / 60_000_000); rem %= 60_000_000
        second = Int(rem / 1_000_000)
        micro = Int(rem % 1_000_000)
    }
}

/// `YYYY-MM-DD`.
public func formatDate(days: Int32) -> String {
    let c = CivilDate(daysSinceEpoch: Int64(days))
    return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2)
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, trailing zeros of the fraction trimmed — Spark's
/// `CAST(ts AS STRING)` in a UTC session.
public func formatTimestamp(micros: Int64) -> String {
    let f = UTCFields(micros: micros)
    var s = formatDate(days: Int32(truncatingIfNeeded: f.date.daysSinceEpoch)) + " " + pad(f.hour, 2) + ":" + pad(f.minute, 2) + ":" + pad(f.second, 2)
    if f.micro != 0 {
        var frac = pad(f.micro, 6)
        while frac.hasSuffix("0") { frac.removeLast() }
        s += "." + frac
    }
    return s
}

/// ISO-8601 UTC with the given fraction digits (3 = milliseconds): `2019-01-17T22:50:06.000Z`.
public func formatISO8601(micros: Int64, fractionDigits: Int = 6) -> String {
    let f = UTCFields(micros: micros)
    var s = formatDate(days: Int32(truncatingIfNeeded: f.date.daysSinceEpoch)) + "T" + pad(f.hour, 2) + ":" + pad(f.minute, 2) + ":" + pad(f.second, 2)
    if fractionDigits > 0 {
        var frac = pad(f.micro, 6)
        frac = String(frac.prefix(fractionDigits))
        s += "." + frac
    }
    return s + "Z"
}

private func pad(_ v: Int, _ width: Int) -> String {
    let neg = v < 0
    var s = String(neg ? -v : v)
    while s.count < width { s = "0" + s }
    return neg ? "-" + s : s
}

/// Parses `YYYY-MM-DD`; nil when malformed or not a real date.
public func parseDate(_ text: String) -> Int32? {
    var t = text
    return t.withUTF8 { parseDate(utf8: $0) }
}

public func parseDate(utf8 p: UnsafeBufferPointer<UInt8>) -> Int32? {
    var i = 0
    guard let c = parseCivil(p, &i), i == p.count else { return nil }
    return Int32(truncatingIfNeeded: c.daysSinceEpoch)
}

/// Parses an ISO-8601 / Spark timestamp to µs since the epoch, UTC:
/// `YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]]][Z|±HH[:MM]]`. Without a zone the text is UTC.
/// Fractions beyond microseconds are truncated. nil when malformed.
public func parseTimestamp(_ text: String) -> Int64? {
    var t = text
    return t.withUTF8 { parseTimestamp(utf8: $0) }
}

public func parseTimestamp(utf8 p: UnsafeBufferPointer<UInt8>) -> Int64? {
    var i = 0
    guard let c = parseCivil(p, &i) else { return nil }
    var micros = c.daysSinceEpoch * microsPerDay
    if i == p.count { return micros }
    guard p[i] == UInt8(ascii: "T") || p[i] == UInt8(ascii: " ") else { return nil }
    i += 1
    guard let hh = digits(p, &i, 2), hh < 24, i < p.count, p[i] == UInt8(ascii: ":") else { return nil }
    i += 1
    guard let mm = digits(p, &i, 2), mm < 60 else { return nil }
    var ss: Int64 = 0
    if i < p.count, p[i] == UInt8(ascii: ":") {
        i += 1
        guard let s = digits(p, &i, 2), s < 60 else { return nil }
        ss = s
        if i < p.count, p[i] == UInt8(ascii: ".") {
            i += 1
            var frac: Int64 = 0, n = 0
            while i < p.count, p[i] >= 48, p[i] <= 57 {
                if n < 6 { frac = frac * 10 + Int64(p[i] - 48) }
                n += 1; i += 1
            }
            guard n > 0 else { return nil }
            while n < 6 { frac *= 10; n += 1 }
            micros += frac
        }
    }
    micros += (hh * 3600 + mm * 60 + ss) * microsPerSecond
    if i == p.count { return micros }
    if p[i] == UInt8(ascii: "Z") || p[i] == UInt8(ascii: "z") { return i + 1 == p.count ? micros : nil }
    guard p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") else { return nil }
    let sign: Int64 = p[i] == UInt8(ascii: "+") ? 1 : -1
    i += 1
    guard let oh = digits(p, &i, 2), oh <= 18 else { return nil }
    var om: Int64 = 0
    if i < p.count {
        if p[i] == UInt8(ascii: ":") { i += 1 }
        guard let m = digits(p, &i, 2), m < 60 else { return nil }
        om = m
    }
    guard i == p.count else { return nil }
    return micros - sign * (oh * 3600 + om * 60) * microsPerSecond
}

private func digits(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ n: Int) -> Int64? {
    guard i + n <= p.count else { return nil }
    var v: Int64 = 0
    for k in 0..<n {
        let c = p[i + k]
        guard c >= 48 && c <= 57 else { return nil }
        v = v * 10 + Int64(c - 48)
    }
    i += n
    return v
}

private func parseCivil(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> CivilDate? {
    guard let y = digits(p, &i, 4), i < p.count, p[i] == UInt8(ascii: "-") else { return nil }
    i += 1
    // Spark accepts 1- or 2-digit months and days.
    guard let m = flexibleDigits(p, &i), i < p.count, p[i] == UInt8(ascii: "-") else { return nil }
    i += 1
    guard let d = flexibleDigits(p, &i) else { return nil }
    let c = CivilDate(year: Int(y), month: Int(m), day: Int(d))
    return c.isValid ? c : nil
}

private func flexibleDigits(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int64? {
    var v: Int64 = 0, n = 0
    while i < p.count, n < 2, p[i] >= 48, p[i] <= 57 { v = v * 10 + Int64(p[i] - 48); i += 1; n += 1 }
    return n == 0 ? nil : v
}

/// The source of "now" for every job, injected so tests control time.
public protocol WallClock: Sendable {
    /// Microseconds since the Unix epoch, UTC.
    func nowMicros() -> Int64
}

/// The real clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * microsPerSecond + Int64(ts.tv_nsec) / 1000
    }
}

/// A clock that returns a fixed instant (tests, golden files).
public struct FixedWallClock: WallClock {
    public let micros: Int64
    public init(micros: Int64) { self.micros = micros }
    public func nowMicros() -> Int64 { micros }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on the monotonic clock (never steps back, unlike `WallClock`): pacing, progress
/// rates and phase timings. One definition for every module.
package func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
