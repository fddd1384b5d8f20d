import FSCore
import Testing
@testable import FSTable

@Suite struct LogReplayTests {
    @Test func replayAppliesAddsRemovesTxnsAndTheLastMetadata() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: ManualClock())
        let log = t.log
        #expect(try LogCommitter.tryCommit(log, version: 1, actions: [.add(add("a.parquet")), .add(add("b.parquet")), .txn(TxnAction(appId: "app", version: 1))]))
        #expect(try LogCommitter.tryCommit(log, version: 2, actions: [.remove(RemoveAction(path: "a.parquet", deletionTimestamp: 3)), .add(add("c.parquet")), .txn(TxnAction(appId: "app", version: 2)), .txn(TxnAction(appId: "other", version: 7))]))
        var base = try t.snapshot(version: 2)
        let newSchema = Schema(ordersSchema.fields + [Field("extra", .string)])
        var meta = base.metadata
        meta.schemaString = SparkSchema.encode(newSchema)
        meta.configuration.set(TableProperty.checkpointInterval, "3")
        #expect(try LogCommitter.tryCommit(log, version: 3, actions: [.metadata(meta), .add(add("a.parquet"))]))

        let s = try t.snapshot()
        #expect(s.version == 3)
        #expect(s.sortedFiles.map(\.path) == ["a.parquet", "b.parquet", "c.parquet"])
        #expect(s.tombstones.isEmpty)  // a.parquet was re-added
        #expect(s.txnVersion(appId: "app") == 2 && s.txnVersion(appId: "other") == 7 && s.txnVersion(appId: "nobody") == nil)
        #expect(s.schema == newSchema)
        #expect(s.checkpointInterval == 3)
        #expect(s.dataSchema.names == ["id", "amount", "name", "extra"])

        let v2 = try t.snapshot(version: 2)
        #expect(v2.sortedFiles.map(\.path) == ["b.parquet", "c.parquet"])
        #expect(v2.tombstones.paths.sorted() == ["a.parquet"])
        #expect(v2.schema == ordersSchema)
        // Incremental application equals a full replay.
        try base.apply(try LogReplay.readCommit(log, version: 3), version: 3)
        #expect(base.files == s.files && base.txns == s.txns && base.schema == s.schema)
    }

    @Test func aGapInTheLogIsAnErrorNamingTheMissingVersion() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        for v in 1...3 { #expect(try LogCommitter.tryCommit(t.log, version: Int64(v), actions: [.add(add("f\(v).parquet"))])) }
        try FileSystem.removeFile(t.log.commitFile(2))
        #expect(throws: DeltaLogError.missingVersion(table: dir.path, version: 2)) { try t.snapshot() }
        #expect(try t.snapshot(version: 1).files.count == 1)
        try FileSystem.removeFile(t.log.commitFile(0))
        #expect(throws: DeltaLogError.missingVersion(table: dir.path, version: 0)) { try t.snapshot(version: 1) }
    }

    @Test func aDirectoryWithoutCommitsIsNotATable() throws {
        let dir = try ScratchDirectory()
        #expect(throws: DeltaLogError.notATable(path: dir.path)) { try DeltaTable.open(at: dir.path) }
        #expect(try !DeltaTable.exists(at: dir.path))
    }

    @Test func commitFilesToleratesBlankLinesCRLFAndAMissingFinalNewline() throws {
        let text = "{\"txn\":{\"appId\":\"a\",\"version\":1}}\r\n\n{\"add\":{\"path\":\"x\",\"partitionValues\":{},\"size\":1,\"modificationTime\":2,\"dataChange\":true}}"
        let actions = try LogReplay.parseCommit(Array(text.utf8), file: "f.json")
        #expect(actions.count == 2)
    }

    @Test func aCorruptLineIsReportedWithFileAndLineNumber() {
        let text = "{\"txn\":{\"appId\":\"a\",\"version\":1}}\n{\"add\":{\"path\":\"x\",\"size\":}}\n"
        #expect(throws: DeltaLogError.corruptAction(file: "f.json", line: 2, reason: "invalid JSON at byte 26: unexpected character")) {
            try LogReplay.parseCommit(Array(text.utf8), file: "f.json")
        }
    }

    @Test func readerVersionsBeyondOneAreRefused() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        #expect(try LogCommitter.tryCommit(t.log, version: 1, actions: [.protocol(ProtocolAction(minReaderVersion: 2, minWriterVersion: 5))]))
        #expect(throws: DeltaLogError.unsupportedProtocol(reader: 2, writer: 5)) { try t.snapshot() }
        #expect(try LogCommitter.tryCommit(t.log, version: 2, actions: [.protocol(ProtocolAction(minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ["timestampNtz"], writerFeatures: ["timestampNtz"]))]))
        #expect(try t.snapshot().version == 2)  // reader 3 with only features fs honours
        #expect(throws: DeltaLogError.unsupportedProtocol(reader: 2, writer: 5)) { try t.snapshot(version: 1) }
        #expect(try t.snapshot(version: 0).version == 0)
    }
}

