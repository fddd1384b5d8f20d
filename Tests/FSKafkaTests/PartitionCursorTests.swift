import FSKafka
@testable import FSJobs
import Logging
import Testing

/// `PartitionCursor` and `KafkaStartPositions`: the start, retention clamp, re-delivery skip and
/// end-of-partition rules that fs-ingest and fs-agg-online's Kafka mode both read partitions by.
@Suite("Kafka partition cursor")
struct PartitionCursorTests {
    @Test(arguments: [
        // committed, low, high, policy, expected next, expected lost
        (Int64?.none, Int64(0), Int64(10), StartingOffsets.earliest, Int64(0), Range<Int64>?.none),
        (nil, 0, 10, .latest, 10, nil),
        (nil, 4, 10, .earliest, 4, nil),
        (3, 0, 10, .earliest, 4, nil),
        (3, 0, 10, .latest, 4, nil),
        (9, 0, 10, .earliest, 10, nil),
        (2, 5, 10, .earliest, 5, 3 ..< 5),
        (-1, 0, 0, .earliest, 0, nil),
        (41, 100, 100, .latest, 100, 42 ..< 100),
    ])
    func startFollowsTheCommittedOffsetAndClampsToTheRetention(
        committed: Int64?, low: Int64, high: Int64, policy: StartingOffsets, next: Int64, lost: Range<Int64>?
    ) {
        let (cursor, gap) = PartitionCursor.start(after: committed, watermarks: (low, high), otherwise: policy)
        #expect(cursor.next == next)
        #expect(cursor.high == high)
        #expect(gap == lost)
    }

    @Test func assignmentOffsetIsAfterTheCommitOrTheLogicalEnd() {
        #expect(PartitionCursor.assignmentOffset(after: 7, otherwise: .latest) == 8)
        #expect(PartitionCursor.assignmentOffset(after: nil, otherwise: .earliest) == KafkaOffset.beginning)
        #expect(PartitionCursor.assignmentOffset(after: nil, otherwise: .latest) == KafkaOffset.end)
    }

    /// `accept` outside `#expect`, which cannot call a mutating method.
    private func accepts(_ c: inout PartitionCursor, _ offset: Int64) -> Bool { c.accept(offset) }

    @Test func offsetsBelowTheNextAreRefusedAndOthersMoveTheCursor() {
        var c = PartitionCursor(next: 5, high: 10)
        #expect(accepts(&c, 4) == false)
        #expect(c.next == 5)
        #expect(accepts(&c, 5) == true)
        #expect(accepts(&c, 8) == true)  // a gap (compaction) is not a re-delivery
        #expect(c.next == 9)
        #expect(accepts(&c, 8) == false)
        c.seek(to: 2)
        #expect(accepts(&c, 2) == true)
    }

    @Test func aCursorWithoutAStartTakesTheFirstOffsetItSees() {
        var c = PartitionCursor()
        #expect(accepts(&c, 17) == true)
        #expect(c.next == 18)
    }

    @Test func endOfPartitionOnlyMovesTheCursorForward() {
        var c = PartitionCursor(next: nil, high: 10)
        #expect(!c.isCaughtUp)
        c.reachEnd(at: 10)
        #expect(c.next == 10)
        #expect(c.isCaughtUp)
        c.reachEnd(at: 3)
        #expect(c.next == 10)
    }

    @Test func caughtUpAndLagFollowTheKnownEnd() {
        #expect(PartitionCursor().isCaughtUp)  // never asked: nothing known to read
        #expect(PartitionCursor(next: nil, high: 0).isCaughtUp)
        #expect(!PartitionCursor(next: nil, high: 3).isCaughtUp)
        #expect(PartitionCursor(next: nil, high: 3).lag == 3)
        #expect(PartitionCursor(next: 7, high: 10).lag == 3)
        #expect(PartitionCursor(next: 12, high: 10).lag == 0)
        #expect(PartitionCursor(next: 12, high: nil).lag == 0)
    }

    @Test func startPositionsReportTheRetentionGapAndSkipCaughtUpPartitions() throws {
        let marks: [Int32: (low: Int64, high: Int64)] = [0: (5, 10), 1: (0, 4), 2: (0, 0)]
        let starts = try KafkaStartPositions(
            topics: ["t"], committed: { $0.partition == 0 ? 2 : ($0.partition == 1 ? 3 : nil) }, otherwise: .earliest, skipCaughtUp: true,
            partitions: { _ in [0, 1, 2] }, watermarks: { marks[$0.partition]! }, logger: Logger(label: "test"))
        #expect(starts.cursors[TopicPartition(topic: "t", partition: 0)] == PartitionCursor(next: 5, high: 10))
        #expect(starts.cursors[TopicPartition(topic: "t", partition: 1)] == PartitionCursor(next: 4, high: 4))
        #expect(starts.cursors[TopicPartition(topic: "t", partition: 2)] == PartitionCursor(next: 0, high: 0))
        #expect(starts.assignment == [TopicPartitionOffset(topic: "t", partition: 0, offset: 5)])
        #expect(starts.lostMessages == 2)
        let streaming = try KafkaStartPositions(
            topics: ["t"], committed: { _ in nil }, otherwise: .latest, skipCaughtUp: false,
            partitions: { _ in [0, 1, 2] }, watermarks: { marks[$0.partition]! }, logger: Logger(label: "test"))
        #expect(streaming.assignment.map(\.offset) == [10, 4, 0])
        #expect(streaming.lostMessages == 0)
    }

    @Test func aMockClusterReadIsSkippedWhenReDeliveredAndEndsAtTheEndOfPartitionEvent() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 2)
        try KafkaFixture.produce(cluster, topic: "t", count: 10, partition: 0)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g",
                                                                     extra: ["enable.partition.eof": "true"]))
        defer { consumer.close() }
        var starts = try KafkaStartPositions(
            topics: ["t"], committed: { $0.partition == 0 ? 3 : nil }, otherwise: .earliest, skipCaughtUp: true,
            partitions: { try consumer.partitions(topic: $0, timeout: .seconds(5)) },
            watermarks: { try consumer.watermarks($0, timeout: .seconds(5)) }, logger: Logger(label: "test"))
        let p0 = TopicPartition(topic: "t", partition: 0), p1 = TopicPartition(topic: "t", partition: 1)
        #expect(starts.assignment == [TopicPartitionOffset(topic: "t", partition: 0, offset: 4)])
        #expect(starts.cursors[p1] == PartitionCursor(next: 0, high: 0))
        try consumer.assign(starts.assignment)
        var accepted: [Int64] = [], skipped: [Int64] = []
        func read(until done: () -> Bool) throws {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            while !done() && clock.now < deadline {
                let batch = try consumer.poll(maxMessages: 100, timeout: .milliseconds(200))
                for i in 0 ..< batch.count {
                    if starts.cursors[p0]!.accept(batch.offset(i)) { accepted.append(batch.offset(i)) } else { skipped.append(batch.offset(i)) }
                }
                for e in batch.reachedEnd { starts.cursors[e.topicPartition]?.reachEnd(at: e.offset) }
            }
        }
        try read { starts.cursors.values.allSatisfy(\.isCaughtUp) }
        #expect(accepted == Array(4 ..< 10))
        #expect(starts.cursors[p0]?.next == 10)
        // A seek back (what a rebalance or a retried fetch can do) re-delivers 6..<10: all skipped.
        try consumer.assign([TopicPartitionOffset(topic: "t", partition: 0, offset: 6)])
        try read { skipped.count >= 4 }
        #expect(skipped == Array(6 ..< 10))
        #expect(accepted == Array(4 ..< 10))
    }
}
