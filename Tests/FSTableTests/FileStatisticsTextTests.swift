import FSCore
import FSParquet
import Testing
@testable import FSTable

/// A writer's snapshot keeps statistics packed against a reference (`FileStatisticsText`): every
/// document must come back exactly, small when it resembles the reference, and a packed action
/// must be the same action as the one it was made from.
@Suite struct FileStatisticsTextTests {
    /// A statistics document shaped like the writers' (three maps over the same columns).
    static func document(rows: Int, day: Int, name: String) -> String {
        let cols = (0..<30).map { "column_\($0)" }
        let mins = cols.enumerated().map { "\"\($1)\":\"2019-01-\(day)T00:00:\($0 % 60).123Z\"" }.joined(separator: ",")
        let maxs = cols.enumerated().map { "\"\($1)\":\"\(name)-\($0 * rows)\"" }.joined(separator: ",")
        let nulls = cols.enumerated().map { "\"\($1)\":\($0 % 3 == 0 ? rows : 0)" }.joined(separator: ",")
        return "{\"numRecords\":\(rows),\"minValues\":{\(mins)},\"maxValues\":{\(maxs)},\"nullCount\":{\(nulls)}}"
    }

    @Test func packedDocumentsUnpackToTheirExactText() {
        let reference = Self.document(rows: 64, day: 1, name: "a")
        let packer = StatisticsPacker(reference: reference)
        let texts = [
            reference, Self.document(rows: 65, day: 2, name: "名前 ✓"), "", "{}", "{\"numRecords\":1}",
            String(repeating: "\u{1F600}x\\\"", count: 5_000),  // larger than the reference, unlike it
        ]
        for t in texts {
            let packed = FileStatisticsText(t).packed(by: packer)
            #expect(packed.isPacked)
            #expect(packed.text == t)
        }
    }

    @Test func aDocumentLikeTheReferencePacksToAFifthOfItsSize() throws {
        let packer = StatisticsPacker(reference: Self.document(rows: 64, day: 1, name: "a"))
        var doc = Self.document(rows: 977, day: 17, name: "b")
        let frame = doc.withUTF8 { packer.pack($0) }
        // Measured: 2,275 bytes of text → 362 bytes (libzstd 1.5.4, level 3); the statistics of
        // real order-event files, whose values differ less, pack to ~150 bytes.
        #expect(frame.count * 5 < doc.utf8.count, "\(doc.utf8.count) bytes packed to \(frame.count)")
    }

    @Test func aPackedAddEqualsAndHashesLikeItsPlainSelf() {
        let stats = Self.document(rows: 10, day: 3, name: "c")
        let plain = AddAction(path: "fs_year=2019/a.parquet", partitionValues: ["fs_year": "2019"], size: 9, modificationTime: 1, stats: stats)
        var packed = plain
        packed.statisticsText = plain.statisticsText?.packed(by: StatisticsPacker(reference: stats))
        #expect(packed.statisticsText?.isPacked == true)
        #expect(packed == plain)
        #expect(packed.hashValue == plain.hashValue)
        var other = packed
        other.stats = stats + " "
        #expect(other != plain)
    }

    @Test func onlyASnapshotWithoutTombstonesPacksAndOnlyPastItsFirstThousandFiles() throws {
        let stats = Self.document(rows: 10, day: 3, name: "c")
        let first = LiveFiles.filesBeforePacking
        for holds in [true, false] {
            var live = LiveFiles(holdsTombstones: holds)
            for i in 0..<first { live.apply(.add(AddAction(path: "f\(i)", partitionValues: [:], size: 1, modificationTime: 1, stats: stats))) }
            live.apply(.add(AddAction(path: "a", partitionValues: [:], size: 1, modificationTime: 1, stats: stats)))
            live.apply(.add(AddAction(path: "b", partitionValues: [:], size: 1, modificationTime: 1, stats: nil)))
            let early = try #require(live.files["f0"]), a = try #require(live.files["a"])
            #expect(early.statisticsText?.isPacked == false)
            #expect(a.statisticsText?.isPacked == !holds)
            #expect(a.stats == stats && early.stats == stats)
            #expect(live.files["b"]?.stats == nil)
        }
    }

    @Test func aCheckpointWrittenFromAPackedSnapshotHoldsEveryStatisticsTextAsCommitted() throws {
        let dir = try ScratchDirectory()
        let path = dir.sub("t")
        try WriterPeakMemoryTests.tableWithLiveFiles(at: path, files: 1_200)
        let table = try DeltaTable.open(at: path)
        let committed = try table.snapshot()  // replayed from the JSON commits, text kept
        let packed = try table.snapshot(holdingTombstones: false)
        #expect(packed.files.values.filter { $0.statisticsText?.isPacked == true }.count >= 200)
        try Checkpoint.write(packed, log: table.log, nowMillis: table.clock.nowMicros() / 1000)
        let fromCheckpoint = try table.snapshot()
        #expect(fromCheckpoint.lastCheckpoint?.version == packed.version)
        #expect(fromCheckpoint.files.count == committed.files.count)
        for (p, add) in committed.files { #expect(fromCheckpoint.files[p]?.stats == add.stats, "\(p)") }
        // ~2.6 KB of statistics per file: the group ends at 2 MiB of them, not at 4,096 rows.
        let cp = try ParquetFileReader(path: table.log.checkpointFile(packed.version))
        #expect(cp.metadata.rowGroups.count == 2)
    }
}
