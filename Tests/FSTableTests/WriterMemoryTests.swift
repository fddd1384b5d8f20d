import FSCore
import Foundation
import Testing
@testable import FSTable

/// Issue #13, item 5: a long-running writer's memory does not grow with the files the table
/// removed over its life (it holds no tombstone, see `Snapshot.holdsTombstones`). Each case
/// builds the log a week of compaction leaves (tombstones within the retention: half in a
/// checkpoint, half in JSON commits after it, 250 per commit) directly, then runs `fs-table writer-memory`: open a `TableWriter`, five commits, a
/// checkpoint, and the process's peak RSS (`VmHWM`).
/// Issue #15: nor with the files it keeps live (their statistics are held packed, see
/// `FileStatisticsText`).
@Suite(.serialized) struct WriterPeakMemoryTests {
    static let removesPerCommit = 250

    /// Removes `count` files of a sample table in commits of `removesPerCommit` written straight
    /// to the log, with a checkpoint after half of them; every tombstone is within the retention.
    static func tombstonedTable(at path: String, tombstones count: Int) throws {
        #expect(try runTool(["write-sample", path, "--rows", "200", "--commits", "2", "--checkpoint-interval", "0"]).0 == 0)
        let t = try DeltaTable.open(at: path)
        var version = try t.snapshot().version
        let now = t.clock.nowMicros() / 1000
        let commits = max(2, count / removesPerCommit)
        var n = 0
        for c in 0..<commits {
            var actions: [Action] = [.commitInfo(timestampMillis: now, operation: "OPTIMIZE")]
            for _ in 0..<removesPerCommit {
                n += 1
                let day = 1 + n % 28
                let id = String(format: "%08x-%04x-4%03x-8%03x-%012x", n, n % 65_536, n % 4_096, (n * 7) % 4_096, n * 2_654_435_761 % 281_474_976_710_656)
                actions.append(.remove(RemoveAction(
                    path: "fs_year=2019/fs_month=1/fs_day=\(day)/part-00000-\(id).c000.zstd.parquet", deletionTimestamp: now - Int64(n),
                    dataChange: false, extendedFileMetadata: true, partitionValues: ["fs_year": "2019", "fs_month": "1", "fs_day": String(day)],
                    size: 3_000 + Int64(n % 1_000))))
            }
            version += 1
            #expect(try LogCommitter.tryCommit(t.log, version: version, actions: actions))
            if c == commits / 2 - 1 { try Checkpoint.write(try t.snapshot(), log: t.log, nowMillis: now) }
        }
    }

    /// Runs `fs-table writer-memory` on `table`; returns its JSON report.
    static func measure(_ table: String) throws -> JSONValue {
        let (status, out) = try runTool(["writer-memory", table, "--commits", "5"])
        #expect(status == 0)
        return try JSONValue.parse(out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aWriterOfATableWith100kTombstonesPeaksWithin15PercentPlus4MBOfOneWith1k() throws {
        let dir = try ScratchDirectory()
        var reports: [Int: JSONValue] = [:]
        for count in [1_000, 100_000] {
            let table = dir.sub("t\(count)")
            try Self.tombstonedTable(at: table, tombstones: count)
            reports[count] = try Self.measure(table)
        }
        let small = try #require(reports[1_000]), large = try #require(reports[100_000])
        // Premise: the writers' checkpoints wrote every tombstone, which they did not hold.
        #expect(small["tombstonesHeld"]?.int64Value == 0 && large["tombstonesHeld"]?.int64Value == 0)
        #expect(small["checkpointActions"]?.int64Value ?? 0 > 1_000)
        #expect(large["checkpointActions"]?.int64Value ?? 0 > 100_000)
        let smallPeak = try #require(small["peakKiB"]?.int64Value), largePeak = try #require(large["peakKiB"]?.int64Value)
        print("writer-memory: 1k tombstones \(smallPeak) KiB peak, 100k tombstones \(largePeak) KiB peak")
        // Held as RemoveActions in a dictionary (36b32a0) each tombstone cost about 1.9 KB of peak
        // RSS (debug build: 26 MB with 1k, 213 MB with 100k); held in a `TombstoneSet` about 200
        // bytes (26 and 46 MB). Streamed back from the log at checkpoints, the writer keeps 8
        // bytes per tombstone only while it writes one; the 4 MB cover that and the reading of
        // the larger checkpoint's row groups.
        let bound = smallPeak + smallPeak * 15 / 100 + 4_096
        #expect(largePeak <= bound, "peak RSS \(largePeak) KiB with 100k tombstones, \(smallPeak) KiB with 1k: over \(bound) KiB")
    }

    /// Adds `count` files with statistics the size of order events' (30 columns, ~2.6 KB of JSON)
    /// to a sample table, in commits of 250 written straight to the log.
    static func tableWithLiveFiles(at path: String, files count: Int) throws {
        #expect(try runTool(["write-sample", path, "--rows", "200", "--commits", "2", "--checkpoint-interval", "0"]).0 == 0)
        let t = try DeltaTable.open(at: path)
        var version = try t.snapshot().version
        let now = t.clock.nowMicros() / 1000
        var n = 0
        while n < count {
            var actions: [Action] = [.commitInfo(timestampMillis: now, operation: "STREAMING UPDATE")]
            for _ in 0..<min(250, count - n) {
                n += 1
                let day = 1 + n % 28
                actions.append(.add(AddAction(
                    path: "fs_year=2019/fs_month=1/fs_day=\(day)/part-00000-\(n).c000.zstd.parquet",
                    partitionValues: ["fs_year": "2019", "fs_month": "1", "fs_day": String(day)], size: 3_000 + Int64(n % 1_000),
                    modificationTime: now, stats: FileStatisticsTextTests.document(rows: 50 + n % 200, day: day, name: "file-\(n)"))))
            }
            version += 1
            #expect(try LogCommitter.tryCommit(t.log, version: version, actions: actions))
        }
    }

    @Test func aWriterOfATableWith12kLiveFilesPeaksWithin15PercentPlus12MBOfOneWith1k() throws {
        let dir = try ScratchDirectory()
        var peaks: [Int: Int64] = [:]
        for count in [1_000, 12_000] {
            let table = dir.sub("t\(count)")
            try Self.tableWithLiveFiles(at: table, files: count)
            let report = try Self.measure(table)
            // Premise: the writer's checkpoint holds every file.
            #expect(report["checkpointActions"]?.int64Value ?? 0 > Int64(count))
            peaks[count] = try #require(report["peakKiB"]?.int64Value)
        }
        let small = try #require(peaks[1_000]), large = try #require(peaks[12_000])
        print("writer-memory: 1k live files \(small) KiB peak, 12k live files \(large) KiB peak")
        // Debug build: with every add's statistics held as text the writer peaked at 34.9 MB
        // with 1k files and 67.5 MB with 12k (~3 KB a file: 56.7 MB once open); packed
        // (`FileStatisticsText`) at 35.4 and 45.4 MB (33.5 once open). The checkpoint's row
        // groups end at `Checkpoint.statisticsBytesPerGroup`, so writing one adds a few MB.
        let bound = small + small * 15 / 100 + 12 * 1_024
        #expect(large <= bound, "peak RSS \(large) KiB with 12k live files, \(small) KiB with 1k: over \(bound) KiB")
    }
}
