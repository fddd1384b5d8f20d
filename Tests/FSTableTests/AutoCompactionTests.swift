import FSCore
import Foundation
import Testing
@testable import FSTable

@Suite struct AutoCompactionTests {
    func streamingWriter(_ dir: ScratchDirectory, minFiles: Int?, configuration: StringMap = [:]) throws -> (DeltaTable, TableWriter) {
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, configuration: configuration)
        var o = TableWriterOptions()
        o.autoCompaction = minFiles.map { AutoCompaction(minFiles: $0) }
        return (t, try TableWriter(table: t, options: o))
    }

    /// One small commit per call: rows k*2, k*2+1 into one day (two days alternate by tens).
    func append(_ w: TableWriter, _ k: Int) throws -> CommitResult {
        try w.write(ordersBatch(ids: (k * 2)..<(k * 2 + 2), days: [(2019, 1, k / 10 % 2 == 0 ? 30 : 31)]))
        return try w.commit(txns: [TxnAction(appId: "stream", version: Int64(k))])
    }

    @Test func aStreamingWritersPartitionsStayUnderTheThresholdAndKeepEveryRow() throws {
        let dir = try ScratchDirectory()
        let (t, w) = try streamingWriter(dir, minFiles: 5)
        var compactions = 0
        var maxLive = 0
        for k in 0..<60 {
            let r = try append(w, k)
            #expect(r.compactionError == nil)
            if let c = r.compaction {
                compactions += 1
                // One size tier of exactly minFiles files, never the whole partition again.
                #expect(c.filesRemoved == 5 && c.filesAdded == 1 && c.skippedReason == nil)
            }
            let perPartition = Dictionary(grouping: w.snapshot.files.values, by: { $0.partitionValues["fs_day"] ?? "" }).mapValues(\.count)
            maxLive = max(maxLive, perPartition.values.max() ?? 0)
        }
        #expect(compactions >= 8)
        #expect(maxLive <= 2 * 5)
        #expect(w.snapshot.version == (try t.snapshot()).version)
        #expect(w.snapshot.files == (try t.snapshot()).files)
        #expect(sortedIDs(try scanAll(t)) == (0..<120).map { Int64($0) })
        #expect(w.snapshot.txnVersion(appId: "stream") == 59)
        // Compactions carry no data change: a tailer from the start sees each append once.
        var tail = LogTailer(log: t.log, after: 0)
        let appended = try tail.poll().flatMap(\.adds).count
        #expect(appended == 60)
    }

    @Test func theTablePropertyTurnsAutoCompactionOffOrOn() throws {
        let off = try ScratchDirectory()
        let (t1, w1) = try streamingWriter(off, minFiles: 3, configuration: [TableProperty.autoCompact: "false"])
        for k in 0..<8 { #expect(try append(w1, k).compaction == nil) }
        #expect(try t1.snapshot().files.count == 8)

        let on = try ScratchDirectory()
        let (t2, w2) = try streamingWriter(on, minFiles: nil, configuration: [TableProperty.autoCompact: "true"])
        var first: Int?
        for k in 0..<AutoCompaction.defaultMinFiles where first == nil {
            try w2.write(ordersBatch(ids: k..<(k + 1), days: [(2019, 1, 30)]))
            if try w2.commit().compaction != nil { first = k }
        }
        #expect(first == AutoCompaction.defaultMinFiles - 1)
        #expect(try t2.snapshot().files.count == 1)
    }

    /// The long-stream test: thousands of one-commit micro-batches. Per-commit time is printed
    /// (never asserted); live files per partition stay bounded and the log grows linearly.
    @Test func aLongStreamKeepsFilesBoundedAndTheLogLinear() throws {
        let long = ProcessInfo.processInfo.environment["FS_LONG_TESTS"] == "1"
        let commits = long ? 4_000 : 300
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.autoCompaction = AutoCompaction(minFiles: 50)
        let w = try TableWriter(table: t, options: o)
        var millis: [Double] = []
        var maxLive = 0
        var logAtTenth: Int64 = 0
        for k in 0..<commits {
            let day: Int32 = Int32(1 + k / (commits / 4))  // four days, in time order as a stream
            let start = DispatchTime.now().uptimeNanoseconds
            try w.write(ordersBatch(ids: (k * 50)..<(k * 50 + 50), days: [(2019, 3, day)]))
            let r = try w.commit(txns: [TxnAction(appId: "stream/0", version: Int64(k))])
            millis.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            #expect(r.compactionError == nil && r.checkpointError == nil)
            let live = w.snapshot.files.values.filter { $0.partitionValues["fs_day"] == String(day) }.count
            maxLive = max(maxLive, live)
            if k == commits / 10 { logAtTenth = try logBytes(t) }
        }
        let tenth = commits / 10
        let first = millis.prefix(tenth).reduce(0, +) / Double(tenth), last = millis.suffix(tenth).reduce(0, +) / Double(tenth)
        let total = try logBytes(t)
        print("long stream: \(commits) commits, ms/commit first 10% \(first), last 10% \(last), max live files/partition \(maxLive), log \(total / Int64(commits)) B/commit")
        #expect(maxLive <= 2 * 50)
        // Linear: the log per commit at the end is no more than twice that after a tenth.
        #expect(Double(total) / Double(commits) <= 2 * Double(logAtTenth) / Double(tenth + 1))
        #expect(try scanAll(t, columns: ["id"]).rowCount == commits * 50)
    }
}

