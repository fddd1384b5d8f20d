/// Rows (or events) per second between two progress lines: the one rate computation of every
/// job's progress lines (`events_per_s` of fs-agg-online's triggers, `rows_per_s` of
/// fs-agg-offline's scan lines, of fs-ingest's progress lines and of fs-publish's "published"
/// lines).
///
/// A rate over the last interval, not since the start: a job that slowed down shows it on the
/// next line instead of being averaged away by its first hour. Time is in µs of whatever clock
/// the job uses (an injected `WallClock` in the online job, so tests control it).
public struct ProgressRate: Sendable {
    private var lastMicros: Int64
    private var lastCount: Int64 = 0

    /// Starts counting at `startMicros` with a count of 0.
    public init(startMicros: Int64) { lastMicros = startMicros }

    /// The rate since the previous call (0 when no time passed), and remembers this point.
    public mutating func perSecond(count: Int64, nowMicros: Int64) -> Int {
        let rate = nowMicros > lastMicros ? Double(count - lastCount) * 1e6 / Double(nowMicros - lastMicros) : 0
        lastMicros = nowMicros
        lastCount = count
        return Int(rate)
    }
}
