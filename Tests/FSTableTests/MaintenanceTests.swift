import FSCore
import Foundation
import Testing
@testable import FSTable

/// Sets the modification time of `path` to `millis` since the epoch.
func setModified(_ path: String, millis: Int64) throws {
    try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: Double(millis) / 1000)], ofItemAtPath: path)
}

func logBytes(_ t: DeltaTable) throws -> Int64 {
    try FileSystem.listDirectory(t.log.logDirectory).reduce(Int64(0)) { $0 + (try FileSystem.attributes(t.log.logDirectory + "/" + $1).size) }
}

@Suite struct CheckpointPolicyTests {
    @Test func logBytesGrowLinearlyWithCommitsWhileFilesAccumulate() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        var jsonBytes: Int64 = 0
        let commits = 400
        for k in 0..<commits {
            try w.write(ordersBatch(ids: k..<(k + 1)))
            let r = try w.commit(txns: [TxnAction(appId: "app", version: Int64(k))])
            #expect(r.checkpointError == nil)
            jsonBytes += try FileSystem.attributes(t.log.commitFile(r.version!)).size
        }
        let listing = try LogReplay.list(t.log)
        // Checkpoints happen, but ever further apart as the table (and each checkpoint) grows.
        let cps = listing.checkpoints.map(\.version)
        #expect(cps.count >= 3)
        #expect(cps.first == 10)
        let gaps = zip(cps.dropFirst(), cps).map { $0 - $1 }
        #expect(gaps.last! > gaps.first!)
        // All checkpoints together cost at most about the JSON written (ratio 1), so the log is
        // linear in commits; Spark's every-10 would rewrite all 400 files 40 times.
        let total = try logBytes(t)
        #expect(total <= 3 * jsonBytes, "log \(total) bytes for \(jsonBytes) bytes of commits")
        let full = try t.snapshot()
        #expect(full.lastCheckpoint?.version == cps.last)
        for v in 0...cps.last! { try FileSystem.removeFile(t.log.commitFile(v)) }
        let fromCheckpoint = try t.snapshot()
        #expect(fromCheckpoint.files == full.files && fromCheckpoint.txns == full.txns)
    }

    @Test func anExplicitIntervalIsHonouredAsSparkDoes() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, configuration: [TableProperty.checkpointInterval: "4"])
        var s = try t.snapshot()
        for p in 0..<9 { s = try t.commit([.add(add("f\(p)"))], operation: "WRITE", base: s).snapshot }
        #expect(try LogReplay.list(t.log).checkpoints.map(\.version) == [4, 8])
    }

    /// A compacting stream leaves many tombstones, which compress to a few bytes each: the bytes
    /// rule alone would rewrite them every few commits. The rows rule waits for as many
    /// committed actions as the checkpoint has rows.
    @Test func checkpointsWaitForAsManyCommittedActionsAsTheyHaveRows() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema)
        let now = SystemWallClock().nowMicros() / 1000
        var s = try t.snapshot()
        s = try t.commit((0..<300).map { .add(add("f\($0)")) }, operation: "WRITE", base: s).snapshot
        s = try t.commit((0..<300).map { .remove(RemoveAction(path: "f\($0)", deletionTimestamp: now)) }, operation: "DELETE", base: s).snapshot
        var commitBytes: Int64 = 0
        for p in 0..<400 {
            let r = try t.commit([.add(add("g\(p)"))], operation: "WRITE", base: s)
            s = r.snapshot
            commitBytes += try FileSystem.attributes(t.log.commitFile(r.version!)).size
        }
        let cps = try LogReplay.list(t.log).checkpoints.map(\.version)
        #expect(cps.first == 10)
        // Premise: the first checkpoint (300 tombstones) is smaller than 100 one-file commits,
        // so by bytes alone the next would follow within 100 commits.
        let firstBytes = try FileSystem.attributes(t.log.checkpointFile(10)).size
        #expect(firstBytes < 100 * commitBytes / 400, "checkpoint \(firstBytes) B, commits \(commitBytes / 400) B")
        #expect(cps.count == 2, "checkpoints at \(cps)")
        #expect(cps.count < 2 || cps[1] - cps[0] >= 300, "checkpoints at \(cps)")
        #expect(s.actionsSinceCheckpoint == 402 - (cps.last ?? 0))
        // A fresh replay counts the same actions the committer did.
        #expect(try t.snapshot().actionsSinceCheckpoint == s.actionsSinceCheckpoint)
    }

    @Test func theSizeRuleWaitsForEnoughLogAfterACheckpoint() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema)
        var s = try t.snapshot()
        for p in 0..<10 { s = try t.commit([.add(add("f\(p)"))], operation: "WRITE", base: s).snapshot }
        #expect(s.lastCheckpoint?.version == 10)
        #expect(s.logBytesSinceCheckpoint == 0)
        var after = s
        after.noteCheckpoint(bytes: 1 << 40)
        for p in 10..<30 { after = try t.commit([.add(add("f\(p)"))], operation: "WRITE", base: after).snapshot }
        #expect(!CheckpointPolicy.shouldCheckpoint(after))
        #expect(after.logBytesSinceCheckpoint > 0)
        // A fresh replay measures the same JSON bytes the committer counted.
        let replayed = try t.snapshot()
        #expect(replayed.lastCheckpoint?.version == after.lastCheckpoint.map { _ in replayed.lastCheckpoint!.version })
    }
}

