import FSCore
import FSTable
import Testing
@testable import FSJobs

/// `ChunkWriter` with two writer lanes and `DayLanes`: each day of a micro-batch is written by
/// one lane, so the table (rows, one file per day and batch, one version per batch) is the one
/// a single writer gives.
@Suite struct ChunkWriterLaneTests {
    static let schema = Schema([Field("id", .int64, isNullable: false), Field("name", .string),
                                Field("fs_year", .int32), Field("fs_month", .int32), Field("fs_day", .int32)])
    static let ymd = ["fs_year", "fs_month", "fs_day"]

    /// Rows `ids` in runs of 40 rows a day, days cycling over 2019-03-01…09 (a day continues in the next chunk).
    static func chunk(ids: Range<Int>) -> RecordBatch {
        var b = schema.fields.map { ColumnBuilder(type: $0.type, capacity: ids.count) }
        for i in ids {
            b[0].append(Int64(i))
            b[1].append(i % 5 == 0 ? "" : "név-\(i)")
            b[2].append(Int32(2019)); b[3].append(Int32(3)); b[4].append(Int32(1 + (i / 40) % 9))
        }
        return RecordBatch(schema: schema, columns: b.map { $0.finish() })
    }

    /// Three micro-batches of four 100-row chunks through `lanes` lanes: rows as text, sorted;
    /// the partition directory of each version's files.
    static func write(lanes: Int, into dir: String) throws -> (rows: [String], filesPerVersion: [[String]]) {
        let data = try DeltaTable.create(at: dir + "/data", schema: schema, partitionColumns: ymd)
        let quarantine = try DeltaTable.create(at: dir + "/quarantine", schema: QuarantineBuffer.schema, partitionColumns: QuarantineBuffer.partitionColumns)
        let chunks = try ChunkWriter(writer: try TableWriter(table: data), quarantineWriter: try TableWriter(table: quarantine), lanes: lanes)
        var next = 0
        for batch in 0..<3 {
            for _ in 0..<4 {
                chunks.submit(chunk(ids: next..<next + 100))
                next += 100
            }
            chunks.submitCommit(ChunkWriter.Commit(quarantine: nil, quarantineTxns: [], dataTxns: [TxnAction(appId: "t", version: Int64(batch), lastUpdated: 0)],
                                                   rows: 400, groupOffsets: []))
        }
        chunks.drain()
        #expect(try chunks.collect().map(\.version) == [1, 2, 3])
        var scan = try TableScan(table: data)
        let all = try scan.readAll()
        let rows = (0..<all.rowCount).map { r in all.row(r).map { "\($0)" }.joined(separator: "|") }.sorted()
        var files: [[String]] = []
        var known = Set<String>()
        for v in 1...3 {
            let paths = try data.snapshot(version: Int64(v)).sortedFiles.map(\.path).filter { !known.contains($0) }
            known.formUnion(paths)
            files.append(paths.map { $0.split(separator: "/").dropLast().joined(separator: "/") }.sorted())
        }
        return (rows, files)
    }

    @Test func daysWrittenOnTwoLanesGiveTheTableOfOneWriterWithOneFilePerDayAndBatch() throws {
        let dir = try OfflineFixture.temporaryDirectory()
        defer { try? FileSystem.removeTree(dir) }
        let one = try Self.write(lanes: 1, into: dir + "/one")
        let two = try Self.write(lanes: 2, into: dir + "/two")
        #expect(one.rows.count == 1_200)
        #expect(two.rows == one.rows)
        #expect(two.filesPerVersion == one.filesPerVersion)
        #expect(one.filesPerVersion.allSatisfy { Set($0).count == $0.count }, "one file per day and batch")
        #expect(one.filesPerVersion[0].count == 9)
    }

    /// A new day goes to the lane with the fewest rows given in the batch (ties to the lower),
    /// a known day to its lane; `startMicroBatch` forgets them.
    @Test func aNewDayGoesToTheLaneWithFewestRowsAndStaysThereUntilTheBatchEnds() {
        var lanes = DayLanes(lanes: 2)
        let placed = [("a", 10), ("b", 5), ("c", 3), ("a", 10), ("d", 1), ("b", 1)].map { lanes.lane(of: $0.0, rows: $0.1) }
        #expect(placed == [0, 1, 1, 0, 1, 1])
        lanes.startMicroBatch()
        #expect(lanes.lane(of: "c", rows: 1) == 0)
        #expect(lanes.lane(of: "a", rows: 1) == 1)
        var one = DayLanes(lanes: 1)
        #expect(["a", "b"].map { one.lane(of: $0, rows: 7) } == [0, 0])
    }
}
