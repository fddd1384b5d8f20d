import FSAggregation
import FSCore
import FSParquet
import FSTable
import Testing
@testable import FSJobs

/// `OnlineOutputPipeline`: emitted chunks whose window-end days are written on several lanes
/// give the table one writer gives, one file per day, in the output writer's one commit.
@Suite struct OnlineOutputPipelineTests {
    static let dataSchema = Schema([Field("k", .string), Field("window_start", .timestamp), Field("window_end", .timestamp), Field("v", .double)])
    static let hour: Int64 = 3_600_000_000

    /// Windows ascending from `firstHour` (hours since the epoch), `perHour` keys each.
    static func chunk(hours: Range<Int64>, perHour: Int) -> RecordBatch {
        var k = ColumnBuilder(type: .string), s = ColumnBuilder(type: .timestamp), e = ColumnBuilder(type: .timestamp), v = ColumnBuilder(type: .double)
        for h in hours {
            for i in 0..<perHour {
                k.append("key-\(i)"); s.append(h * hour); e.append((h + 1) * hour); v.append(Double(h) + Double(i) / 8)
            }
        }
        return RecordBatch(schema: dataSchema, columns: [k.finish(), s.finish(), e.finish(), v.finish()])
    }

    static func makeTable(_ dir: String) throws -> TableWriter {
        let schema = Schema(dataSchema.fields + OnlineOutput.partitionColumns.map { Field($0, .int32) })
        let table = try DeltaTable.create(at: dir, schema: schema, partitionColumns: OnlineOutput.partitionColumns)
        return try TableWriter(table: table, options: OnlineOutput.writerOptions)
    }

    /// Rows as text, sorted; and the partition directory of every file.
    static func contents(_ w: TableWriter) throws -> (rows: [String], fileDirectories: [String]) {
        var scan = try TableScan(table: w.table)
        let all = try scan.readAll()
        let rows = (0..<all.rowCount).map { r in all.row(r).map { "\($0)" }.joined(separator: "|") }.sorted()
        let dirs = try w.table.snapshot().sortedFiles.map { $0.path.split(separator: "/").dropLast().joined(separator: "/") }.sorted()
        return (rows, dirs)
    }

    /// Chunks of 30 h each (days cut inside chunks and continued by the next one), written
    /// through `lanes` lanes and committed.
    static func write(lanes: Int, into dir: String) throws -> TableWriter {
        let w = try makeTable(dir)
        let pipeline = try OnlineOutputPipeline(writer: w, lanes: lanes)
        var rows = 0
        for c in 0..<4 {
            let start = Int64(c) * 30 + 17_000 * 24
            rows += Self.chunk(hours: start..<start + 30, perHour: 5).rowCount
            try pipeline.submit(Self.chunk(hours: start..<start + 30, perHour: 5))
        }
        #expect(try pipeline.finish() == rows)
        #expect(try w.commit(txns: [TxnAction(appId: "t", version: 0, lastUpdated: 0)]).version == 1)
        return w
    }

