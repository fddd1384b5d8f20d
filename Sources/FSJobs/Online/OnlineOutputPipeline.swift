import FSAggregation
import FSCore
import FSTable
import Synchronization

/// Writes the emitted chunks of a trigger on background threads, window-end days split between
/// `lanes` writer threads, while the engine merges the next chunks (and reads and folds the
/// next input version).
///
/// ```
///  caller:  emit chunk₁ (days 1, 2) ── emit chunk₂ (days 2, 3) ── … ── finish() ── adopt lanes ── commit
///  lane 1:        write day 1 ────────────────── write day 3 ─ … ─ finish files, stage ─┘
///  lane 2:        write day 2 ──────── write day 2 (rest) ──── … ─ finish files, stage ─┘
/// ```
/// Why lanes: merging slices and encoding a day's Parquet pages each took about half of the
/// job's CPU time, and with one output thread the encoding was the critical path while the
/// second core was part idle (bench/ANALYSIS.md, seventh round). A day goes to one lane for the
/// whole trigger (the lane with the fewest rows waiting when the day first appears, counting the
/// days of the same chunk placed before it), so each day is still one file, with the same rows
/// in the same order as from one thread.
///
/// Each lane is a `TableWriter.makeLane()` of the output writer: it writes and finishes files
/// (a day's file as soon as its lane moves on to a later day, so its footer and fsync overlap the
/// next writes instead of waiting for the commit), and `finish` hands the lanes' staged files
/// to the output writer (`TableWriter.adopt`), whose commit makes them visible in one log entry
/// as before. From `submit` until `finish` returns, the output writer itself is not touched.
/// At most `maxInFlight` chunks wait per lane, which bounds the memory the overlap adds. More
/// than one: a chunk's first day often continues the previous chunk's last one, whose lane is
/// still writing it, and with one slot the caller waited there for the whole previous chunk
/// (~0.7 s of a 1.9 s run blocked in `submit`, sched_switch trace, bench/ANALYSIS.md). Four,
/// not two: with two, a core sat idle ~0.3 s of a ~1.1 s run (`/proc/stat`) while the caller
/// waited for one lane and the other ran dry; four cut that to ~0.19 s and the run's wall
/// time by ~5% (30 alternating rounds; six and eight gave the same). Peak RSS did not move
/// (~50 MiB): a chunk is ~262k rows as runs.
final class OnlineOutputPipeline: @unchecked Sendable {
    private let writer: TableWriter
    private let lanes: [Lane]
    /// The lane of each day written since the last `finish` (caller's thread only).
    private(set) var laneOfDay: [Int64: Int] = [:]

    /// One writer thread and its writer.
    private final class Lane: @unchecked Sendable {
        /// Runs the lane's writes in order; its first failure drops its later chunks.
        let background: BackgroundWriter
        let writer: TableWriter
        /// Rows submitted and not yet written (balances new days between lanes).
        let waitingRows = Atomic<Int>(0)
        /// Rows written since the last `finish`.
        let writtenRows = Atomic<Int>(0)
        /// The day the lane wrote last and its partition (lane thread only).
        var lastDay: OnlineOutput.Day?
        /// What the lane's last task staged (lane thread, then the caller after `drain`).
        var staged: StagedCommit?

        init(writer: TableWriter, index: Int, maxInFlight: Int) {
            self.writer = writer
            background = BackgroundWriter(label: "fs.online.output.\(index)", maxInFlight: maxInFlight)
        }

        /// Writes `days` of `out`, finishing the previous day's file first when a later day starts.
        func write(_ out: EmittedWindows, days: [OnlineOutput.Day]) throws {
            for day in days {
                if let last = lastDay, last.day != day.day { try writer.finish(partition: last.partition) }
                lastDay = day
                try OnlineOutput.write(out, day: day, to: writer)
            }
        }
    }

    /// `lanes` (≥ 1) writer threads, each with its own lane of `writer`.
    init(writer: TableWriter, lanes: Int = 2, maxInFlight: Int = 4) throws {
        self.writer = writer
        self.lanes = try (0..<max(1, lanes)).map { Lane(writer: try writer.makeLane(), index: $0, maxInFlight: maxInFlight) }
    }

    /// Queues `batch` (the engine's output, windows ascending) for `OnlineOutput.write`.
    /// Throws a failure of an earlier chunk at once, so a failing trigger stops emitting early.
    func submit(_ batch: RecordBatch) throws { try submit(.rows(batch)) }

    /// Queues emitted windows, rows or runs (`WindowedAggregator.endMicroBatchByRuns(emit:)`),
    /// each day to its lane.
    func submit(_ out: EmittedWindows) throws {
        for lane in lanes { if let e = lane.background.failure { throw e } }
        var byLane = [[OnlineOutput.Day]](repeating: [], count: lanes.count)
        // Rows each lane will have waiting once this chunk is queued: a chunk holds several days
        // (~33k rows a day against ~262k per chunk), so its new days are spread as they are placed.
        var load = lanes.map { $0.waitingRows.load(ordering: .relaxed) }
        for day in try OnlineOutput.days(of: out) {
            let l: Int
            if let known = laneOfDay[day.day] {
                l = known
            } else {
                l = load.indices.min { load[$0] < load[$1] } ?? 0
                laneOfDay[day.day] = l
            }
            byLane[l].append(day)
            load[l] += out.rowCount(of: [day])
        }
        for (lane, days) in zip(lanes, byLane) where !days.isEmpty {
            let rows = out.rowCount(of: days)
            lane.waitingRows.add(rows, ordering: .relaxed)
            lane.background.enqueue {
                defer { lane.waitingRows.subtract(rows, ordering: .relaxed) }
                try lane.write(out, days: days)
                lane.writtenRows.add(rows, ordering: .relaxed)
            }
        }
    }

    /// Waits until every queued chunk is written, finishes the lanes' files on their threads and
    /// hands them to the output writer for its next commit; returns the rows written since the
    /// last `finish` and rethrows the first failure (then everything the lanes wrote since the
    /// last `finish` is deleted). The writer is the caller's again afterwards.
    func finish() throws -> Int {
        for lane in lanes {
            lane.background.enqueue {
                try lane.writer.finishOpenFiles()
                lane.lastDay = nil
                lane.staged = lane.writer.stage()
            }
        }
        var failure: (any Error)?
        for lane in lanes {
            lane.background.drain()
            if let e = lane.background.takeFailure(), failure == nil { failure = e }
        }
        laneOfDay = [:]
        let staged = lanes.compactMap { lane in defer { lane.staged = nil }; return lane.staged }
        if let failure {
            for lane in lanes {
                lane.lastDay = nil
                lane.writer.abort()
                lane.writtenRows.store(0, ordering: .relaxed)
            }
            for s in staged { writer.discard(s) }
            throw failure
        }
        for s in staged { try writer.adopt(s) }
        return lanes.reduce(0) { $0 + $1.writtenRows.exchange(0, ordering: .relaxed) }
    }
}

extension EmittedWindows {
    /// Rows in `days` (ranges of rows or runs from `OnlineOutput.days(of:)`).
    fileprivate func rowCount(of days: [OnlineOutput.Day]) -> Int {
        switch self {
        case .rows: return days.reduce(0) { $0 + $1.range.count }
        case .runs(let b): return days.reduce(0) { $0 + b.rowCount(runs: $1.range) }
        }
    }
}