@Suite struct VacuumTests {
    static let day: Int64 = 86_400_000

    /// A table with live files, three tombstones (the v1 files, removed "now") and a placed but
    /// never committed file; every data file's modification time set to `filesAge` ago.
    func overwrittenTable(_ dir: ScratchDirectory, clock: ManualClock, filesAge: Int64) throws -> (DeltaTable, Snapshot) {
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: clock)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<9))
        try w.commit()
        let v1 = try t.snapshot()
        try w.write(ordersBatch(ids: 100..<103))
        try w.commitReplacingPartitions()
        try FileSystem.writeNewFile(dir.sub("fs_year=2019/fs_month=1/fs_day=30/part-00000-placed.c000.zstd.parquet"), [1])
        let now = clock.nowMicros() / 1000
        for rel in try FileSystem.walkFiles(dir.path) where rel.hasSuffix(".parquet") && !rel.hasPrefix("_") {
            try setModified(dir.sub(rel), millis: now - filesAge)
        }
        return (t, v1)
    }

    @Test func aRetentionUnderOneWeekIsRefusedWithoutForce() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let (t, v1) = try overwrittenTable(dir, clock: clock, filesAge: 3_600_000)
        #expect(throws: MaintenanceError.retentionTooShort(hours: 1, minimumHours: 168)) { try Vacuum(table: t, retentionMillis: 3_600_000).run() }
        clock.advance(millis: 1)
        let forced = try Vacuum(table: t, retentionMillis: 0, isDryRun: true, isForced: true).run()
        #expect(Set(forced.files) == Set(v1.files.keys).union(["fs_year=2019/fs_month=1/fs_day=30/part-00000-placed.c000.zstd.parquet"]))
        #expect(forced.files.allSatisfy { FileSystem.exists(dir.sub($0)) })
    }

    @Test func vacuumNeverDeletesAFileASnapshotWithinTheRetentionReferences() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        // Files last modified a month ago, removed from the table now.
        let (t, v1) = try overwrittenTable(dir, clock: clock, filesAge: 30 * VacuumTests.day)
        let live = try t.snapshot()
        // Day 6: the files are old, but the tombstones are not: v1 stays readable; only the
        // never-committed file goes.
        clock.advance(millis: 6 * VacuumTests.day)
        let day6 = try Vacuum(table: t).run()
        #expect(day6.files == ["fs_year=2019/fs_month=1/fs_day=30/part-00000-placed.c000.zstd.parquet"])
        #expect(sortedIDs(try TableScanForSnapshot(try t.snapshot(version: v1.version))) == (0..<9).map { Int64($0) })
        // Day 8: the tombstones expired; the dry run lists exactly the removed files, then they go.
        clock.advance(millis: 2 * VacuumTests.day)
        let dry = try Vacuum(table: t, isDryRun: true).run()
        #expect(Set(dry.files) == Set(v1.files.keys))
        #expect(v1.files.keys.allSatisfy { FileSystem.exists(dir.sub($0)) })
        let done = try Vacuum(table: t).run()
        #expect(done.files == dry.files)
        #expect(v1.files.keys.allSatisfy { !FileSystem.exists(dir.sub($0)) })
        #expect(live.files.keys.allSatisfy { FileSystem.exists(dir.sub($0)) })
        #expect(sortedIDs(try scanAll(t)) == [100, 101, 102])
        let ops = try operations(t, from: live.version + 1, to: try t.snapshot().version)
        #expect(ops == ["VACUUM START", "VACUUM END", "VACUUM START", "VACUUM END"])
    }

    @Test func aFileYoungerThanTheRetentionIsKeptEvenWhenUnreferenced() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let (t, _) = try overwrittenTable(dir, clock: clock, filesAge: 0)
        clock.advance(millis: 6 * VacuumTests.day)
        #expect(try Vacuum(table: t, isDryRun: true).run().files.isEmpty)
    }

    @Test func aTableRetentionPropertyIsTheDefault() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, configuration: [TableProperty.deletedFileRetentionDuration: "interval 200 hours"])
        #expect(Vacuum.tableRetentionMillis(try t.snapshot()) == 200 * 3_600_000)
        #expect(try Vacuum(table: t, isDryRun: true).run().retentionMillis == 200 * 3_600_000)
    }
}