    @Test func daysWrittenOnTwoLanesGiveTheTableOfOneLaneWithOneFilePerDay() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let one = try Self.contents(try Self.write(lanes: 1, into: dir + "/one"))
        let two = try Self.contents(try Self.write(lanes: 2, into: dir + "/two"))
        #expect(one.rows.count == 4 * 30 * 5)
        #expect(two.rows == one.rows)
        #expect(two.fileDirectories == one.fileDirectories)
        #expect(Set(two.fileDirectories).count == two.fileDirectories.count, "one file per day")
        #expect(two.fileDirectories.count == 6)  // 120 h from midnight: days 0…4 and the 0 h of day 5
        #expect(try FileSystem.listDirectory(dir + "/two/_delta_log").filter { $0.hasSuffix(".json") }.count == 2, "one commit")
    }

    /// One chunk holds several days (the online job's ~262k-row chunks hold ~8 of its days):
    /// its new days are spread over both lanes as they are placed, not all given to the lane that
    /// had the fewest rows waiting before the chunk, which left the other lane idle.
    @Test func theNewDaysOfOneChunkAreSpreadOverBothLanes() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let w = try Self.makeTable(dir)
        let pipeline = try OnlineOutputPipeline(writer: w, lanes: 2)
        // Windows ending on four whole days: a window's row is on the day of its end.
        let start = Int64(17_000 * 24) - 1
        try pipeline.submit(Self.chunk(hours: start..<start + 4 * 24, perHour: 5))
        let lanes = pipeline.laneOfDay.sorted { $0.key < $1.key }.map(\.value)
        #expect(lanes == [0, 1, 0, 1], "four equal days alternate")
        #expect(try pipeline.finish() == 4 * 24 * 5)
    }

    /// A lane whose write fails: `finish` rethrows, the lanes' files are deleted, and the
    /// pipeline writes the next trigger normally.
    @Test func aFailedLaneFailsTheTriggerAndLeavesNoFiles() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let w = try Self.makeTable(dir + "/t")
        let pipeline = try OnlineOutputPipeline(writer: w, lanes: 2)
        let start = Int64(17_000 * 24)
        try pipeline.submit(Self.chunk(hours: start..<start + 48, perHour: 3))
        let good = Self.chunk(hours: start + 48..<start + 60, perHour: 3)
        // The table's columns plus one: refused by the lane's writer, not by the split.
        let bad = RecordBatch(schema: Schema(Self.dataSchema.fields + [Field("extra", .double)]), columns: good.columns + [good.columns[3]])
        try pipeline.submit(bad)
        #expect(throws: TableError.self) { _ = try pipeline.finish() }
        let staging = w.table.log.stagingDirectory
        #expect(try !FileSystem.isDirectory(staging) || FileSystem.listDirectory(staging).isEmpty)
        #expect(w.pendingRows == 0)
        try pipeline.submit(good)
        #expect(try pipeline.finish() == good.rowCount)
        #expect(try w.commit().version == 1)
        #expect(try Self.contents(w).rows.count == good.rowCount)
    }

    /// Output keys are high-entropy ids: their chunks are ZSTD frames at the fast level with
    /// Huffman-coded literals (`OnlineOutput.writerOptions`), smaller than stored, and read back.
    @Test func uuidKeysAreZstdWithCodedLiteralsSmallerThanStoredAndReadBack() throws {
        #expect(OnlineOutput.writerOptions.parquet.compression == CompressionVerdicts.fastSetting)
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let w = try Self.makeTable(dir)
        let pipeline = try OnlineOutputPipeline(writer: w, lanes: 2)
        var generator = SplitMix64(seed: 15)
        let keys = (0..<2_000).map { _ in Self.uuidText(generator.next(), generator.next()) }
        let hour = Int64(17_000 * 24)
        var k = ColumnBuilder(type: .string), s = ColumnBuilder(type: .timestamp), e = ColumnBuilder(type: .timestamp), v = ColumnBuilder(type: .double)
        for (i, key) in keys.enumerated() { k.append(key); s.append(hour * Self.hour); e.append((hour + 1) * Self.hour); v.append(Double(i)) }
        let batch = RecordBatch(schema: Self.dataSchema, columns: [k.finish(), s.finish(), e.finish(), v.finish()])
        try pipeline.submit(batch)
        #expect(try pipeline.finish() == keys.count)
        _ = try w.commit()
        let files = try w.table.snapshot().sortedFiles
        #expect(files.count == 1)
        let reader = try ParquetFileReader(path: dir + "/" + files[0].path)
        let key = try #require(reader.metadata.rowGroups[0].columns[0].metaData)
        #expect(key.codec == .zstd)
        #expect(key.totalCompressedSize * 3 < key.totalUncompressedSize * 2, "hex text: at least 1.5x")
        #expect(try Self.contents(w).rows.map { String($0.prefix(36)) } == keys.sorted())
    }

    /// A version-4-shaped UUID's text from two random words.
    static func uuidText(_ a: UInt64, _ b: UInt64) -> String {
        let hex = String(a, radix: 16).leftPadded(to: 16) + String(b, radix: 16).leftPadded(to: 16)
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { String(repeating: "0", count: Swift.max(0, n - count)) + self }
}
