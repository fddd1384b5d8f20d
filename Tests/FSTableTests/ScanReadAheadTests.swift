import FSCore
import FSParquet
import Testing
@testable import FSTable

@Suite struct ScanReadAheadTests {
    /// Every batch of every file, in order, as the scan itself reads them.
    static func direct(_ scan: TableScan) throws -> [[RecordBatch]] {
        var copy = scan
        return try scan.files.map { f in
            var out: [RecordBatch] = []
            try copy.forEachBatch(in: f) { out.append($0) }
            return out
        }
    }

    static func ahead(_ reader: ScanReadAhead) throws -> [[RecordBatch]] {
        try reader.files.indices.map { i in
            var out: [RecordBatch] = []
            try reader.forEachBatch(file: i) { out.append($0) }
            return out
        }
    }

    @Test func readingAheadGivesEachFilesBatchesInOrderAsTheScanReadsThem() throws {
        let dir = try ScratchDirectory()
        let t = try TableScanTests.table(dir)
        let scan = try TableScan(table: t, columns: ["id", "name", "fs_day"])
        #expect(scan.files.count == 9)
        let expected = try Self.direct(scan)
        #expect(expected.allSatisfy { $0.count > 1 })  // several row groups per file
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: scan.files)) == expected)
        // Files over the bound are streamed on the caller's thread: the same batches.
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: scan.files, maxAheadBytes: 0)) == expected)
        // A bound between the sizes mixes both ways.
        let sizes = scan.files.map(\.sizeBytes).sorted()
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: scan.files, maxAheadBytes: sizes[4])) == expected)
        // One or several files ahead, and a bound that holds two small files but not three.
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: scan.files, maxAheadFiles: 1)) == expected)
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: scan.files, maxAheadFiles: 4)) == expected)
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: scan.files, maxAheadBytes: sizes[0] + sizes[1], maxAheadFiles: 3)) == expected)
        // Any order the caller chooses.
        let reversed = Array(scan.files.reversed())
        #expect(try Self.ahead(ScanReadAhead(scan: scan, files: reversed)) == expected.reversed())
        // A file taken again is read again (no wait on a read that was already taken).
        let again = ScanReadAhead(scan: scan, files: scan.files)
        for i in [0, 0, 1, 3, 2, 2] {
            var out: [RecordBatch] = []
            try again.forEachBatch(file: i) { out.append($0) }
            #expect(out == expected[i], "file \(i)")
        }
    }

    @Test func aFileThatCannotBeReadFailsWhenItsTurnComesNamingIt() throws {
        let dir = try ScratchDirectory()
        let t = try TableScanTests.table(dir)
        let scan = try TableScan(table: t, columns: ["id"])
        let broken = scan.files[1].path
        try FileSystem.removeFile(broken)
        try FileSystem.writeNewFile(broken, Array("not parquet at all".utf8))
        let reader = ScanReadAhead(scan: scan, files: scan.files)
        var first = 0
        try reader.forEachBatch(file: 0) { first += $0.rowCount }
        #expect(first > 0)
        do {
            try reader.forEachBatch(file: 1) { _ in Issue.record("no batch expected from a broken file") }
            Issue.record("reading a broken file succeeded")
        } catch {
            #expect("\(error)".contains(broken))
        }
    }
}

@Suite struct PartitionIdentityTests {
    @Test func identitiesAreEqualExactlyWhenSamePartitionSaysSo() {
        let maps: [StringMap] = [
            ["y": "2019", "m": "1"], ["m": "1", "y": "2019"], ["y": "2019", "m": "2"], ["y": "2019"],
            ["y": "2019", "m": ""], ["y": "2019", "m": nil], ["m": nil, "y": "2019"], ["y": "2019", "d": "1"], [:],
        ]
        for a in maps {
            for b in maps {
                #expect((PartitionIdentity(a) == PartitionIdentity(b)) == DeltaTable.samePartition(a, b), "\(a) vs \(b)")
                if DeltaTable.samePartition(a, b) { #expect(PartitionIdentity(a).hashValue == PartitionIdentity(b).hashValue, "\(a) vs \(b)") }
            }
        }
    }

    @Test func distinctPartitionsKeepTheFirstMapOfEachInFirstSeenOrder() {
        var d = DistinctPartitions()
        d.insert(["y": "2019", "m": "2"])
        d.insert(["y": "2019", "m": "1"])
        d.insert(["m": "2", "y": "2019"])
        d.insert(["y": "2019", "m": ""])
        d.insert(["y": "2019", "m": nil])
        #expect(d.maps == [["y": "2019", "m": "2"], ["y": "2019", "m": "1"], ["y": "2019", "m": ""]])
        #expect(d.position(of: ["m": "1", "y": "2019"]) == 1)
        #expect(d.position(of: ["m": nil, "y": "2019"]) == 2)
        #expect(!d.contains(["y": "2020", "m": "1"]))
    }
}
