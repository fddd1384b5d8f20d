import FSAggregation
import FSCore
import FSTable

/// Writing emitted windows: the output table is partitioned by the window end's UTC
/// year/month/day, and the engine hands out rows sorted by window, so each day is one run of
/// rows, handed to the day's partition as a row range of the emitted batch.
enum OnlineOutput {
    /// Partition columns of the output table.
    static let partitionColumns = ["year", "month", "day"]

    /// Emission hands out days in order, so a day's file is complete long before the commit:
    /// a small buffer budget finishes it early instead of holding a trigger's output in memory.
    ///
    /// Window bounds repeat for every key of a window and counts are small, so integer pages are
    /// DELTA_BINARY_PACKED: a few bits a value instead of 8 bytes through ZSTD, which was the
    /// largest cost of the job's output (bench/ANALYSIS.md).
    static var writerOptions: TableWriterOptions {
        var o = TableWriterOptions()
        o.maxBufferedBytes = 64 << 20
        o.parquet.integerEncoding = .deltaBinaryPacked
        // Features come as runs (one dictionary entry of distinct doubles per run): not worth ZSTD.
        o.parquet.runEntryCompression = .uncompressed
        return o
    }

    /// Writes `batch` (the engine's output schema, windows ascending) through `writer`, one
    /// row range per window-end day straight into that day's partition (no copy, no partition
    /// columns built); returns the rows written. A batch without a timestamp `window_end` is
    /// refused (`OnlineError.outputWithoutWindowEnd`), never counted as zero rows: silently
    /// writing nothing would commit the input position with its windows lost.
    static func write(_ batch: RecordBatch, to writer: TableWriter) throws -> Int {
        guard let endIndex = batch.schema.index(of: "window_end"), let ends = batch.columns[endIndex].int64s else {
            throw OnlineError.outputWithoutWindowEnd(columns: batch.schema.fields.map(\.name))
        }
        try forEachDay(of: ends, count: batch.rowCount) { try writer.write(batch, rows: $0, partition: $1) }
        return batch.rowCount
    }

    /// Writes emitted windows: rows by `write(_:to:)`, runs (`EmittedWindows.runs`: days of
    /// window end ascending, no run crossing a day) by the writer's run path, one range of runs
    /// per window-end day; returns the rows written. Refuses a batch without a timestamp
    /// `window_end` as `write(_:to:)` does.
    static func write(_ out: EmittedWindows, to writer: TableWriter) throws -> Int {
        let batch: RunBatch
        switch out {
        case .rows(let rows): return try write(rows, to: writer)
        case .runs(let runs): batch = runs
        }
        guard let endIndex = batch.schema.index(of: "window_end"), batch.columns[endIndex].type == .timestamp else {
            throw OnlineError.outputWithoutWindowEnd(columns: batch.schema.fields.map(\.name))
        }
        let ends: [Int64]
        switch batch.columns[endIndex] {
        case .stepping(let first, _, _): ends = first
        case .repeated(let c): ends = c.int64s ?? []
        }
        try forEachDay(of: ends, count: batch.runCount) { try writer.writeRuns(batch, runs: $0, partition: $1) }
        return batch.rowCount
    }

    /// Cuts `ends[0..<count]` (window ends, ascending) into one range per window-end day and
    /// calls `body` with it and that day's partition values (`fs_year`, `fs_month`, `fs_day`):
    /// the one day split of the row path and the run path.
    private static func forEachDay(of ends: [Int64], count n: Int, _ body: (Range<Int>, [Value]) throws -> Void) throws {
        var start = 0
        while start < n {
            let day = daysOf(micros: ends[start])
            let dayStart = Int64(day) &* microsPerDay, nextDay = dayStart &+ microsPerDay
            var end = start + 1
            while end < n && ends[end] >= dayStart && ends[end] < nextDay { end += 1 }
            let date = CivilDate(daysSinceEpoch: day)
            try body(start..<end, [.int32(Int32(date.year)), .int32(Int32(date.month)), .int32(Int32(date.day))])
            start = end
        }
    }
}