@Suite struct CommitTests {
    @Test func putIfAbsentRefusesAnExistingVersionAndLeavesNoTemporaryFile() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        #expect(try LogCommitter.tryCommit(t.log, version: 1, actions: [.add(add("a"))]))
        #expect(try !LogCommitter.tryCommit(t.log, version: 1, actions: [.add(add("b"))]))
        #expect(try LogReplay.readCommit(t.log, version: 1) == [.add(add("a"))])
        #expect(try FileSystem.listDirectory(t.log.logDirectory) == ["00000000000000000000.json", "00000000000000000001.json"])
    }

    @Test func commitInfoComesFirstAndCarriesTheReadVersion() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock(2_000_000))
        let r = try t.commit([.add(add("a"))], operation: "WRITE", base: try t.snapshot())
        #expect(r.version == 1)
        let text = String(decoding: try FileSystem.readFile(t.log.commitFile(1)), as: UTF8.self)
        #expect(text == #"{"commitInfo":{"timestamp":2000,"operation":"WRITE","operationParameters":{},"readVersion":0,"isBlindAppend":true,"engineInfo":"fs/0.1.0"}}"# + "\n" + Action.add(add("a")).jsonLine + "\n")
    }

    @Test func aWriterWithAStaleSnapshotRetriesAtTheNextVersion() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        let stale = try t.snapshot()
        _ = try t.commit([.add(add("a"))], operation: "WRITE", base: stale)
        _ = try t.commit([.add(add("b"))], operation: "WRITE", base: stale)
        let r = try t.commit([.add(add("c"))], operation: "WRITE", base: stale)
        #expect(r.version == 3 && r.lostRaces == 1)  // one lost race, then caught up with both winners
        #expect(r.snapshot.sortedFiles.map(\.path) == ["a", "b", "c"])
        #expect(try t.snapshot().files == r.snapshot.files)
    }

    @Test func aTxnAtOrBeyondOursSkipsTheCommitBeforeAndAfterARace() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        let base = try t.snapshot()
        let first = try t.commit([.add(add("a")), .txn(TxnAction(appId: "app", version: 5))], operation: "WRITE", base: base)
        #expect(first.version == 1)
        // Same batch again from the stale snapshot: lost the race, then sees the watermark.
        let again = try t.commit([.add(add("b")), .txn(TxnAction(appId: "app", version: 5))], operation: "WRITE", base: base)
        #expect(again.version == nil && again.existingTxn?.version == 5 && again.lostRaces == 1)
        // An older batch from a fresh snapshot is skipped without racing.
        let older = try t.commit([.add(add("c")), .txn(TxnAction(appId: "app", version: 4))], operation: "WRITE", base: try t.snapshot())
        #expect(older.version == nil && older.lostRaces == 0)
        // Another application commits.
        #expect(try t.commit([.add(add("d")), .txn(TxnAction(appId: "other", version: 5))], operation: "WRITE", base: base).version == 2)
        #expect(try t.snapshot().sortedFiles.map(\.path) == ["a", "d"])
    }

    @Test func aConcurrentMetadataChangeIsAConflict() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        let base = try t.snapshot()
        var meta = base.metadata
        meta.configuration.set("k", "v")
        _ = try t.commit([.metadata(meta)], operation: "SET TBLPROPERTIES", base: base)
        #expect(throws: DeltaLogError.concurrentModification(version: 1, reason: "the table metadata (schema or properties) changed")) {
            try t.commit([.add(add("a"))], operation: "WRITE", base: base)
        }
    }

    @Test func removingAFileSomeoneElseRemovedIsAConflict() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        let base = try t.commit([.add(add("a"))], operation: "WRITE", base: try t.snapshot()).snapshot
        _ = try t.commit([.remove(RemoveAction(path: "a", deletionTimestamp: 1))], operation: "DELETE", base: base)
        #expect(throws: DeltaLogError.concurrentModification(version: 2, reason: "file a was removed concurrently")) {
            try t.commit([.remove(RemoveAction(path: "a", deletionTimestamp: 1)), .add(add("b"))], operation: "WRITE", base: base)
        }
    }

    @Test func anAppendIntoAPartitionBeingReplacedIsAConflictButOtherPartitionsAreNot() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: ManualClock())
        let day1: StringMap = ["fs_year": "2019", "fs_month": "1", "fs_day": "1"]
        let day2: StringMap = ["fs_year": "2019", "fs_month": "1", "fs_day": "2"]
        let base = try t.snapshot()
        _ = try t.commit([.add(add("d2/x", day2))], operation: "WRITE", base: base)
        let ok = try t.commit([.add(add("d1/y", day1))], operation: "WRITE", base: base, conflicts: CommitConflicts(replacedPartitions: [day1]))
        #expect(ok.version == 2)
        _ = try t.commit([.add(add("d1/z", ["fs_day": "1", "fs_month": "1", "fs_year": "2019"]))], operation: "WRITE", base: ok.snapshot)
        #expect(throws: DeltaLogError.self) {
            try t.commit([.add(add("d1/w", day1))], operation: "WRITE", base: ok.snapshot, conflicts: CommitConflicts(replacedPartitions: [day1]))
        }
    }

    @Test func creatingAnExistingCompatibleTableOpensItAndAnIncompatibleOneFails() throws {
        let dir = try ScratchDirectory()
        _ = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: ManualClock())
        _ = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, clock: ManualClock())
        #expect(try FileSystem.listDirectory(LogPath(root: dir.path).logDirectory) == ["00000000000000000000.json"])
        #expect(throws: DeltaLogError.self) { try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ["fs_year"]) }
        let other = Schema(ordersSchema.fields.map { $0.name == "amount" ? Field("amount", .string) : $0 })
        #expect(throws: DeltaLogError.self) { try DeltaTable.create(at: dir.path, schema: other, partitionColumns: ymd) }
    }
}

