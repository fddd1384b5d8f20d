import FSCore
import FSTable
import Logging
import Testing
@testable import FSJobs
@testable import FSPublish

/// Reading ahead of the store's answer (`SpeculativeReduction`) must never change what is
/// published: its result is used only when the store says "nothing published yet".
@Suite struct SpeculativeReductionTests {
    typealias F = OnlineTableFixture

    /// The SQLite store, asking the job to read ahead as the Kafka target does; counts the
    /// publishes and rows it is given.
    final class ReadAheadStore: PublishTarget {
        let store: SQLiteTarget
        var rowsGiven = 0
        init(_ config: PublishConfig) throws { store = try SQLiteTarget(path: config.connection.sqlitePath!, table: config.outputTable) }
        var readsAheadOfState: Bool { true }
        func prepare(_ layout: PublishLayout) throws { try store.prepare(layout) }
        func publishedVersion() throws -> Int64? { try store.publishedVersion() }
        func publish(_ rows: RecordBatch, recordingVersion version: Int64?) throws -> PublishCounts {
            rowsGiven += rows.rowCount
            return try store.publish(rows, recordingVersion: version)
        }
        func close() { store.close() }
    }

    func run(_ f: F) throws -> (OnlinePublishSummary, ReadAheadStore) {
        let config = f.config()
        let store = try ReadAheadStore(config)
        let summary = try OnlinePublisher(config: config, logger: Logger(label: "t"), shouldStop: { false }) { store }.run()
        return (summary, store)
    }

    @Test func aTakenReadAheadEqualsTheReductionOfAFirstPublish() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        for c in 0..<4 { try f.append(F.randomRows(200, keys: 30, minuteRange: 0..<40, seed: UInt64(60 + c), nullKeys: c == 2 ? 3 : 0)) }
        let snapshot = try DeltaTable.open(at: f.input).snapshot()
        let source = try PublishSource.resolve(snapshot, config: f.config())
        let ahead = try SpeculativeReduction(snapshot: snapshot, source: source, threads: 2).take()
        var direct = try ParallelReduction.reduce(ChangeReader(snapshot: snapshot, published: nil), source: source, threads: 1)
        var taken = ahead.reducer
        #expect(ahead.reader.paths == ChangeReader(snapshot: snapshot, published: nil).paths)
        #expect(ParallelReductionTests.lines(taken.finish()) == ParallelReductionTests.lines(direct.finish()))
        #expect(taken.rowsRead == 800)
        #expect(taken.nullKeyRows == 3)
    }

    @Test func aCancelledReductionStopsWithReductionCancelledAndCancellingTwiceIsHarmless() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        for c in 0..<3 { try f.append(F.randomRows(50, keys: 9, minuteRange: 0..<40, seed: UInt64(70 + c))) }
        let snapshot = try DeltaTable.open(at: f.input).snapshot()
        let source = try PublishSource.resolve(snapshot, config: f.config())
        #expect(throws: ReductionCancelled.self) {
            _ = try ParallelReduction.reduce(ChangeReader(snapshot: snapshot, published: nil), source: source, threads: 2,
                                             minimumBytes: 0, isCancelled: { true })
        }
        let ahead = SpeculativeReduction(snapshot: snapshot, source: source, threads: 1)
        ahead.cancel()
        ahead.cancel()
    }

    @Test func aFirstPublishUsesTheReadAheadAndALaterOneReadsOnlyWhatIsNew() throws {
        let f = try F()
        defer { try? FileSystem.removeTree(f.root) }
        try f.create()
        let first = F.randomRows(150, keys: 20, minuteRange: 0..<300, seed: 81)
        try f.append(first)
        let (one, _) = try run(f)
        #expect(one.rowsRead == 150)
        #expect(one.sourceVersion == 1)

        // Up to date: the read-ahead is cancelled, nothing is published.
        let (again, idle) = try run(f)
        #expect(again.rowsRead == 0)
        #expect(idle.rowsGiven == 0)

        // Published at 1, input at 3: only the two new commits are read, never the first again.
        let second = F.randomRows(40, keys: 20, minuteRange: 200..<400, seed: 82)
        let third = F.randomRows(30, keys: 20, minuteRange: 0..<100, seed: 83)
        try f.append(second)
        try f.append(third)
        let (later, _) = try run(f)
        #expect(later.previouslyPublished == 1)
        #expect(later.sourceVersion == 3)
        #expect(later.rowsRead == 70)
        #expect(try F.storeLines(f.database) == F.expectedLines(first + second + third))
    }
}
