import FSCore
import FSTable
import Testing
@testable import FSJobs
@testable import FSPublish

@Suite struct ParallelReductionTests {
    /// Every row of a finished reduction as text, in the reducer's row order.
    static func lines(_ batch: RecordBatch) -> [String] {
        (0..<batch.rowCount).map { batch.row($0).map(\.description).joined(separator: "|") }
    }

    @Test(arguments: [2, 3, 8])
    func mergingTheReductionsOfConsecutiveSplitsEqualsOnePassRowForRow(splits: Int) {
        // Few times per key, so equal times land in different splits: the earlier row must stay.
        let schema = Schema([Field("k1", .string), Field("k2", .int32), Field("t", .double), Field("v", .int64)])
        var rng = SplitMix64(seed: UInt64(splits))
        var rows: [[Value]] = []
        for i in 0..<4000 {
            let k1: Value = rng.next() % 50 == 0 ? .null : .string(["a", "", "ü-é", "a\u{0}b"][Int(rng.next() % 4)])
            let t: Value = rng.next() % 60 == 0 ? .null : (rng.next() % 70 == 0 ? .double(.nan) : .double(Double(rng.next() % 6)))
            rows.append([k1, .int32(Int32(rng.next() % 300)), t, .int64(Int64(i))])
        }
        func batch(_ part: ArraySlice<[Value]>) -> RecordBatch {
            RecordBatch(schema: schema, columns: (0..<4).map { c in Column(schema.fields[c].type, part.map { $0[c] }) })
        }
        var single = LatestPerKey(schema: schema, keyCount: 2)
        for start in stride(from: 0, to: rows.count, by: 333) { single.add(batch(rows[start..<min(start + 333, rows.count)])) }
        var cuts = (0..<splits - 1).map { _ in Int(rng.next() % UInt64(rows.count)) }.sorted()
        cuts = [0] + cuts + [rows.count]
        var merged: LatestPerKey? = nil
        for s in 0..<splits {
            var part = LatestPerKey(schema: schema, keyCount: 2)
            for start in stride(from: cuts[s], to: cuts[s + 1], by: 333) { part.add(batch(rows[start..<min(start + 333, cuts[s + 1])])) }
            if merged == nil { merged = part } else { merged!.merge(part) }
        }
        var result = merged!
        #expect(Self.lines(result.finish()) == Self.lines(single.finish()))
        #expect(result.rowsRead == single.rowsRead)
        #expect(result.nullKeyRows == single.nullKeyRows)
        #expect(result.nullTimeRows == single.nullTimeRows)
        #expect(result.keyCountSeen == single.keyCountSeen)
    }

    @Test func mergingIntoAnEmptyReductionOrMergingAnEmptyOneChangesNothing() {
        let schema = Schema([Field("k", .string), Field("t", .int64)])
        let input = RecordBatch(schema: schema, columns: [Column(.string, [.string("x"), .string("y"), .string("x")]),
                                                          Column(.int64, [.int64(2), .int64(1), .int64(3)])])
        var empty = LatestPerKey(schema: schema, keyCount: 1)
        var full = LatestPerKey(schema: schema, keyCount: 1)
        full.add(input)
        empty.merge(full)
        full.merge(LatestPerKey(schema: schema, keyCount: 1))
        #expect(Self.lines(empty.finish()) == ["x|3", "y|1"])
        #expect(Self.lines(full.finish()) == ["x|3", "y|1"])
        #expect(empty.rowsRead == 3)
    }

    @Test func sharesAreContiguousNonEmptyAndKeepTheFeedingOrder() throws {
        let f = try OnlineTableFixture()
        try f.create()
        for c in 0..<7 { try f.append(OnlineTableFixture.randomRows(20 + 30 * c, keys: 9, minuteRange: 0..<4000, seed: UInt64(c))) }
        let reader = ChangeReader(snapshot: try DeltaTable.open(at: f.input).snapshot(), published: nil)
        #expect(reader.paths.count >= 7)
        for count in 1...(reader.paths.count + 2) {
            let shares = reader.shares(count)
            #expect(shares.count == min(count, reader.paths.count))
            #expect(shares.allSatisfy { !$0.isEmpty })
            #expect(shares.flatMap { Array($0) } == reader.paths)
        }
    }

    @Test(arguments: [2, 3])
    func aReductionOnSeveralThreadsEqualsOnePassOverTheSameFiles(threads: Int) throws {
        let f = try OnlineTableFixture()
        try f.create()
        // Minutes from a narrow range, so one key's equal times fall in different commits.
        for c in 0..<9 { try f.append(OnlineTableFixture.randomRows(400, keys: 60, minuteRange: 0..<50, seed: UInt64(40 + c), nullKeys: c == 4 ? 5 : 0)) }
        let snapshot = try DeltaTable.open(at: f.input).snapshot()
        let source = try PublishSource.resolve(snapshot, config: f.config())
        let reader = ChangeReader(snapshot: snapshot, published: nil)
        var one = try ParallelReduction.reduce(reader, source: source, threads: 1, minimumBytes: 0)
        var many = try ParallelReduction.reduce(reader, source: source, threads: threads, minimumBytes: 0)
        #expect(Self.lines(many.finish()) == Self.lines(one.finish()))
        #expect(many.rowsRead == 3600)
        #expect(many.nullKeyRows == 5)
        #expect(one.nullKeyRows == 5)
    }

    @Test(arguments: [0, 1, 4])
    func aSmallChangeReadAsTwoColumnHalvesEqualsOnePass(nullKeysInLastCommit: Int) throws {
        let f = try OnlineTableFixture()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        for c in 0..<3 {
            try f.append(OnlineTableFixture.randomRows(500, keys: 70, minuteRange: 0..<60, seed: UInt64(90 + c), nullKeys: c == 2 ? nullKeysInLastCommit : 0))
        }
        let snapshot = try DeltaTable.open(at: f.input).snapshot()
        let source = try PublishSource.resolve(snapshot, config: f.config())
        let reader = ChangeReader(snapshot: snapshot, published: nil)
        var one = try ParallelReduction.reduce(reader, source: source, threads: 1)
        var split = try ParallelReduction.reduce(reader, source: source, threads: 2, minimumColumnSplitBytes: 0)
        #expect(Self.lines(split.finish()) == Self.lines(one.finish()))
        #expect(split.rowsRead == 1500)
        #expect(split.nullKeyRows == nullKeysInLastCommit)
        #expect(throws: ReductionCancelled.self) {
            _ = try ParallelReduction.reduce(reader, source: source, threads: 2, minimumColumnSplitBytes: 0, isCancelled: { true })
        }
    }

    @Test func theColumnHalvesCoverTheScanOnceAndBalanceItsWeight() throws {
        let f = try OnlineTableFixture()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        try f.append(OnlineTableFixture.randomRows(5, keys: 2, minuteRange: 0..<10, seed: 1))
        let source = try PublishSource.resolve(try DeltaTable.open(at: f.input).snapshot(), config: f.config())
        let halves = try #require(ParallelReduction.columnHalves(source))
        #expect((halves.first + halves.second).sorted() == source.scanColumns.sorted())
        #expect(!halves.first.isEmpty && !halves.second.isEmpty)
        #expect(halves.first.first == source.scanColumns.first, "the key column is in the first half")
    }
}
