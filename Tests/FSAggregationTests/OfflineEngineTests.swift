import Dispatch
import FSCore
import Testing
@testable import FSAggregation

private let day: Int64 = 86_400_000_000
private let schema = Schema([Field("k", .string), Field("v", .double), Field("t", .timestamp)])

/// Batches from memory: each file is a list of row groups, one batch each. The engine reads it
/// exactly as it reads a table scan, so it is tested without a table or a job.
struct MemorySource: OfflineBatchSource {
    let files: [[RecordBatch]]

    var fileSizes: [Int64] { files.map { Int64($0.reduce(0) { $0 + $1.rowCount } * 16) } }
    func rowGroupBytes(ofFile index: Int) -> [Int64] { files[index].map { Int64($0.rowCount * 16) } }
    func makeReader() -> Reader { Reader(files: files) }

    struct Reader: OfflineBatchReader {
        let files: [[RecordBatch]]
        var rowGroupsRead = 0
        var rowGroupsSkipped = 0

        mutating func forEachBatch(inFile index: Int, rowGroups: Range<Int>?, _ body: (RecordBatch, Int64) throws -> Void) throws {
            let groups = rowGroups ?? 0..<files[index].count
            var first = files[index][..<groups.lowerBound].reduce(0) { $0 + $1.rowCount }
            for g in groups {
                try body(files[index][g], Int64(first))
                first += files[index][g].rowCount
                rowGroupsRead += 1
            }
        }
    }
}

/// Deterministic rows over four days before `end`, keys with non-ASCII and empty names.
private func rows(_ count: Int, seed: UInt64) -> [(String, Double, Int64)] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        (["a", "b", "ç", "", "e", "f", "g"][Int.random(in: 0..<7, using: &rng)], Double(Int.random(in: 1...100, using: &rng)),
         10 * day + Int64.random(in: -day...(3 * day), using: &rng))
    }
}

private func batch(_ rows: ArraySlice<(String, Double, Int64)>) -> RecordBatch {
    var k = ColumnBuilder(type: .string), v = ColumnBuilder(type: .double), t = ColumnBuilder(type: .timestamp)
    for r in rows { k.append(r.0); v.append(r.1); t.append(r.2) }
    return RecordBatch(schema: schema, columns: [k.finish(), v.finish(), t.finish()])
}

@Suite struct OfflineEngineTests {
    static let definitions: [FeatureDefinition] = [
        .custom(AggCustomAction(featureName: "n", expression: "count(*)")),
        .custom(AggCustomAction(featureName: "total", expression: "sum(v)")),
        .custom(AggCustomAction(featureName: "n-1d", expression: "count(*)", period: .days(1))),
    ]

    /// Runs the pass and returns key → [n, total, n-1d].
    func features(_ source: MemorySource, threads: Int, start: Int64, end: Int64) throws -> (result: [String: [Value]], pass: OfflinePassResult) {
        let plan = try FeaturePlan(definitions: Self.definitions, schema: schema, groupBy: "k")
        let range = OfflineFoldRange(start: start, end: end, periodStarts: plan.periods.map { end - $0.micros })
        let engine = OfflineEngine(plan: plan, range: range, timeIndex: 2, threads: threads, nowMicros: 0)
        let pass = try engine.run(source)
        var out: [String: [Value]] = [:]
        for table in pass.aggregators.map({ plan.finish($0) }) {
            for i in 0..<table.rowCount {
                guard case .string(let key) = table.columns[0][i] else { Issue.record("key \(table.columns[0][i])"); continue }
                #expect(out[key] == nil, "key \(key) in two tables")
                out[key] = (1..<table.columns.count).map { table.columns[$0][i] }
            }
        }
        return (out, pass)
    }

    @Test(arguments: [1, 2, 4])
    func thePassEqualsABruteForceFoldForAnyThreadCount(threads: Int) throws {
        let all = rows(3_000, seed: 7)
        // Three files: two of three row groups, one of one; fewer files than 4 × threads splits them.
        let files = [[batch(all[0..<500]), batch(all[500..<1000]), batch(all[1000..<1200])],
                     [batch(all[1200..<2900]), batch(all[2900..<2900]), batch(all[2900..<2990])], [batch(all[2990..<3000])]]
        let start = 10 * day, end = 12 * day
        let (result, pass) = try features(MemorySource(files: files), threads: threads, start: start, end: end)
        var expected: [String: (n: Int64, total: Double, lastDay: Int64)] = [:]
        for r in all where r.2 >= start && r.2 < end {
            var e = expected[r.0] ?? (0, 0, 0)
            e.n += 1; e.total += r.1
            if r.2 >= end - day { e.lastDay += 1 }
            expected[r.0] = e
        }
        #expect(result.count == expected.count && pass.groupCount == expected.count)
        for (key, e) in expected {
            #expect(result[key] == [.int64(e.n), .double(e.total), .int64(e.lastDay)], "\(key)")
        }
        #expect(pass.rowsRead == 3_000)
        #expect(pass.rowsInRange == Int64(all.filter { $0.2 >= start && $0.2 < end }.count))
        #expect(pass.rowGroupsRead == 7)
        #expect(pass.workers == min(threads, threads == 1 ? 3 : 7))
    }