@Suite struct LogTailerTests {
    @Test func tailerYieldsEachNewVersionOnceSkippingCompaction() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        var tailer = LogTailer(after: try t.snapshot())
        #expect(try tailer.poll().isEmpty)
        var s = try t.commit([.add(add("a")), .txn(TxnAction(appId: "app", version: 1))], operation: "WRITE", base: try t.snapshot()).snapshot
        s = try t.commit([.remove(RemoveAction(path: "a", deletionTimestamp: 1, dataChange: false)), .add(add("big", dataChange: false))], operation: "OPTIMIZE", base: s).snapshot
        _ = try t.commit([.add(add("b"))], operation: "WRITE", base: s)
        let got = try tailer.poll(limit: 2)
        #expect(got.map(\.version) == [1, 2])
        #expect(got[0].adds.map(\.path) == ["a"] && got[0].txns == [TxnAction(appId: "app", version: 1)])
        #expect(got[1].adds.isEmpty && got[1].removes.isEmpty)
        #expect(try tailer.poll().map(\.version) == [3])
        #expect(try tailer.poll().isEmpty)
        #expect(tailer.lastVersion == 3)
    }

    @Test func tailerFromTheBeginningSeesTheCreationMetadata() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        var tailer = LogTailer(log: t.log, after: -1)
        let got = try tailer.poll()
        #expect(got.count == 1 && got[0].metadata != nil && got[0].protocolAction == ProtocolAction())
    }

    @Test func aTailerSeededWithTheSnapshotsNewestCommitDoesNotReadThatFileAgain() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        var s = try t.snapshot()
        for p in ["a", "b"] { s = try t.commit([.add(add(p))], operation: "WRITE", base: s).snapshot }
        let replayed = try t.snapshot()
        #expect(replayed.newestCommit?.version == 2 && replayed.newestCommit?.adds.map(\.path) == ["b"])
        // Advanced by a commit, not replayed: nothing held.
        #expect(s.newestCommit == nil)
        // Version 2's file is corrupted now: only the seeded commit can answer for it.
        let expected = LogTailer.dataChanges(of: try LogReplay.readCommit(t.log, version: 2), version: 2)
        try FileSystem.removeFile(t.log.commitFile(2))
        try FileSystem.writeNewFile(t.log.commitFile(2), Array("{not json\n".utf8))
        var tailer = LogTailer(log: t.log, after: 0, known: replayed.newestCommit)
        let got = try tailer.poll()
        #expect(got.map(\.version) == [1, 2] && got[0].adds.map(\.path) == ["a"] && got[1] == expected)
        // A tailer past the seeded version reads the files as before.
        var past = LogTailer(log: t.log, after: 1, known: LogTailer.dataChanges(of: [], version: 1))
        #expect(throws: DeltaLogError.self) { try past.poll() }
    }

    @Test func aVersionDeletedUnderTheTailerIsReported() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, clock: ManualClock())
        var s = try t.snapshot()
        for p in ["a", "b"] { s = try t.commit([.add(add(p))], operation: "WRITE", base: s).snapshot }
        try FileSystem.removeFile(t.log.commitFile(1))
        var tailer = LogTailer(log: t.log, after: 0)
        #expect(throws: DeltaLogError.missingVersion(table: dir.path, version: 1)) { try tailer.poll() }
    }
}
