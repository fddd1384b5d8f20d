import FSCore
import FSParquet
import Testing
@testable import FSTable

@Suite struct CheckpointTests {
    @Test func checkpointsAreWrittenEveryIntervalAndReplayStartsFromThem() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, configuration: [TableProperty.checkpointInterval: "3"])
        let w = try TableWriter(table: t)
        for k in 0..<7 {
            try w.write(ordersBatch(ids: (k * 10)..<(k * 10 + 10)))
            let r = try w.commit(txns: [TxnAction(appId: "app", version: Int64(k), lastUpdated: 5)])
            #expect(r.checkpointError == nil)
        }
        try w.write(ordersBatch(ids: 100..<103, days: [(2019, 1, 30)]))
        try w.commitReplacingPartitions()  // version 8: removes
        let listing = try LogReplay.list(t.log)
        #expect(listing.checkpoints.map(\.version) == [3, 6])
        #expect(LastCheckpoint.read(t.log)?.version == 6)
        let full = try t.snapshot()
        // Hide the JSON commits the checkpoint covers: replay must not need them.
        for v in 0...6 { try FileSystem.removeFile(t.log.commitFile(Int64(v))) }
        let fromCheckpoint = try t.snapshot()
        #expect(fromCheckpoint.version == 8)
        #expect(fromCheckpoint.files == full.files)
        #expect(fromCheckpoint.txns == full.txns)
        #expect(fromCheckpoint.metadata == full.metadata && fromCheckpoint.protocolAction == full.protocolAction)
        #expect(sortedIDs(try scanAll(t)) == sortedIDs(try TableScanForSnapshot(full)))
        #expect(throws: DeltaLogError.missingVersion(table: dir.path, version: 0)) { try t.snapshot(version: 2) }
    }

    @Test func checkpointRowsRoundTripEveryActionField() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd, configuration: ["delta.checkpointInterval": "100"])
        var s = try t.snapshot()
        s = try t.commit([.add(AddAction(path: "fs_year=2019/a b.parquet", partitionValues: ["fs_year": "2019", "fs_month": nil, "fs_day": "1"], size: 9,
                                         modificationTime: 4, dataChange: true, stats: #"{"numRecords":1}"#, tags: ["k": "v"])),
                          .add(add("gone.parquet")), .txn(TxnAction(appId: "é", version: -1))], operation: "WRITE", base: s).snapshot
        s = try t.commit([.remove(RemoveAction(path: "gone.parquet", deletionTimestamp: t.clock.nowMicros() / 1000, dataChange: true, extendedFileMetadata: true,
                                              partitionValues: [:], size: 100))], operation: "DELETE", base: s).snapshot
        let written = try Checkpoint.write(s, log: t.log, nowMillis: t.clock.nowMicros() / 1000)
        #expect(written == LastCheckpoint(version: 2, size: 5, sizeInBytes: written.sizeInBytes, numOfAddFiles: 1))
        let actions = try CheckpointReader.readActions(log: t.log, files: [LogPath.checkpointFileName(2)])
        #expect(try actions == Checkpoint.actions(of: s, nowMillis: t.clock.nowMicros() / 1000))
        #expect(actions.count == 5)
        // Expired tombstones are left out.
        #expect(try Checkpoint.actions(of: s, nowMillis: t.clock.nowMicros() / 1000 + Checkpoint.defaultTombstoneRetentionMillis + 1).count == 4)
    }

    @Test func intervalStringsParse() {
        #expect(Checkpoint.parseIntervalMillis("interval 1 week") == 604_800_000)
        #expect(Checkpoint.parseIntervalMillis("interval 2 days") == 172_800_000)
        #expect(Checkpoint.parseIntervalMillis("1 fortnight") == nil)
    }

    @Test func aCorruptCheckpointFallsBackToTheJSONCommits() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, configuration: [TableProperty.checkpointInterval: "2"])
        var s = try t.snapshot()
        for p in ["a", "b", "c"] { s = try t.commit([.add(add(p))], operation: "WRITE", base: s).snapshot }
        try FileSystem.replaceFile(t.log.checkpointFile(2), Array("not parquet".utf8))
        #expect(try t.snapshot().sortedFiles.map(\.path) == ["a", "b", "c"])
        try FileSystem.removeFile(t.log.commitFile(0))
        #expect(throws: (any Error).self) { try t.snapshot() }
    }
}

func TableScanForSnapshot(_ s: Snapshot) throws -> RecordBatch {
    var scan = try TableScan(snapshot: s)
    return try scan.readAll()
}

@Suite struct ForeignCheckpointTests {
    @Test func deltaRsCheckpointReplaysWithoutTheJSONItCovers() throws {
        let dir = try ScratchDirectory()
        let copy = dir.sub("t")
        let src = fixturePath("deltalake-table")
        for rel in try FileSystem.walkFiles(src) {
            let parts = rel.split(separator: "/").dropLast().joined(separator: "/")
            try FileSystem.createDirectory(parts.isEmpty ? copy : copy + "/" + parts)
            try FileSystem.writeNewFile(copy + "/" + rel, try FileSystem.readFile(src + "/" + rel))
        }
        let full = try DeltaTable.open(at: src).snapshot()
        for v in 0...2 { try FileSystem.removeFile(LogPath(root: copy).commitFile(Int64(v))) }
        let s = try DeltaTable.open(at: copy).snapshot()
        #expect(s.version == 3)
        #expect(s.files == full.files)
        #expect(s.txnVersion(appId: "fixture-app") == 7)
        #expect(s.metadata == full.metadata)
        #expect(s.tombstones.paths.sorted() == full.tombstones.paths.sorted())
        var scan = try TableScan(snapshot: s, columns: ["id"])
        #expect(sortedIDs(try scan.readAll()) == [1, 3, 4, 5, 6, 7])
    }
}