    @Test func anEmptySourceGivesOneEmptyTable() throws {
        let (result, pass) = try features(MemorySource(files: []), threads: 4, start: 0, end: day)
        #expect(result.isEmpty && pass.aggregators.count == 1 && pass.rowsRead == 0)
    }

    @Test func unitsAreFilesUnlessTooFewToKeepEveryThreadBusy() throws {
        let one = [batch(rows(10, seed: 1)[...]), batch(rows(20, seed: 2)[...])]
        let source = MemorySource(files: [one, one])
        #expect(try OfflineEngine.units(of: source, threads: 1).map(\.rowGroups) == [nil, nil])
        #expect(try OfflineEngine.units(of: source, threads: 2).map(\.rowGroups) == [0..<1, 1..<2, 0..<1, 1..<2])
    }

    @Test func partitionBuffersHandBackTheirBatchesInOrderAndEmpty() {
        let schema = Schema([Field("k", .string), Field("v", .int64)])
        func batch(_ keys: [String], _ values: [Int64]) -> RecordBatch {
            RecordBatch(schema: schema, columns: [Column(type: .string, values: .string(StringArray(keys))), Column(type: .int64, values: .int64(values))])
        }
        var buffers = PartitionBuffers(count: 2)
        buffers.append(1, batch(["a", "ü"], [1, 2]), [10, 20])
        buffers.append(1, batch([""], [3]), [30])
        #expect(buffers.rows == [0, 3])
        let taken = buffers.take(1)
        #expect(taken.map(\.batch) == [batch(["a", "ü"], [1, 2]), batch([""], [3])])
        #expect(taken.map(\.times) == [[10, 20], [30]])
        #expect(buffers.rows == [0, 0])
        #expect(buffers.take(1).isEmpty && buffers.take(0).isEmpty)
    }

    @Test func keyHashesFromThePartitionSplitFindTheSameGroupsAsTheTablesOwnHash() {
        var b = ColumnBuilder(type: .string)
        for k in ["x", "y", "x", "", nil, "y", String(repeating: "long key ", count: 9), "x"] as [String?] {
            if let k { b.append(k) } else { b.appendNull() }
        }
        let keys = b.finish()
        var hashes: [UInt64] = []
        _ = KeyPartitions.partitionRows(of: keys, count: 2, stringHashes: &hashes)
        #expect(hashes.count == keys.count)
        var hashed = GroupKeyTable(keyType: .string, expectedGroups: 1)
        var given = GroupKeyTable(keyType: .string, expectedGroups: 1)
        var ids: [UInt32] = [], givenIDs: [UInt32] = [], again: [UInt32] = []
        hashed.groupIDs(for: keys, into: &ids)
        given.groupIDs(for: keys, stringHashes: hashes, into: &givenIDs)
        // Keys inserted with the split's hashes must be found again by the table's own hash.
        given.groupIDs(for: keys, into: &again)
        #expect(givenIDs == ids && again == ids)
        #expect(given.groupCount == 5 && given.keyColumn() == hashed.keyColumn())
    }

    @Test func aBusyPartitionIsLeftOutUnlessItMustBeWaitedFor() throws {
        let plan = try FeaturePlan(definitions: [.custom(AggCustomAction(featureName: "n", expression: "count(*)"))], schema: Schema([Field("k", .int64)]), groupBy: "k")
        let partitions = KeyPartitions(count: 2, make: { plan.makeAggregator() })
        let entered = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = DispatchGroup()
        DispatchQueue.global().async(group: holder) {
            partitions.update(partitions: [0], startingAt: 0) { _, _ in
                entered.signal()
                release.wait()
            }
        }
        entered.wait()
        var folded: [Int] = []
        let left = partitions.update(partitions: [0, 1], startingAt: 0, waitingFor: { _ in false }) { p, _ in folded.append(p) }
        #expect(folded == [1] && left == [0])
        release.signal()
        let none = partitions.update(partitions: [0], startingAt: 0, waitingFor: { _ in true }) { p, _ in folded.append(p) }
        #expect(folded == [1, 0] && none.isEmpty)
        holder.wait()
    }

    @Test func rowsOfOneKeyAlwaysGoToTheSamePartition() {
        let keys = Column(type: .string, values: .string(StringArray(["x", "y", "x", "", "y", "x"])))
        let split = KeyPartitions.partitionRows(of: keys, count: 3)
        #expect(split.flatMap { $0 }.sorted() == Array(0..<6))
        let home = { (row: Int) in split.firstIndex { $0.contains(row) } }
        #expect(home(0) == home(2) && home(2) == home(5))
        #expect(home(1) == home(4))
    }
}
