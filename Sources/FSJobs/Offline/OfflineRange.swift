import FSAggregation
import FSCore
import FSTable

/// The time range of one offline run and the sub-windows of its periods, in UTC microseconds.
///
/// A date bound means whole days: `--start-date 2019-06-01 --end-date 2019-11-30` selects
/// `2019-06-01 00:00 <= time < 2019-12-01 00:00`. A date-time bound is taken exactly:
/// `[start, end)`, which is the online job's window convention, so one offline run over
/// `[start, end)` reproduces one online window. A period of length P covers `[end − P, end)`:
/// for date bounds and a period of N days, the last N calendar days ending with end-date.
/// (The original filtered `time > start-date 23:59:59.999` with no upper bound and fed 0.0 for
/// rows outside a period; see original-spec §11, items 15–16.)
public struct OfflineRange: Sendable, Equatable {
    /// Inclusive lower bound (µs).
    public var startMicros: Int64
    /// Exclusive upper bound (µs).
    public var endMicros: Int64
    /// The bounds as the user wrote them (for logs and the summary).
    public var startText: String
    public var endText: String

    /// Parses `--start-date` / `--end-date`: each a date `YYYY-MM-DD` or a UTC date-time
    /// (`2019-12-05T10:00:00Z`, `2019-12-05 10:00`, with an optional offset).
    public init(start: String, end: String) throws(UsageError) {
        startText = start
        endText = end
        if let d = parseDate(start) {
            startMicros = Int64(d) * microsPerDay
        } else if let t = parseTimestamp(start) {
            startMicros = t
        } else {
            throw UsageError(flag: "--start-date", message: "'\(start)' is not a date (YYYY-MM-DD) or a UTC date-time (YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM])")
        }
        if let d = parseDate(end) {
            endMicros = (Int64(d) + 1) * microsPerDay
        } else if let t = parseTimestamp(end) {
            endMicros = t
        } else {
            throw UsageError(flag: "--end-date", message: "'\(end)' is not a date (YYYY-MM-DD) or a UTC date-time (YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM])")
        }
        guard endMicros > startMicros else {
            throw UsageError(flag: "--end-date", message: "'\(end)' is before --start-date '\(start)': the range [\(formatISO8601(micros: startMicros)), \(formatISO8601(micros: endMicros))) is empty")
        }
    }

    /// Length of the range (µs).
    public var lengthMicros: Int64 { endMicros - startMicros }

    /// Lower bound of a period's sub-window: `end − period`.
    public func periodStart(_ p: Period) -> Int64 { endMicros - p.micros }

    /// Rejects a period that reaches before the range's start (its aggregate would silently
    /// cover less than its name says).
    public func validate(period p: Period, feature: String) throws(UsageError) {
        guard p.micros <= lengthMicros else {
            throw UsageError(flag: "--start-date", message: "feature \"\(feature)\": its period \(p) is longer than the range [\(startText), \(endText)] (\(describeLength(lengthMicros))); move --start-date back or shorten the period")
        }
    }

    /// The output partition: the calendar day of the last instant of the range (`end − 1 µs`),
    /// i.e. end-date itself for a date, the date of a date-time end (minus 1 µs at midnight).
    public var outputDay: CivilDate { CivilDate(daysSinceEpoch: daysOf(micros: endMicros - 1)) }

    /// First and last calendar day the range touches (for partition pruning).
    public var dayRange: ClosedRange<Int64> { daysOf(micros: startMicros)...daysOf(micros: endMicros - 1) }
}

/// "183 days", "36 hours", "90 minutes" — how long a range is, for messages.
func describeLength(_ micros: Int64) -> String {
    if micros % microsPerDay == 0 { return "\(micros / microsPerDay) days" }
    let hour = 3_600 * microsPerSecond
    if micros % hour == 0 { return "\(micros / hour) hours" }
    return "\(micros / microsPerSecond) seconds"
}