@Suite struct LogCleanupTests {
    @Test func cleanupKeepsTimeTravelWithinTheRetention() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd,
                                      configuration: [TableProperty.checkpointInterval: "5", TableProperty.enableExpiredLogCleanup: "false"], clock: clock)
        let w = try TableWriter(table: t)
        for k in 0..<23 {
            try w.write(ordersBatch(ids: (k * 3)..<(k * 3 + 3)))
            try w.commit()
        }
        let now = clock.nowMicros() / 1000
        for v in 0...23 as ClosedRange<Int64> {
            try setModified(t.log.commitFile(v), millis: v < 12 ? now - 40 * 86_400_000 : now - 86_400_000)
        }
        let before = try (0...23 as ClosedRange<Int64>).map { try t.snapshot(version: $0) }
        let result = try LogCleanup(clock: clock).clean(t.log)
        // Version 12 is the oldest inside 30 days; checkpoint 10 stands in for everything before.
        #expect(result.oldestVersion == 10)
        #expect(Set(result.deleted) == Set((0..<10).map { LogPath.commitFileName($0) } + [LogPath.checkpointFileName(5)]))
        #expect(result.deleted.first == LogPath.commitFileName(0))
        for v in 10...23 {
            let s = try t.snapshot(version: Int64(v))
            #expect(s.files == before[v].files && s.version == Int64(v))
        }
        #expect(throws: (any Error).self) { try t.snapshot(version: 9) }
        #expect(sortedIDs(try scanAll(t)) == (0..<69).map { Int64($0) })
        // A second run finds nothing more; with nothing expired nothing goes.
        #expect(try LogCleanup(clock: clock).clean(t.log).deleted.isEmpty)
    }

    @Test func commitsCleanTheLogAfterACheckpoint() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, configuration: [TableProperty.checkpointInterval: "5", TableProperty.logRetentionDuration: "interval 1 day"],
                                      clock: clock)
        var s = try t.snapshot()
        for p in 0..<7 { s = try t.commit([.add(add("f\(p)"))], operation: "WRITE", base: s).snapshot }
        // Files written "now" are younger than a day: nothing expires at checkpoint 5.
        #expect(try LogReplay.list(t.log).commits.first == 0)
        clock.advance(millis: 2 * 86_400_000)
        for p in 7..<10 { s = try t.commit([.add(add("f\(p)"))], operation: "WRITE", base: s).snapshot }
        let listing = try LogReplay.list(t.log)
        #expect(listing.commits.first == 10 && listing.checkpoints.map(\.version) == [10])
        #expect(try t.snapshot().files.count == 10)
    }
}

func operations(_ t: DeltaTable, from: Int64, to: Int64) throws -> [String] {
    try (from...to).flatMap { v in
        try LogReplay.readCommit(t.log, version: v).compactMap { if case .commitInfo(let j) = $0 { return j["operation"]?.stringValue } else { return nil } }
    }
}

