import FSAggregation
import FSCore
import FSParquet
import FSTable

/// Writing emitted windows: the output table is partitioned by the window end's UTC
/// year/month/day, and the engine hands out rows sorted by window, so each day is one run of
/// rows, handed to the day's partition as a row range of the emitted batch.
enum OnlineOutput {
    /// Partition columns of the output table.
    static let partitionColumns = ["year", "month", "day"]

    /// Emission hands out days in order, so a day's file is complete long before the commit: the
    /// pipeline finishes it as soon as its lane moves on (`OnlineOutputPipeline`), and the buffer
    /// budget (per lane) only bounds a trigger whose days are all open at once.
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
        // Window bounds come as stepping runs: 9-bit indices of the day's windows, not DELTA + ZSTD.
        o.parquet.isSteppingDictionaryEnabled = true
        // What is left compressed is the string columns: the key's dictionary of a day's distinct
        // keys (and string-valued features). Keys are ids of high entropy per byte — the bench's
        // are UUIDs, 36 hex digits and dashes — and ZSTD level 1 gains its 2.0× on them almost
        // only by Huffman-coding the literals, at ~0.2 CPU-s per 1M events on the compression
        // lanes. Level −1000 with coded literals keeps 1.83× (key column 23.9 MB instead of 22.1
        // of the run's ~122 MB) for a quarter of that CPU (`CompressionVerdicts`; level −5: 22.7 MB,
        // half the CPU). Frames stay standard ZSTD.
        o.parquet.compression = CompressionVerdicts.fastSetting
        // At that level a day's key chunk (~120 KB) compresses in ~0.15 ms: each lane compresses its own
        // pages: handing them to a compression pool cost more (task hand-offs, and a lane blocked
        // in `waitForPages` at every file's end, ~360 context switches a run) than its parallelism
        // gave — the two lanes already use both cores. (With level 1, one pool lane instead of two
        // was worse: bench/ANALYSIS.md, seventh round.)
        o.parquet.compressionWorkers = 0
        return o
    }

    /// Writes `batch` (the engine's output schema, windows ascending) through `writer`, one
    /// row range per window-end day straight into that day's partition (no copy, no partition
    /// columns built); returns the rows written. A batch without a timestamp `window_end` is
    /// refused (`OnlineError.outputWithoutWindowEnd`), never counted as zero rows: silently
    /// writing nothing would commit the input position with its windows lost.
    static func write(_ batch: RecordBatch, to writer: TableWriter) throws -> Int {
        try write(.rows(batch), to: writer)
    }

    /// Writes emitted windows: rows by `write(_:to:)`, runs (`EmittedWindows.runs`: days of
    /// window end ascending, no run crossing a day) by the writer's run path, one range of runs
    /// per window-end day; returns the rows written. Refuses a batch without a timestamp
    /// `window_end` as `write(_:to:)` does.
    static func write(_ out: EmittedWindows, to writer: TableWriter) throws -> Int {
        for day in try days(of: out) { try write(out, day: day, to: writer) }
        return out.rowCount
    }

    /// One window-end day of an emitted chunk: its rows (row path) or runs (run path) and the
    /// day's partition values.
    struct Day {
        /// Days since the epoch (UTC) of the window ends.
        var day: Int64
        /// Rows or runs of the chunk.
        var range: Range<Int>
        /// `year`, `month`, `day`.
        var partition: [Value]
    }

    /// The window-end days of `out` (windows ascending), in order. Refuses a chunk without a
    /// timestamp `window_end` (`OnlineError.outputWithoutWindowEnd`), never counted as zero
    /// rows: silently writing nothing would commit the input position with its windows lost.
    static func days(of out: EmittedWindows) throws -> [Day] {
        let ends: [Int64], count: Int
        switch out {
        case .rows(let batch):
            guard let endIndex = batch.schema.index(of: "window_end"), let e = batch.columns[endIndex].int64s else {
                throw OnlineError.outputWithoutWindowEnd(columns: batch.schema.fields.map(\.name))
            }
            (ends, count) = (e, batch.rowCount)
        case .runs(let batch):
            guard let endIndex = batch.schema.index(of: "window_end"), batch.columns[endIndex].type == .timestamp else {
                throw OnlineError.outputWithoutWindowEnd(columns: batch.schema.fields.map(\.name))
            }
            switch batch.columns[endIndex] {
            case .stepping(let first, _, _): ends = first
            case .repeated(let c): ends = c.int64s ?? []
            }
            count = batch.runCount
        }
        var days: [Day] = []
        forEachDay(of: ends, count: count) { days.append(Day(day: $0, range: $1, partition: $2)) }
        return days
    }

    /// Writes one day of `out` (from `days(of:)`) into its partition: rows straight from the
    /// batch (no copy, no partition columns built), runs through `TableWriter.writeRuns`.
    static func write(_ out: EmittedWindows, day: Day, to writer: TableWriter) throws {
        switch out {
        case .rows(let batch): try writer.write(batch, rows: day.range, partition: day.partition)
        case .runs(let batch): try writer.writeRuns(batch, runs: day.range, partition: day.partition)
        }
    }

    /// Cuts `ends[0..<count]` (window ends, ascending) into one range per window-end day and
    /// calls `body` with it and that day's partition values (`fs_year`, `fs_month`, `fs_day`):
    /// the one day split of the row path and the run path.
    private static func forEachDay(of ends: [Int64], count n: Int, _ body: (Int64, Range<Int>, [Value]) -> Void) {
        var start = 0
        while start < n {
            let day = daysOf(micros: ends[start])
            let dayStart = Int64(day) &* microsPerDay, nextDay = dayStart &+ microsPerDay
            var end = start + 1
            while end < n && ends[end] >= dayStart && ends[end] < nextDay { end += 1 }
            let date = CivilDate(daysSinceEpoch: day)
            body(day, start..<end, [.int32(Int32(date.year)), .int32(Int32(date.month)), .int32(Int32(date.day))])
            start = end
        }
    }
}
