import FSCore
import Foundation
import Testing
@testable import FSTable

/// Issue #13, item 5: a long-running writer's memory does not grow with the files the table
/// removed over its life. Each case builds the log a week of compaction leaves (tombstones
/// within the retention: half in a checkpoint, half in JSON commits after it, 250 per commit)
/// directly, then runs `fs-table writer-memory`: open a `TableWriter`, five commits, a
/// checkpoint, and the process's peak RSS (`VmHWM`).
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

    @Test func aWritersPeakMemoryGrowsByUnder256BytesPerTombstoneItHolds() throws {
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
        // A tombstone's path is 80 bytes here. Held as RemoveActions in a dictionary, replayed
        // and checkpointed whole (36b32a0), each cost about 1.9 KB of peak RSS (debug build:
        // 26 MB with 1k, 213 MB with 100k); now about 200 bytes (26 and 46 MB). The bound is what
        // the path, its entry in the set and the index may cost.
        let bytesPerTombstone = Double(largePeak - smallPeak) * 1024 / 99_000
        #expect(bytesPerTombstone < 256, "peak RSS grew \(Int(bytesPerTombstone)) bytes per tombstone: \(smallPeak) KiB with 1k, \(largePeak) KiB with 100k")
    }
}
