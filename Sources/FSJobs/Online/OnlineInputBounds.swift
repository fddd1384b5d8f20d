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
/// The bound after file i is the smallest minimum of the files after it. A file without a
/// minimum for the time column (no statistics, or only NULL times) makes every earlier bound
/// unknown: nothing is emitted early until it has been read.
///
/// Path order puts `fs_month=10` before `fs_month=2`, which would hold three months of state
/// until the end; `readOrder` reads by time instead when the result cannot depend on it.
enum OnlineInputBounds {
    /// The files in the order to read them: by their minimum event time (then path) when every
    /// file has one and `keepPathOrder` is false; in path order otherwise. Aggregates that
    /// number rows by input position (first, last, max_by, min_by) need path order: their
    /// results are defined by it. For the others the order changes nothing in a (key, slice)
    /// whose rows lie in one file, and in general only the rounding of floating sums, as any
    /// regrouping of the same rows would.
    static func readOrder(_ files: [ScanFile], timeField: String, keepPathOrder: Bool) -> [ScanFile] {
        guard !keepPathOrder else { return files }
        var keyed: [(Int64, ScanFile)] = []
        keyed.reserveCapacity(files.count)
        for f in files {
            guard let t = minTime(f, timeField) else { return files }
            keyed.append((t, f))
        }
        return keyed.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.relativePath < $1.1.relativePath }.map(\.1)
    }

    static func minTime(_ file: ScanFile, _ timeField: String) -> Int64? {
        if let entry = file.stats?.column(timeField), case .timestamp(let t)? = entry.min { return t }
        return nil
    }

    /// For each file, a lower bound of the event times in the files after it: `Int64.max` after
    /// the last one, `Int64.min` when unknown. Delta statistics of timestamps are written at
    /// millisecond precision, rounded down for minimums (`FileStatistics.lowerBound`), so they
    /// stay lower bounds.
    static func laterTimeBounds(_ files: [ScanFile], timeField: String) -> [Int64] {
        var out = [Int64](repeating: .max, count: files.count)
        var bound = Int64.max
        for i in files.indices.reversed() {
            out[i] = bound
            bound = minTime(files[i], timeField).map { Swift.min(bound, $0) } ?? .min
        }
        return out
    }
}
