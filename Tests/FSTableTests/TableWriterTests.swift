import FSCore
import FSParquet
import Testing
@testable import FSTable

/// Rows of the orders schema over three days that cross a month boundary.
func ordersBatch(ids: Range<Int>, days: [(Int32, Int32, Int32)] = [(2019, 1, 30), (2019, 1, 31), (2019, 2, 1)]) -> RecordBatch {
    var b = ordersSchema.fields.map { ColumnBuilder(type: $0.type, capacity: ids.count) }
    for i in ids {
        let d = days[i % days.count]
        b[0].append(Int64(i))
        if i % 10 == 9 { b[1].appendNull() } else { b[1].append(Double(i) * 0.5) }
        b[2].append(i % 4 == 0 ? "" : "név-\(i)")
        b[3].append(d.0); b[4].append(d.1); b[5].append(d.2)
    }
    return RecordBatch(schema: ordersSchema, columns: b.map { $0.finish() })
}

func sortedIDs(_ batch: RecordBatch) -> [Int64] { (batch.column(named: "id")?.int64s ?? []).sorted() }

func scanAll(_ t: DeltaTable, columns: [String]? = nil) throws -> RecordBatch {
    var scan = try TableScan(table: t, columns: columns)
    return try scan.readAll()
}

@Suite struct TableWriterTests {
    @Test func aWriteLandsInUnpaddedHivePartitionsInOneCommit() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<30))
        try w.write(ordersBatch(ids: 30..<60))
        let r = try w.commit(txns: [TxnAction(appId: "app", version: 1)])
        #expect(r.version == 1)
        let s = try t.snapshot()
        #expect(s.files.count == 3)
        let dirs = s.sortedFiles.map { $0.path.split(separator: "/").dropLast().joined(separator: "/") }
        #expect(dirs == ["fs_year=2019/fs_month=1/fs_day=30", "fs_year=2019/fs_month=1/fs_day=31", "fs_year=2019/fs_month=2/fs_day=1"])
        for f in s.sortedFiles {
            let name = String(f.path.split(separator: "/").last ?? "")
            #expect(name.hasPrefix("part-00000-") && name.hasSuffix(".c000.zstd.parquet"))
            let reader = try ParquetFileReader(path: s.absolutePath(f.path))
            #expect(reader.schema.names == ["id", "amount", "name"])  // partition columns are not stored
            #expect(f.size == (try FileSystem.attributes(s.absolutePath(f.path))).size)
            let stats = try #require(FileStatistics.parse(f.stats ?? "", schema: s.schema))
            #expect(stats.numRecords == 20)
            #expect(stats.column("fs_year") == nil)
        }
        #expect(try FileSystem.listDirectory(t.log.stagingDirectory).isEmpty)
        #expect(s.txnVersion(appId: "app") == 1)
        let all = try scanAll(t)
        #expect(sortedIDs(all) == (0..<60).map(Int64.init))
        #expect(all.schema == ordersSchema)
        let row = try #require((0..<all.rowCount).first { all.column(named: "id")?.int64s?[$0] == 31 })
        #expect(all.row(row) == [.int64(31), .double(15.5), .string("név-31"), .int32(2019), .int32(1), .int32(31)])
    }

    @Test func statsJSONOfAWrittenFileFollowsTheDeltaRules() throws {
        let dir = try ScratchDirectory()
        let schema = Schema([Field("ts", .timestamp), Field("d", .double), Field("s", .string), Field("p", .int32)])
        let t = try DeltaTable.create(at: dir.path, schema: schema, partitionColumns: ["p"])
        let w = try TableWriter(table: t)
        try w.write(RecordBatch(schema: schema, columns: [
            Column(.timestamp, [.timestamp(1_559_347_209_247_900), .timestamp(1_559_347_210_000_001), .null]),
            Column(.double, [.double(-0.0), .double(.nan), .double(3)]),
            Column(.string, [.string("b"), .string("a"), .string(String(repeating: "é", count: 33))]),
            Column(.int32, [.int32(1), .int32(1), .int32(1)]),
        ]))
        try w.commit()
        let stats = try #require(try t.snapshot().sortedFiles.first?.stats)
        #expect(stats == #"{"numRecords":3,"minValues":{"ts":"2019-06-01T00:00:09.247Z"},"maxValues":{"ts":"2019-06-01T00:00:10.001Z"},"nullCount":{"ts":1,"d":0,"s":0}}"#)
    }

    @Test func replacingPartitionsRemovesTheirFilesInTheSameCommitAndIsIdempotent() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<30))
        try w.commit()
        let day31: StringMap = ["fs_year": "2019", "fs_month": "1", "fs_day": "31"]
        for run in 0..<2 {
            try w.write(ordersBatch(ids: 100..<104, days: [(2019, 1, 30)]))
            let r = try w.commitReplacingPartitions([day31], operation: "REPLACE")
            let commit = try LogReplay.readCommit(t.log, version: try #require(r.version))
            // First run: the day-30 and day-31 files; re-run: only the day-30 file of the first run.
            #expect(commit.filter { if case .remove = $0 { return true } else { return false } }.count == (run == 0 ? 2 : 1))
            #expect(commit.filter { if case .add = $0 { return true } else { return false } }.count == 1)
        }
        let all = try scanAll(t)
        #expect(sortedIDs(all) == (0..<30).filter { $0 % 3 == 2 }.map(Int64.init) + [100, 101, 102, 103])
    }

    @Test func aBatchWhoseTxnIsAlreadyCommittedIsSkippedAndLeavesNoFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<3))
        #expect(try w.commit(txns: [TxnAction(appId: "sink/topic/0", version: 10)]).version == 1)
        // A restarted writer replays the same batch.
        let again = try TableWriter(table: t)
        try again.write(ordersBatch(ids: 0..<3))
        let r = try again.commit(txns: [TxnAction(appId: "sink/topic/0", version: 10)])
        #expect(r.version == nil && r.existingTxn?.version == 10)
        #expect(try FileSystem.walkFiles(dir.path).filter { $0.hasSuffix(".parquet") }.count == 3)
        #expect(sortedIDs(try scanAll(t)) == [0, 1, 2])
    }

    @Test func aWriterSplitsLargePartitionsIntoSeveralFiles() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.maxRowsPerFile = 10
        let w = try TableWriter(table: t, options: o)
        for k in 0..<5 { try w.write(ordersBatch(ids: (k * 6)..<(k * 6 + 6), days: [(2019, 1, 1)])) }
        try w.commit()
        #expect(try t.snapshot().files.count == 3)  // 12 + 12 + 6 rows
        #expect(try scanAll(t).rowCount == 30)
    }

    @Test func anUnpartitionedTableWritesAtTheRoot() throws {
        let dir = try ScratchDirectory()
        let schema = Schema([Field("x", .int64)])
        let t = try DeltaTable.create(at: dir.path, schema: schema)
        let w = try TableWriter(table: t)
        try w.write(RecordBatch(schema: schema, columns: [Column(.int64, [.int64(1), .null])]))
        try w.commit()
        let f = try #require(try t.snapshot().sortedFiles.first)
        #expect(!f.path.contains("/") && f.partitionValues.isEmpty)
        #expect(try scanAll(t).column(named: "x") == Column(.int64, [.int64(1), .null]))
    }
}