@Suite struct SizeTierTests {
    @Test func tiersGroupFilesWithinTheFactorSmallestFirst() {
        let files = [add("a", size: 100), add("b", size: 790), add("c", size: 800), add("d", size: 5_000), add("e", size: 7_000), add("f", size: 1)]
        #expect(Optimize.sizeTiers(files).map { $0.map(\.path) } == [["f"], ["a", "b"], ["c", "d"], ["e"]])
        #expect(Optimize.sizeTiers([]).isEmpty)
    }
}

@Suite struct WriterMemoryTests {
    @Test func aLongRunningWriterHoldsNoTombstoneAndItsCheckpointsEqualAFullReplays() throws {
        let dir = try ScratchDirectory()
        let clock = ManualClock(SystemWallClock().nowMicros())
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd,
                                      configuration: [TableProperty.deletedFileRetentionDuration: "interval 10 hours"], clock: clock)
        var o = TableWriterOptions()
        o.autoCompaction = AutoCompaction(minFiles: 5)
        let w = try TableWriter(table: t, options: o)
        var checkpoints = 0, tombstonesWritten = 0, verified: Int64 = -1
        for k in 0..<200 {
            clock.advance(millis: 3_600_000)  // an hour per commit: tombstones expire after 10 commits
            try w.write(ordersBatch(ids: k..<(k + 1), days: [(2019, 1, 30)]))
            let r = try w.commit(txns: [TxnAction(appId: "s", version: Int64(k))])
            #expect(r.checkpointError == nil && r.compactionError == nil)
            #expect(!w.snapshot.holdsTombstones && w.snapshot.tombstones.isEmpty)
            // Each checkpoint the writer wrote holds what one of a full replay would.
            guard let last = w.snapshot.lastCheckpoint, last.version > verified else { continue }
            verified = last.version
            let now = clock.nowMicros() / 1000
            let expected = try Checkpoint.actions(of: try t.snapshot(version: last.version), nowMillis: now)
            let written = try CheckpointReader.readActions(log: t.log, files: [LogPath.checkpointFileName(last.version)])
            #expect(LogTombstonesTests.canonical(written) == expected, "checkpoint \(last.version)")
            checkpoints += 1
            tombstonesWritten += written.filter { if case .remove = $0 { true } else { false } }.count
        }
        #expect(checkpoints > 5 && tombstonesWritten > 20, "\(checkpoints) checkpoints, \(tombstonesWritten) tombstones")
        #expect(w.snapshot.files == (try t.snapshot()).files)
        #expect(sortedIDs(try scanAll(t)) == (0..<200).map { Int64($0) })
    }
}
