import FSCore
import FSTable
import Testing
@testable import FSJobs

/// `OnlineInputPrefetch`: the files read one ahead on a background thread give the job the
/// batches `TableScan.forEachBatch(in:)` gives on its own thread, and a read's failure reaches
/// the job when it takes that file.
@Suite struct OnlineInputPrefetchTests {
    static let schema = Schema([Field("customer_id", .string), Field("amount", .double), Field("event_time", .timestamp)])

    /// A table of `files` commits of a few rows each (one file per commit); its scan.
    static func makeScan(_ root: String, files: Int) throws -> TableScan {
        let table = try DeltaTable.create(at: root, schema: schema)
        for f in 0..<files {
            var k = ColumnBuilder(type: .string), a = ColumnBuilder(type: .double), t = ColumnBuilder(type: .timestamp)
            for r in 0..<(f * 7 % 5 + 1) {
                k.append(["c\(f)", "", "ç\(r)"][r % 3])
                a.append(Double(f) * 10 + Double(r) / 4)
                t.append(Int64(1_600_000_000_000_000 + f * 1_000 + r))
            }
            let w = try TableWriter(table: table)
            try w.write(RecordBatch(schema: schema, columns: [k.finish(), a.finish(), t.finish()]))
            try w.commit()
        }
        return try TableScan(table: table)
    }

    static func rows(_ batches: [RecordBatch]) -> [String] {
        batches.flatMap { b in (0..<b.rowCount).map { "\(b.row($0))" } }
    }

    @Test(arguments: [0, 1, 6])
    func prefetchedBatchesEqualThoseReadOnTheCallersThread(files: Int) throws {
        let root = try FileSystem.makeTemporaryDirectory(prefix: "fs-prefetch-test")
        defer { try? FileSystem.removeTree(root) }
        var scan = try Self.makeScan(root + "/t", files: files)
        #expect(scan.files.count == files)
        let reader = OnlineInputPrefetch(scan: scan, files: scan.files)
        for (i, file) in scan.files.enumerated() {
            var expected: [RecordBatch] = []
            try scan.forEachBatch(in: file) { expected.append($0) }
            #expect(Self.rows(try reader.batches(ofFile: i)) == Self.rows(expected), "file \(i)")
        }
    }

    @Test func aFileThatCannotBeReadFailsWhenItsTurnComes() throws {
        let root = try FileSystem.makeTemporaryDirectory(prefix: "fs-prefetch-test")
        defer { try? FileSystem.removeTree(root) }
        let scan = try Self.makeScan(root + "/t", files: 3)
        try FileSystem.removeFile(scan.files[1].path)
        let reader = OnlineInputPrefetch(scan: scan, files: scan.files)
        #expect(try !reader.batches(ofFile: 0).isEmpty)
        #expect(throws: (any Error).self) { try reader.batches(ofFile: 1) }
        #expect(try !reader.batches(ofFile: 2).isEmpty, "later files are still read")
    }
}
