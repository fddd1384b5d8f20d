import FSCore
import FSKafka
import FSStreams
import FSTable
import Testing

@testable import FSJobs

/// The dedup refill on start opens only the files that may hold rows inside each partition's
/// window, whatever the table's size and however the events spread over the date partitions.
@Suite struct IngestDedupRefillTests {
    static let topic = "de-order-status-events"

    /// A status table of `commits` micro-batches of `perCommit` offsets on each of partitions 0
    /// and 1; every batch spans three event days, so every date partition holds old and new
    /// rows alike (the window cannot be found from the dates). status_id = "s-<p>-<offset>".
    static func makeTable(commits: Int, perCommit: Int) throws -> String {
        let path = temporaryDirectory("refill") + "/ingestion/order-status-events"
        let table = try DeltaTable.create(at: path, schema: StreamType.orderStatusEvents.schema, partitionColumns: StreamType.partitionColumns)
        let writer = try TableWriter(table: table)
        var builder = EventBatchBuilder(streamType: .orderStatusEvents)
        for c in 0..<commits {
            for p in Int32(0)...1 {
                for o in c * perCommit..<(c + 1) * perCommit {
                    let json = #"{"created_at":"2019-01-0\#(1 + o % 3)T10:00:00Z","order_id":"o","status_id":"s-\#(p)-\#(o)","value":"PLACED"}"#
                    let bytes = Array(json.utf8)
                    let outcome = bytes.withUnsafeBytes { v in
                        builder.append(key: nil, value: v, topic: topic, partition: p, offset: Int64(o))
                    }
                    #expect(outcome == .appended)
                }
            }
            try writer.write(builder.finish(ingestionMicros: 0))
            let last = Int64((c + 1) * perCommit - 1)
            _ = try writer.commit(txns: (0...1).map { TxnAction(appId: "fs-ingest/\(topic)/\($0)", version: last, lastUpdated: 0) })
        }
        return path
    }

    static func contains(_ window: DedupWindow?, _ key: String) -> Bool {
        guard var w = window else { return false }
        var k = key
        return k.withUTF8 { w.checkAndInsert($0) }
    }

    /// (window, files opened): three date files per commit, and a file is opened only when its
    /// largest offset is inside the window — a window of 1 (offset 999) opens just the one file
    /// of commit 9 holding offset 999.
    @Test(arguments: [(100, 3), (150, 6), (1000, 30), (1, 1)])
    func refillOpensOnlyTheFilesOfTheWindow(window: Int, filesRead: Int) throws {
        let path = try Self.makeTable(commits: 10, perCommit: 100)
        let tp0 = TopicPartition(topic: Self.topic, partition: 0), tp1 = TopicPartition(topic: Self.topic, partition: 1)
        let refill = DedupRefill(keyColumn: "status_id", window: window)
        let (windows, metrics) = try refill.windows(table: path, [tp0: 999, tp1: 999])
        #expect(metrics.filesTotal == 30)
        #expect(metrics.filesToRead == filesRead)
        #expect(metrics.filesSkippedByStats == 30 - filesRead)
        for p in 0...1 {
            let w = windows[p == 0 ? tp0 : tp1]
            #expect(w?.count == window)
            #expect(Self.contains(w, "s-\(p)-999"))
            #expect(Self.contains(w, "s-\(p)-\(1000 - window)"))
            #expect(!Self.contains(w, "s-\(p)-\(999 - window)"))
        }
    }

    @Test func partitionsAtDifferentOffsetsEachGetTheirOwnWindow() throws {
        let path = try Self.makeTable(commits: 10, perCommit: 100)
        let tp0 = TopicPartition(topic: Self.topic, partition: 0), tp1 = TopicPartition(topic: Self.topic, partition: 1)
        // Partition 1 refilled as if committed at 449 only (as from an older table state).
        let (windows, metrics) = try DedupRefill(keyColumn: "status_id", window: 100).windows(table: path, [tp0: 999, tp1: 449])
        // Statistics are per file, not per partition: p1's term (fs_offset > 349) keeps commits
        // 3...9, whose files hold p0's rows too; commits 0...2 are skipped unopened.
        #expect(metrics.filesToRead == 3 * 7)
        #expect(Self.contains(windows[tp1], "s-1-449"))
        #expect(Self.contains(windows[tp1], "s-1-350"))
        #expect(!Self.contains(windows[tp1], "s-1-450"))
        #expect(!Self.contains(windows[tp1], "s-1-349"))
        #expect(windows[tp0]?.count == 100)
    }

    @Test func onlyTheRefilledPartitionsAreRead() throws {
        let path = try Self.makeTable(commits: 4, perCommit: 50)
        let other = TopicPartition(topic: "another-topic", partition: 0)
        let (windows, metrics) = try DedupRefill(keyColumn: "status_id", window: 1_000_000).windows(table: path, [other: 199])
        #expect(windows.isEmpty)
        #expect(metrics.filesToRead == 0)
        let none = try DedupRefill(keyColumn: "status_id", window: 10).windows(table: path, [:])
        #expect(none.windows.isEmpty && none.metrics.filesTotal == 0)
    }
}
