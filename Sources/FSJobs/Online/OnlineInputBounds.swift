import FSCore
import FSTable

/// What the online job knows, before reading a micro-batch's files, about the event times still
/// to come: it lets the engine emit windows that are final while the micro-batch is still being
/// read (`WindowedAggregator.emitFinalWindows`), so the output is encoded and written on the
/// other cores instead of after the whole input is folded.
///
///     files in read order:   f₀      f₁      f₂      f₃
///     min event time (stats) 9:00    11:00   10:00   12:00
///     bound after fᵢ         10:00   10:00   12:00   (none: the micro-batch ends)
///
/// The files are read in path order, as before (the row stamps of first/last depend on it), so
/// the bound after file i is the smallest minimum of the files after it. A file without a
/// minimum for the time column (no statistics, or only NULL times) makes every earlier bound
/// unknown: nothing is emitted early until it has been read.
enum OnlineInputBounds {
    /// For each file, a lower bound of the event times in the files after it: `Int64.max` after
    /// the last one, `Int64.min` when unknown. Delta statistics of timestamps are written at
    /// millisecond precision, rounded down for minimums (`FileStatistics.lowerBound`), so they
    /// stay lower bounds.
    static func laterTimeBounds(_ files: [ScanFile], timeField: String) -> [Int64] {
        var out = [Int64](repeating: .max, count: files.count)
        var bound = Int64.max
        for i in files.indices.reversed() {
            out[i] = bound
            if let entry = files[i].stats?.column(timeField), case .timestamp(let t)? = entry.min {
                bound = Swift.min(bound, t)
            } else {
                bound = .min
            }
        }
        return out
    }
}