@Suite struct OptimizeTests {
    func smallFilesTable(_ dir: ScratchDirectory, commits: Int) throws -> DeltaTable {
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        for k in 0..<commits {
            try w.write(ordersBatch(ids: (k * 4)..<(k * 4 + 4), days: [(2019, 1, 30), (2019, 1, 31)]))
            try w.commit()
        }
        return t
    }

    @Test func optimizeBinPacksEachPartitionIntoOneFileWithTheSameRows() throws {
        let dir = try ScratchDirectory()
        let t = try smallFilesTable(dir, commits: 12)
        let before = try scanAll(t)
        let v0 = try t.snapshot()
        #expect(v0.files.count == 24)
        let r = try Optimize(table: t).run()
        #expect(r.partitions.map(\.partition) == ["fs_year=2019/fs_month=1/fs_day=30", "fs_year=2019/fs_month=1/fs_day=31"])
        #expect(r.filesRemoved == 24 && r.filesAdded == 2 && r.skipped == 0)
        let after = try t.snapshot()
        #expect(after.files.count == 2)
        #expect(after.files.values.allSatisfy { !$0.dataChange })
        let a = try scanAll(t)
        #expect(sortedIDs(a) == sortedIDs(before) && a.rowCount == before.rowCount)
        #expect(try operations(t, from: v0.version + 1, to: after.version) == ["OPTIMIZE", "OPTIMIZE"])
        // Streaming readers see no new data in a compaction.
        var tail = LogTailer(log: t.log, after: v0.version)
        #expect(try tail.poll().allSatisfy { $0.adds.isEmpty && $0.removes.isEmpty })
        // Nothing left to do: a second run commits nothing.
        #expect(try Optimize(table: t).run().partitions.isEmpty)
        #expect(try t.snapshot().version == after.version)
    }

    @Test func whereRestrictsOptimizeToMatchingPartitions() throws {
        let dir = try ScratchDirectory()
        let t = try smallFilesTable(dir, commits: 5)
        let fields = try t.snapshot().partitionFields
        let filter = try PartitionFilter.parse("fs_year = 2019 AND fs_day>=31", partitionFields: fields)
        let r = try Optimize(table: t, partitionFilter: filter).run()
        #expect(r.partitions.map(\.partition) == ["fs_year=2019/fs_month=1/fs_day=31"])
        #expect(try t.snapshot().files.count == 6)
        #expect(throws: MaintenanceError.self) { try PartitionFilter.parse("id = 3", partitionFields: fields) }
        #expect(throws: MaintenanceError.self) { try PartitionFilter.parse("fs_day = x", partitionFields: fields) }
        #expect(throws: MaintenanceError.self) { try PartitionFilter.parse("fs_day", partitionFields: fields) }
    }

    @Test func aTargetSizeSplitsAPartitionIntoSeveralBins() throws {
        let dir = try ScratchDirectory()
        let t = try smallFilesTable(dir, commits: 10)
        let one = try t.snapshot().files.values.map(\.size).max()!
        let r = try Optimize(table: t, targetFileBytes: one * 4 + 1).run()
        #expect(r.filesRemoved == 20)
        #expect(try t.snapshot().files.count == r.filesAdded && r.filesAdded >= 4)
        #expect(sortedIDs(try scanAll(t)) == (0..<40).map { Int64($0) })
    }

    @Test func optimizeRacingAnAppenderLosesNothing() async throws {
        let dir = try ScratchDirectory()
        let t = try smallFilesTable(dir, commits: 10)
        let path = dir.path
        let appender = Task.detached { () throws -> Int in
            let w = try TableWriter(table: DeltaTable(root: path))
            for k in 100..<160 {
                try w.write(ordersBatch(ids: (k * 4)..<(k * 4 + 4), days: [(2019, 1, 30), (2019, 1, 31)]))
                try w.commit()
            }
            return 60
        }
        var rounds = 0
        while rounds < 6 {
            _ = try Optimize(table: DeltaTable(root: path)).run()
            rounds += 1
        }
        _ = try await appender.value
        _ = try Optimize(table: t).run()
        let expected = ((0..<40).map { Int64($0) } + (400..<640).map { Int64($0) }).sorted()
        #expect(sortedIDs(try scanAll(t)) == expected)
        #expect(try t.snapshot().files.count == 2)
    }