@Suite struct TableScanTests {
    static func table(_ dir: ScratchDirectory) throws -> DeltaTable {
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        var o = TableWriterOptions()
        o.parquet.maxPageRows = 10
        o.parquet.rowGroupBytes = 1_000
        let w = try TableWriter(table: t, options: o)
        for k in 0..<3 {  // three commits → 9 files, ids grouped per commit
            try w.write(ordersBatch(ids: (k * 300)..<(k * 300 + 300)))
            try w.commit()
        }
        return t
    }

    @Test func partitionFiltersPruneFilesAndPartitionColumnsComeBackTyped() throws {
        let dir = try ScratchDirectory()
        let t = try Self.table(dir)
        var scan = try TableScan(table: t, columns: ["fs_day", "id"], partitionFilter: .compare(column: "fs_day", op: .equal, value: .int32(31)))
        #expect(scan.metrics.filesTotal == 9 && scan.metrics.filesPrunedByPartition == 6 && scan.metrics.filesSkippedByStats == 0)
        let b = try scan.readAll()
        #expect(b.schema.names == ["fs_day", "id"])
        #expect(b.rowCount == 300)
        #expect(b.column(named: "fs_day")?.int32s?.allSatisfy { $0 == 31 } == true)
        #expect(scan.metrics.rowGroupsRead > 3)
    }

