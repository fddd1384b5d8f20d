import FSCore
import Foundation
import Testing
@testable import FSTable

@Suite struct OrphanCleanerTests {
    @Test func onlyStagedFilesOlderThanTheGracePeriodAreDeleted() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: clock)
        try FileSystem.createDirectory(dir.sub("fs_year=2019/fs_month=1/fs_day=1"))
        try FileSystem.createDirectory(dir.sub("_staging"))
        for f in ["fs_year=2019/fs_month=1/fs_day=1/orphan.parquet", "fs_year=2019/fs_month=1/fs_day=1/removed.parquet", "_staging/partial.parquet"] {
            try FileSystem.writeNewFile(dir.sub(f), [1, 2, 3])
        }
        var s = try t.snapshot()
        s = try t.commit([.add(add("fs_year=2019/fs_month=1/fs_day=1/removed.parquet"))], operation: "WRITE", base: s).snapshot
        s = try t.commit([.remove(RemoveAction(path: "fs_year=2019/fs_month=1/fs_day=1/removed.parquet", deletionTimestamp: clock.nowMicros() / 1000))],
                         operation: "DELETE", base: s).snapshot
        #expect(try OrphanCleaner(gracePeriodMillis: 60_000, clock: clock).clean(root: t.root).isEmpty)
        clock.advance(millis: 30 * 86_400_000)
        #expect(try OrphanCleaner(gracePeriodMillis: 60_000, clock: clock).clean(root: t.root) == ["_staging/partial.parquet"])
        // Removed and unreferenced files in partitions are vacuum's, whatever their age.
        #expect(FileSystem.exists(dir.sub("fs_year=2019/fs_month=1/fs_day=1/orphan.parquet")))
        #expect(FileSystem.exists(dir.sub("fs_year=2019/fs_month=1/fs_day=1/removed.parquet")))
    }

    @Test func aWriterOpeningLongAfterAnOverwriteKeepsTheRemovedFiles() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: clock)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<9))
        let first = try w.commit()
        try w.write(ordersBatch(ids: 100..<103))
        try w.commitReplacingPartitions()
        clock.advance(millis: 2 * 3_600_000)
        _ = try TableWriter(table: t)
        let old = try t.snapshot(version: first.version)
        #expect(old.files.keys.allSatisfy { FileSystem.exists(dir.sub($0)) })
        #expect(sortedIDs(try TableScanForSnapshot(old)) == (0..<9).map { Int64($0) })
    }
}
