import FSCore
import Testing
@testable import FSTable

@Suite struct OrphanCleanerTests {
    @Test func onlyUnreferencedDataFilesOlderThanTheGracePeriodAreDeleted() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: clock)
        try FileSystem.createDirectory(dir.sub("fs_year=2019/fs_month=1/fs_day=1"))
        try FileSystem.createDirectory(dir.sub("_staging"))
        try FileSystem.createDirectory(dir.sub(".hidden"))
        for f in ["fs_year=2019/fs_month=1/fs_day=1/live.parquet", "fs_year=2019/fs_month=1/fs_day=1/orphan.parquet",
                  "fs_year=2019/fs_month=1/fs_day=1/removed.parquet", "fs_year=2019/fs_month=1/fs_day=1/.orphan.parquet.crc",
                  "fs_year=2019/fs_month=1/fs_day=1/notes.txt", "_staging/partial.parquet", ".hidden/x.parquet"] {
            try FileSystem.writeNewFile(dir.sub(f), [1, 2, 3])
        }
        var s = try t.snapshot()
        s = try t.commit([.add(add("fs_year=2019/fs_month=1/fs_day=1/live.parquet")), .add(add("fs_year=2019/fs_month=1/fs_day=1/removed.parquet"))],
                         operation: "WRITE", base: s).snapshot
        s = try t.commit([.remove(RemoveAction(path: "fs_year=2019/fs_month=1/fs_day=1/removed.parquet", deletionTimestamp: clock.nowMicros() / 1000))],
                         operation: "DELETE", base: s).snapshot

        // Within the grace period nothing goes.
        #expect(try OrphanCleaner(gracePeriodMillis: 60_000, clock: clock).clean(s).isEmpty)
        clock.advance(millis: 61_000)
        let keepTombstones = OrphanCleaner(gracePeriodMillis: 60_000, tombstoneRetentionMillis: 120_000, clock: clock)
        #expect(try keepTombstones.clean(s) == ["_staging/partial.parquet", "fs_year=2019/fs_month=1/fs_day=1/orphan.parquet"])
        clock.advance(millis: 60_000)
        #expect(try keepTombstones.clean(s) == ["fs_year=2019/fs_month=1/fs_day=1/removed.parquet"])
        #expect(try FileSystem.walkFiles(dir.path).filter { !$0.hasPrefix("_delta_log") } == [
            ".hidden/x.parquet", "fs_year=2019/fs_month=1/fs_day=1/.orphan.parquet.crc",
            "fs_year=2019/fs_month=1/fs_day=1/live.parquet", "fs_year=2019/fs_month=1/fs_day=1/notes.txt",
        ])
    }
}