    @Test func statisticsSkipFilesAndRowGroups() throws {
        let dir = try ScratchDirectory()
        let t = try Self.table(dir)
        var scan = try TableScan(table: t, predicate: .and([.compare(column: "id", op: .greaterOrEqual, value: .int64(600)),
                                                               .compare(column: "fs_month", op: .equal, value: .int32(1))]))
        #expect(scan.metrics.filesPrunedByPartition == 3)  // February
        #expect(scan.metrics.filesSkippedByStats == 4)     // first two commits' January files
        #expect(scan.files.count == 2)
        let b = try scan.readAll()
        #expect(b.column(named: "id")?.int64s?.allSatisfy { $0 >= 600 } == true)
        var narrow = try TableScan(table: t, predicate: .compare(column: "id", op: .equal, value: .int64(601)))
        _ = try narrow.readAll()
        // Day 30 holds 600, 603, … and day 31 601, 604, …: both ranges contain 601; day 1 starts at 602.
        #expect(narrow.files.count == 2 && narrow.metrics.filesSkippedByStats == 7)
        // Inside each file only the first row group's id range reaches down to 601.
        #expect(narrow.metrics.rowGroupsRead == 2 && narrow.metrics.rowGroupsSkipped > 0)
        #expect(throws: TableError.unknownColumn("nope")) { try TableScan(table: t, predicate: .isNull(column: "nope")) }
        #expect(throws: TableError.self) { try TableScan(table: t, partitionFilter: .isNull(column: "id")) }
    }

    @Test func aHivePartitionedDirectoryReadsWithoutALog() throws {
        let dir = try ScratchDirectory()
        let t = try DeltaTable.create(at: dir.path, schema: ordersSchema, partitionColumns: ymd)
        let w = try TableWriter(table: t)
        try w.write(ordersBatch(ids: 0..<12))
        try w.commit()
        // The plain reader refuses a directory with a _delta_log/ (removed files would read as
        // live rows): what is left after dropping the log is a plain hive-partitioned directory.
        try FileSystem.removeTree(t.log.logDirectory)
        try FileSystem.createDirectory(dir.sub("_staging"))
        try FileSystem.writeNewFile(dir.sub("_staging/junk.parquet"), [1])
        var scan = try TableScan(hiveDirectory: dir.path, predicate: .compare(column: "fs_day", op: .greater, value: .int32(30)))
        #expect(scan.tableSchema.names == ["id", "amount", "name", "fs_year", "fs_month", "fs_day"])
        #expect(scan.partitionFields.map(\.type) == [.int32, .int32, .int32])
        #expect(scan.metrics.filesTotal == 3 && scan.metrics.filesPrunedByPartition == 2)  // only day 31 is > 30
        #expect(sortedIDs(try scan.readAll()) == [1, 4, 7, 10])
    }

    @Test func aTableWrittenByDeltaRsReadsWithItsRemovesCheckpointAndTxn() throws {
        let fixture = fixturePath("deltalake-table")
        let t = try DeltaTable.open(at: fixture)
        let s = try t.snapshot()
        #expect(s.version == 3)
        #expect(s.txnVersion(appId: "fixture-app") == 7)
        #expect(s.files.count == 4)
        var scan = try TableScan(snapshot: s)
        let b = try scan.readAll()
        let byID = (0..<b.rowCount).sorted { (b.column(named: "id")?.int64s?[$0] ?? 0) < (b.column(named: "id")?.int64s?[$1] ?? 0) }
        let sorted = b.gather(byID)
        var lines: [String] = []
        for r in 0..<sorted.rowCount {
            let v = sorted.row(r)
            func j(_ x: Value) -> String {
                switch x {
                case .null: return "null"
                case .string(let s): var o = ""; JSONValue.writeString(s, to: &o); return o
                case .double(let d): return JSONValue.double(d).description
                case .timestamp(let t): return String(t)
                default: return x.description
                }
            }
            lines.append("{\"id\": \(j(v[0])), \"name\": \(j(v[1])), \"amount\": \(j(v[2])), \"ts\": \(j(v[3])), \"fs_day\": \(j(v[4]))}")
        }
        let expected = String(decoding: try FileSystem.readFile(fixturePath("deltalake-table.expected.jsonl")), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(lines == expected)
    }
}

func fixturePath(_ name: String) -> String {
    let file = "\(#filePath)"
    let dir = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return dir + "/Fixtures/" + name
}
