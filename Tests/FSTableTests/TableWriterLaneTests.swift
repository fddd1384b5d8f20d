import Dispatch
import FSCore
import Synchronization
import Testing
@testable import FSTable

#if canImport(Glibc)
import Glibc
#endif

/// `TableWriter.makeLane` / `adopt` / `finish(partition:)`: files written by several threads
/// reach the table only through the owner's one commit, durable before it, and a partition
/// finished early takes later rows into a further file.
@Suite struct TableWriterLaneTests {
    static let day1: [Value] = [.int32(2019), .int32(3), .int32(7)]
    static let day2: [Value] = [.int32(2019), .int32(3), .int32(8)]
    static let day3: [Value] = [.int32(2019), .int32(4), .int32(1)]

    static func dataFiles(_ t: DeltaTable) throws -> [String] {
        try FileSystem.walkFiles(t.root) { !$0.hasPrefix("_") }.filter { $0.hasSuffix(".parquet") }.sorted()
    }

    static func directories(_ s: Snapshot) -> [String] {
        s.sortedFiles.map { $0.path.split(separator: "/").dropLast().joined(separator: "/") }
    }

    /// Two lanes on two threads, one leaving its file open for the owner to finish: one commit
    /// holds every row of both, in their partitions, and staging is empty afterwards.
    @Test(arguments: [false, true])
    func filesOfTwoLanesOnTwoThreadsLandInTheOwnersOneCommit(lanesFinishTheirFiles: Bool) throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let owner = try TableWriter(table: t)
        nonisolated(unsafe) let lanes = [try owner.makeLane(), try owner.makeLane()]  // each used by one thread
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<100)
        let work: [[(Range<Int>, [Value])]] = [[(0..<30, Self.day1), (60..<70, Self.day3)], [(30..<60, Self.day2), (70..<100, Self.day2)]]
        let staged = Mutex<[Int: StagedCommit]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            do {
                for (rows, day) in work[i] { try lanes[i].write(batch, rows: rows, partition: day) }
                if lanesFinishTheirFiles { try lanes[i].finishOpenFiles() }
                let s = lanes[i].stage()
                staged.withLock { $0[i] = s }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(try t.snapshot().version == 0, "nothing is visible before the owner commits")
        for i in 0..<2 { try owner.adopt(try #require(staged.withLock { $0[i] })) }
        #expect(owner.pendingRows == 100)
        #expect(try owner.commit(txns: [TxnAction(appId: "lanes", version: 0, lastUpdated: 0)]).version == 1)
        let s = try t.snapshot()
        #expect(Self.directories(s) == ["fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=3/fs_day=8", "fs_year=2019/fs_month=4/fs_day=1"])
        #expect(s.txns["lanes"]?.version == 0)
        #expect(sortedIDs(try scanAll(t)) == (0..<100).map(Int64.init))
        #expect(try TableWriterStagedCommitTests.stagingFiles(t).isEmpty)
        #expect(try Self.dataFiles(t).count == 3, "no file outside the commit")
    }

    /// `finish(partition:)` closes the file: later rows of the partition go to a second file;
    /// a partition with no open file is left alone.
    @Test func aPartitionFinishedEarlyTakesLaterRowsIntoAFurtherFile() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<50)
        try w.write(batch, rows: 0..<20, partition: Self.day1)
        try w.write(batch, rows: 20..<30, partition: Self.day2)
        let held = w.bufferedBytes
        try w.finish(partition: Self.day1)
        #expect(w.bufferedBytes < held, "the finished file's buffers are no longer held")
        try w.finish(partition: Self.day3)
        try w.write(batch, rows: 30..<50, partition: Self.day1)
        #expect(try w.commit().version == 1)
        let s = try t.snapshot()
        #expect(Self.directories(s).sorted() == ["fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=3/fs_day=8"])
        #expect(sortedIDs(try scanAll(t)) == (0..<50).map(Int64.init))
        #expect(throws: TableError.self) { try w.finish(partition: [.int32(2019)]) }
    }

    /// A partition open in both the owner and an adopted lane keeps both files.
    @Test func aPartitionOpenInTheOwnerAndALaneKeepsBothFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let owner = try TableWriter(table: t)
        let lane = try owner.makeLane()
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<40)
        try owner.write(batch, rows: 0..<10, partition: Self.day1)
        try lane.write(batch, rows: 10..<40, partition: Self.day1)
        try owner.adopt(lane.stage())
        #expect(try owner.commit().version == 1)
        #expect(Self.directories(try t.snapshot()) == ["fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=3/fs_day=7"])
        #expect(sortedIDs(try scanAll(t)) == (0..<40).map(Int64.init))
    }

    /// A lane's file whose fsync fails fails the owner's commit: nothing committed, nothing left.
    @Test func aLanesFailedFsyncFailsTheOwnersCommit() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let recorder = SyncRecorder()
        recorder.state.withLock { $0.failFiles = true }
        var o = TableWriterOptions()
        o.fsync = recorder.sync
        let owner = try TableWriter(table: t, options: o)
        let lane = try owner.makeLane()
        try lane.write(TableWriterRowRangeTests.dataBatch(ids: 0..<10), rows: 0..<10, partition: Self.day1)
        try lane.finishOpenFiles()
        try owner.adopt(lane.stage())
        #expect(throws: IOError.self) { try owner.commit() }
        #expect(try t.snapshot().version == 0)
        #expect(try Self.dataFiles(t).isEmpty)
        #expect(try TableWriterStagedCommitTests.stagingFiles(t).isEmpty)
    }

    /// An aborted owner deletes the adopted files too.
    @Test func abortingTheOwnerDeletesTheAdoptedFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let owner = try TableWriter(table: t)
        let lane = try owner.makeLane()
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<20)
        try lane.write(batch, rows: 0..<10, partition: Self.day1)
        try lane.finish(partition: Self.day1)
        try lane.write(batch, rows: 10..<20, partition: Self.day2)
        try owner.adopt(lane.stage())
        #expect(try !TableWriterStagedCommitTests.stagingFiles(t).isEmpty)
        owner.abort()
        #expect(try TableWriterStagedCommitTests.stagingFiles(t).isEmpty)
        #expect(try owner.commit().version == nil)
    }

    /// A lane creates a finished file's partition directory on its thread (not in the owner's
    /// serial commit), and the owner's commit still fsyncs every directory entry leading to
    /// the file before the log names it: the parents the lane created, and the day directories.
    @Test func directoriesALaneCreatedAreDurableBeforeTheOwnersCommit() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let recorder = SyncRecorder()
        final class Seen: Sendable { let directories = Mutex<[String]?>(nil) }
        let seen = Seen()
        var o = TableWriterOptions()
        o.fsync = recorder.sync
        o.beforeCommit = { seen.directories.withLock { $0 = recorder.directories } }
        let owner = try TableWriter(table: t, options: o)
        let lane = try owner.makeLane()
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<20)
        try lane.write(batch, rows: 0..<10, partition: Self.day1)
        try lane.write(batch, rows: 10..<20, partition: Self.day3)
        try lane.finish(partition: Self.day1)
        #expect(FileSystem.isDirectory(t.root + "/fs_year=2019/fs_month=3/fs_day=7"), "made when the lane finished the file")
        #expect(!FileSystem.isDirectory(t.root + "/fs_year=2019/fs_month=4"), "not before")
        try lane.finishOpenFiles()
        try owner.adopt(lane.stage())
        #expect(try owner.commit().version == 1)
        let expected = ["", "fs_year=2019", "fs_year=2019/fs_month=3", "fs_year=2019/fs_month=4",
                        "fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=4/fs_day=1"].map { $0.isEmpty ? t.root : t.root + "/" + $0 }
        #expect(try #require(seen.directories.withLock { $0 }).sorted() == expected.sorted())
        #expect(sortedIDs(try scanAll(t)) == (0..<20).map(Int64.init))
    }

    /// `commit(lanes:)`: each lane's staged commit, its files left open, joins one version of
    /// the owner; a lane writes on (the next batch) meanwhile, and its file is not in it.
    @Test func stagedCommitsOfTwoLanesCommitAsOneVersionWhileTheLanesWriteOn() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let owner = try TableWriter(table: t)
        let lanes = [try owner.makeLane(oneOf: 2), try owner.makeLane(oneOf: 2)]
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<60)
        try lanes[0].write(batch, rows: 0..<20, partition: Self.day1)
        try lanes[1].write(batch, rows: 20..<40, partition: Self.day2)
        let staged = lanes.map { $0.stage() }
        try lanes[0].write(batch, rows: 40..<60, partition: Self.day1)  // next batch, same day
        #expect(try owner.commit(lanes: staged, txns: [TxnAction(appId: "lanes", version: 0, lastUpdated: 0)]).version == 1)
        #expect(Self.directories(try t.snapshot()) == ["fs_year=2019/fs_month=3/fs_day=7", "fs_year=2019/fs_month=3/fs_day=8"])
        #expect(sortedIDs(try scanAll(t)) == (0..<40).map(Int64.init))
        #expect(try owner.commit(lanes: lanes.map { $0.stage() }, txns: [TxnAction(appId: "lanes", version: 1, lastUpdated: 0)]).version == 2)
        #expect(sortedIDs(try scanAll(t)) == (0..<60).map(Int64.init))
        #expect(try TableWriterStagedCommitTests.stagingFiles(t).isEmpty)
    }

    /// Lanes made `oneOf: n` share the owner's buffer budget in equal parts; a plain lane has all of it.
    @Test func lanesMadeOneOfTwoHaveHalfTheOwnersBudgetEach() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = 48 << 20
        let owner = try TableWriter(table: t, options: o)
        #expect(try owner.makeLane(oneOf: 2).options.maxBufferedBytes == 24 << 20)
        #expect(try owner.makeLane().options.maxBufferedBytes == 48 << 20)
        o.maxBufferedBytes = nil
        #expect(try TableWriter(table: t, options: o).makeLane(oneOf: 2).options.maxBufferedBytes == nil)
    }

    /// `write(_:partitionsWhere:)` asks about every partition of the batch, in ascending order
    /// with its row count, and writes only those accepted: two writers taking alternate
    /// partitions hold every row once.
    @Test func aWriteWherePartitionsSeesEveryPartitionInOrderAndWritesTheAcceptedOnes() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let owner = try TableWriter(table: t)
        let lanes = [try owner.makeLane(oneOf: 2), try owner.makeLane(oneOf: 2)]
        let batch = ordersBatch(ids: 0..<90)  // days 2019-01-30, 2019-01-31, 2019-02-01 in turn
        var seen: [[String]] = [[], []]
        for (i, lane) in lanes.enumerated() {
            try lane.write(batch) { directory, rows in
                seen[i].append("\(directory):\(rows)")
                return (seen[i].count - 1) % 2 == i  // lane 0: the 1st and 3rd day, lane 1: the 2nd
            }
        }
        let expected = ["fs_year=2019/fs_month=1/fs_day=30:30", "fs_year=2019/fs_month=1/fs_day=31:30", "fs_year=2019/fs_month=2/fs_day=1:30"]
        #expect(seen[0] == expected)
        #expect(seen[1] == expected)
        #expect(try owner.commit(lanes: lanes.map { $0.stage() }).version == 1)
        #expect(sortedIDs(try scanAll(t)) == (0..<90).map(Int64.init))
        #expect(Self.directories(try t.snapshot()).count == 3, "each day written by one lane: one file each")
    }

    /// The statistics a lane makes when it finishes a file are those the owner's commit makes
    /// for the same rows.
    @Test func statisticsOfALanesFileEqualThoseOfTheOwnersOwnFile() throws {
        let batch = TableWriterRowRangeTests.dataBatch(ids: 0..<25)
        var stats: [String?] = []
        for viaLane in [false, true] {
            let dir = try ScratchDirectory()
            let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
            let owner = try TableWriter(table: t)
            if viaLane {
                let lane = try owner.makeLane()
                try lane.write(batch, rows: 0..<25, partition: Self.day2)
                try lane.finishOpenFiles()
                try owner.adopt(lane.stage())
            } else {
                try owner.write(batch, rows: 0..<25, partition: Self.day2)
            }
            #expect(try owner.commit().version == 1)
            stats.append(try #require(try t.snapshot().sortedFiles.first).stats)
        }
        #expect(stats[0] != nil)
        #expect(stats[0] == stats[1])
    }
}

