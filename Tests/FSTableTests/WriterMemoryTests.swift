import FSCore
import Foundation
import Testing
@testable import FSTable

/// Issue #13, item 5: a long-running writer's memory does not grow with the files the table
/// removed over its life. Each case builds the log a week of compaction leaves (tombstones
/// within the retention: half in a checkpoint, half in JSON commits after it) directly, then
/// runs `fs-table writer-memory`: open a `TableWriter`, five commits, a checkpoint, and the
/// process's peak RSS (`ru_maxrss`).
@Suite(.serialized) struct WriterPeakMemoryTests {
    /// Removes `count` files of a sample table in 40 `OPTIMIZE`-like commits, with a checkpoint
    /// after the 20th; every tombstone is within the retention.
    static func tombstonedTable(at path: String, tombstones count: Int) throws {
        #expect(try runTool(["write-sample", path, "--rows", "200", "--commits", "2", "--checkpoint-interval", "0"]).0 == 0)
        let t = try DeltaTable.open(at: path)
        var s = try t.snapshot()
        let now = t.clock.nowMicros() / 1000
        let commits = 40, perCommit = max(1, count / commits)
        var n = 0
        for c in 0..<commits {
            var actions: [Action] = []
            for _ in 0..<perCommit {
                n += 1
                let day = 1 + n % 28
                let id = String(format: "%08x-%04x-4%03x-8%03x-%012x", n, n % 65_536, n % 4_096, (n * 7) % 4_096, n * 2_654_435_761 % 281_474_976_710_656)
                actions.append(.remove(RemoveAction(
                    path: "fs_year=2019/fs_month=1/fs_day=\(day)/part-00000-\(id).c000.zstd.parquet", deletionTimestamp: now - Int64(n),
                    dataChange: false, extendedFileMetadata: true, partitionValues: ["fs_year": "2019", "fs_month": "1", "fs_day": String(day)],
                    size: 3_000 + Int64(n % 1_000))))
            }
            s = try t.commit(actions, operation: "OPTIMIZE", base: s).snapshot
            if c == commits / 2 - 1 {
                let last = try Checkpoint.write(s, log: t.log, nowMillis: now)
                s.noteCheckpoint(bytes: last.sizeInBytes ?? 0, rows: last.size)
            }
        }
    }

    /// Runs `fs-table writer-memory` on `table`; returns its JSON report.
    static func measure(_ table: String) throws -> JSONValue {
        let (status, out) = try runTool(["writer-memory", table, "--commits", "5"])
        #expect(status == 0)
        return try JSONValue.parse(out.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aWriterOverAHundredThousandTombstonesNeedsAboutTheMemoryOfOneOverAThousand() throws {
        let dir = try ScratchDirectory()
        var reports: [Int: JSONValue] = [:]
        for count in [1_000, 100_000] {
            let table = dir.sub("t\(count)")
            try Self.tombstonedTable(at: table, tombstones: count)
            reports[count] = try Self.measure(table)
        }
        let small = try #require(reports[1_000]), large = try #require(reports[100_000])
        // Premise: the writers held (and their checkpoints wrote) every tombstone.
        #expect(small["tombstones"]?.int64Value == 1_000)
        #expect(large["tombstones"]?.int64Value == 100_000)
        #expect(large["checkpointActions"]?.int64Value ?? 0 > 100_000)
        let smallPeak = try #require(small["peakKiB"]?.int64Value), largePeak = try #require(large["peakKiB"]?.int64Value)
        print("writer-memory: 1k tombstones \(smallPeak) KiB peak, 100k tombstones \(largePeak) KiB peak")
        #expect(Double(largePeak) < 1.5 * Double(smallPeak) + 8_192, "peak RSS \(largePeak) KiB with 100k tombstones vs \(smallPeak) KiB with 1k")
    }
}
