import Dispatch
import FSCore
import Synchronization
import Testing
@testable import FSTable

#if canImport(Glibc)
import Glibc
#endif

/// `TableWriter.stage` + `commit(_:…)`: a micro-batch's files are committed (on another thread)
/// while the writer already writes the next batch, and each commit holds exactly its own rows.
@Suite struct TableWriterStagedCommitTests {
    static func stagingFiles(_ t: DeltaTable) throws -> [String] {
        FileSystem.isDirectory(t.log.stagingDirectory) ? try FileSystem.listDirectory(t.log.stagingDirectory) : []
    }

    @Test func rowsWrittenAfterAStageLandInTheNextCommitNotTheStagedOne() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = nil
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<30))
        let first = w.stage()
        #expect(first.rowCount == 30)
        #expect(w.pendingRows == 0, "the writer starts the next commit empty")
        try w.write(ordersBatch(ids: 30..<50))
        #expect(try w.commit(first).version == 1)
        #expect(sortedIDs(try scanAll(t)) == (0..<30).map(Int64.init))
        #expect(try w.commit(w.stage()).version == 2)
        #expect(sortedIDs(try scanAll(t)) == (0..<50).map(Int64.init))
        #expect(try Self.stagingFiles(t).isEmpty)
    }

    /// nil: every file stays open until staged; 1: every file is finished into staging as soon
    /// as it is written to, so each staged commit also carries finished files with fsyncs under
    /// way, and each write waits for the staged commit before it.
    @Test(arguments: [nil, 1] as [Int?])
    func aStagedCommitCommittedOnAnotherThreadWhileTheNextBatchIsWrittenHoldsOnlyItsRows(budget: Int?) throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = budget
        let w = try TableWriter(table: t, options: o)
        let committed = Mutex<[Int64?]>([])
        let queue = DispatchQueue(label: "committer")
        for batch in 0..<5 {
            try w.write(ordersBatch(ids: batch * 40..<batch * 40 + 40))
            let staged = w.stage()
            nonisolated(unsafe) let writer = w
            queue.async {
                let v = try? writer.commit(staged, txns: [TxnAction(appId: "test", version: Int64(batch), lastUpdated: 0)])
                committed.withLock { $0.append(v?.version) }
            }
        }
        queue.sync {}
        #expect(committed.withLock { $0 } == [1, 2, 3, 4, 5])
        let snapshot = try t.snapshot()
        #expect(snapshot.txns["test"]?.version == 4)
        #expect(sortedIDs(try scanAll(t)) == (0..<200).map(Int64.init))
        #expect(try Self.stagingFiles(t).isEmpty)
        for version in 1...5 {
            let file = t.log.commitFile(Int64(version))
            let added = try LogReplay.parseCommit(FileSystem.readFile(file), file: file).compactMap { a -> Int64? in
                if case .add(let add) = a { return add.stats.flatMap { FileStatistics.parse($0, schema: ordersSchema) }?.numRecords } else { return nil }
            }
            #expect(added.reduce(0, +) == 40, "version \(version) holds exactly one batch")
        }
    }

    @Test func aStagedCommitDroppedWithoutCommittingDeletesItsFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxBufferedBytes = 1  // some files finished (and syncing) before the stage
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<60))
        do {
            let staged = w.stage()
            #expect(staged.rowCount == 60)
            #expect(try !Self.stagingFiles(t).isEmpty)
        }
        #expect(try Self.stagingFiles(t).isEmpty)
        try w.write(ordersBatch(ids: 60..<63))
        #expect(try w.commit().version == 1)
        #expect(sortedIDs(try scanAll(t)) == (60..<63).map(Int64.init))
    }

    @Test func aDiscardedStagedCommitLeavesNoFilesAndCommitsNothing() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<30))
        let staged = w.stage()
        w.discard(staged)
        #expect(try Self.stagingFiles(t).isEmpty)
        #expect(try t.snapshot().version == 0)
    }

    /// The budget counts the staged commit's files until it finished them: a write that would
    /// pass it waits for that commit instead of holding both batches' files at once.
    @Test func aWriteOverTheBudgetWaitsForTheStagedCommitToFinishItsFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        // What one batch's three open files hold, measured on a writer without a budget.
        let probeDir = try ScratchDirectory()
        let probe = try TableWriter(table: try DeltaTable.create(at: probeDir.path, schema: ordersSchema, partitionColumns: ymd))
        try probe.write(ordersBatch(ids: 0..<30))
        let held = probe.bufferedBytes
        probe.abort()
        // One batch's files fit the budget, two do not.
        var o = TableWriterOptions()
        o.maxBufferedBytes = held + held / 2
        let w = try TableWriter(table: t, options: o)
        try w.write(ordersBatch(ids: 0..<30))
        // The same rows, within a few bytes: buffers count at their capacities, and a Swift array's
        // capacity is malloc's usable size, which can be a chunk larger in one heap than another
        // (CI under load: 7,936 against 7,952 bytes once the page buffers started small).
        #expect(abs(w.bufferedBytes - held) <= 64, "\(w.bufferedBytes) against \(held)")
        let staged = w.stage()
        let commitStartedAt = Mutex<Double?>(nil)
        let committed = Mutex<Int64?>(nil)
        nonisolated(unsafe) let writer = w
        let committer = DispatchQueue(label: "committer")
        committer.asyncAfter(deadline: .now() + 0.3) {
            commitStartedAt.withLock { $0 = monotonicSeconds() }
            let v = try? writer.commit(staged).version
            committed.withLock { $0 = v }
        }
        try w.write(ordersBatch(ids: 30..<60))
        let wroteAt = monotonicSeconds()
        let started = try #require(commitStartedAt.withLock { $0 }, "the write returned before the staged commit began")
        #expect(started <= wroteAt)
        committer.sync {}
        #expect(committed.withLock { $0 } == 1)
        #expect(try w.commit().version == 2)
        #expect(sortedIDs(try scanAll(t)) == (0..<60).map(Int64.init))
    }
}

/// `FileSyncer.Group`: the fsyncs of one commit are waited for and failed apart from another's.
@Suite struct FileSyncerGroupTests {
    @Test func aFailureInOneGroupDoesNotFailAnother() throws {
        let dir = try ScratchDirectory()
        let good = dir.path + "/good", bad = dir.path + "/bad"
        try FileSystem.writeNewFile(good, [1, 2, 3], sync: false)
        try FileSystem.writeNewFile(bad, [4], sync: false)
        let syncer = FileSyncer(threads: 2) { path, isDirectory throws(IOError) in
            if path == bad { throw IOError(path: path, operation: "fsync", errno: EIO) }
            try FileSyncer.system(path, isDirectory)
        }
        let a = FileSyncer.Group(), b = FileSyncer.Group()
        syncer.submit(good, to: a)
        syncer.submit(bad, to: b)
        syncer.submit(good, to: b)
        try a.wait()
        #expect(throws: IOError.self) { try b.wait() }
        try b.wait()  // the failure was reported once and forgotten
    }
}