/// `FileSyncer.Group.include`: a group waits for, and fails with, the syncs of the groups it took in.
@Suite struct FileSyncerGroupIncludeTests {
    @Test func aGroupWaitsForTheSyncsOfAGroupItIncludedAndFailsWithThem() throws {
        let dir = try ScratchDirectory()
        let slow = dir.path + "/slow", bad = dir.path + "/bad"
        try FileSystem.writeNewFile(slow, [1], sync: false)
        try FileSystem.writeNewFile(bad, [2], sync: false)
        let synced = Mutex<[String]>([])
        let syncer = FileSyncer(threads: 2) { path, isDirectory throws(IOError) in
            if path == slow { usleep(200_000) }
            if path == bad { throw IOError(path: path, operation: "fsync", errno: EIO) }
            synced.withLock { $0.append(path) }
        }
        let lane = FileSyncer.Group(), owner = FileSyncer.Group()
        syncer.submit(slow, to: lane)
        owner.include(lane)
        try owner.wait()
        #expect(synced.withLock { $0 } == [slow], "the owner waited for the slow sync")
        let failing = FileSyncer.Group()
        syncer.submit(bad, to: failing)
        owner.include(failing)
        #expect(throws: IOError.self) { try owner.wait() }
        try owner.wait()
    }
}