    @Test func twoOptimizesRacingForTheSameFilesRetryAndDuplicateNothing() async throws {
        let dir = try ScratchDirectory()
        _ = try smallFilesTable(dir, commits: 30)
        let path = dir.path
        let runs = (0..<3).map { _ in Task.detached { try Optimize(table: DeltaTable(root: path), maxAttempts: 10).run() } }
        var removed = 0
        for r in runs { removed += try await r.value.filesRemoved }
        #expect(removed >= 60)
        let t = DeltaTable(root: path)
        #expect(sortedIDs(try scanAll(t)) == (0..<120).map { Int64($0) })
    }
}

@Suite struct FencingTests {
    @Test func aBatchWhoseTxnMovedSinceItStartedIsDroppedNotCommitted() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let owner = try TableWriter(table: t)
        try owner.write(ordersBatch(ids: 0..<10))
        try owner.commit(txns: [TxnAction(appId: "ingest/t/0", version: 9)])
        // The stale member began its batch (offsets 10…29) from txn 9; it stalls.
        let stale = try TableWriter(table: t)
        try stale.write(ordersBatch(ids: 10..<30))
        // The new owner starts from the same txn 9 and commits 10…14 first.
        try owner.write(ordersBatch(ids: 10..<15))
        let won = try owner.commit(txns: [TxnAction(appId: "ingest/t/0", version: 14)], expectedTxns: [TxnFence(appId: "ingest/t/0", expected: 9, found: nil)])
        #expect(won.isCommitted && won.fence == nil)
        // 29 > 14, so "already committed" would not stop it: the fence does.
        let r = try stale.commit(txns: [TxnAction(appId: "ingest/t/0", version: 29)], expectedTxns: [TxnFence(appId: "ingest/t/0", expected: 9, found: nil)])
        #expect(!r.isCommitted)
        #expect(r.fence == TxnFence(appId: "ingest/t/0", expected: 9, found: 14))
        #expect(sortedIDs(try scanAll(t)) == (0..<15).map { Int64($0) })
        #expect(try FileSystem.walkFiles(dir.path).filter { $0.hasSuffix(".parquet") && !$0.hasPrefix("_delta_log") }.count == (try t.snapshot()).files.count)
        // A partition that never committed is expected absent.
        try stale.write(ordersBatch(ids: 100..<101))
        #expect(try stale.commit(txns: [TxnAction(appId: "ingest/t/1", version: 0)], expectedTxns: [TxnFence(appId: "ingest/t/1", expected: nil, found: nil)]).isCommitted)
    }

    @Test func aWriterWhoseSnapshotIsOlderThanTheTableIsJudgedOnTheNewestVersion() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let member = try TableWriter(table: t)  // its snapshot stays at version 0
        let other = try TableWriter(table: t)
        try other.write(ordersBatch(ids: 0..<5))
        try other.commit(txns: [TxnAction(appId: "p/2", version: 149)])
        // The member was assigned p/2 at 150 after reading the table: its batch expects 149.
        try member.write(ordersBatch(ids: 5..<10))
        let r = try member.commit(txns: [TxnAction(appId: "p/2", version: 199)], expectedTxns: [TxnFence(appId: "p/2", expected: 149, found: nil)])
        #expect(r.isCommitted && r.fence == nil)
        #expect(sortedIDs(try scanAll(t)) == (0..<10).map { Int64($0) })
    }

    @Test func aFenceIsAlsoCheckedAfterCatchingUpWithAWinner() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema)
        let base = try t.snapshot()
        let winner = try t.commit([.add(add("a")), .txn(TxnAction(appId: "p", version: 5))], operation: "WRITE", base: base)
        #expect(winner.isCommitted)
        let r = try t.commit([.add(add("b")), .txn(TxnAction(appId: "p", version: 9))], operation: "WRITE", base: base,
                             conflicts: CommitConflicts(expectedTxns: [TxnFence(appId: "p", expected: nil, found: nil)]))
        #expect(!r.isCommitted)
        #expect(r.fence == TxnFence(appId: "p", expected: nil, found: 5))
        #expect(try t.snapshot().files.keys.sorted() == ["a"])
    }
}
