import FSKafka
import Testing

/// A micro-batch's trigger limit is split across partitions by lag (Spark's rule), and the
/// consumer holds each partition to its share exactly, losing nothing when it resumes.
@Suite("Per-partition message budgets")
struct MessageBudgetTests {
    func tp(_ p: Int32, _ topic: String = "t") -> TopicPartition { TopicPartition(topic: topic, partition: p) }

    @Test func theLimitIsSplitInProportionToTheLagRoundedDown() {
        let shares = PartitionShares.split(limit: 100, lags: [tp(0): 300, tp(1): 600, tp(2): 100])
        #expect(shares == [tp(0): 30, tp(1): 60, tp(2): 10])
        // 1000 × 1/3 = 333.3 each: rounded down, so the batch may fall a message or two short.
        let thirds = PartitionShares.split(limit: 1000, lags: [tp(0): 10_000, tp(1): 10_000, tp(2): 10_000])
        #expect(thirds == [tp(0): 333, tp(1): 333, tp(2): 333])
    }

    @Test func aShareUnderOneMessageIsOneAndNoShareExceedsTheLag() {
        // 10 × 1/1001 < 1: still one message (Spark does not starve small partitions).
        let shares = PartitionShares.split(limit: 10, lags: [tp(0): 1_000, tp(1): 1])
        #expect(shares == [tp(0): 9, tp(1): 1])
        // A limit above the total lag gives every partition its whole lag.
        #expect(PartitionShares.split(limit: 1_000, lags: [tp(0): 7, tp(1): 3, tp(2, "u"): 5]) == [tp(0): 7, tp(1): 3, tp(2, "u"): 5])
    }

    @Test func partitionsWithoutLagGetNoShare() {
        #expect(PartitionShares.split(limit: 100, lags: [tp(0): 0, tp(1): 50]) == [tp(1): 50])
        #expect(PartitionShares.split(limit: 100, lags: [tp(0): 0]).isEmpty)
        #expect(PartitionShares.split(limit: 0, lags: [tp(0): 10]).isEmpty)
    }

    /// Three partitions of 300 messages, budgets 37 / 11 / 0 (unlimited): the first two stop at
    /// exactly their budgets although librdkafka fetched further, the third is read to its end;
    /// after `liftLimits` the first two continue at the next offset, nothing skipped or repeated.
    @Test func aPartitionDeliversExactlyItsBudgetAndResumesAfterItsLastMessage() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 3)
        for p in Int32(0) ..< 3 { try KafkaFixture.produce(cluster, topic: "t", count: 300, partition: p) }
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign((0 ..< 3).map { TopicPartitionOffset(topic: "t", partition: $0, offset: KafkaOffset.beginning) })
        try consumer.limitMessages([tp(0): 37, tp(1): 11])
        // Partition 2 is unlimited: all of it arrives, and the limited two stop at their budgets.
        let first = try KafkaFixture.drain(consumer, expected: 37 + 11 + 300)
        #expect(first.filter { $0.partition == 0 }.map(\.offset) == (0 ..< 37).map(Int64.init))
        #expect(first.filter { $0.partition == 1 }.map(\.offset) == (0 ..< 11).map(Int64.init))
        #expect(first.filter { $0.partition == 2 }.count == 300)
        #expect(Set(consumer.spentPartitions) == [tp(0), tp(1)])
        // Nothing more while they are paused, though their next messages were fetched.
        #expect(try KafkaFixture.drain(consumer, expected: 1, deadline: .milliseconds(800)).isEmpty)

        try consumer.liftLimits()
        #expect(consumer.spentPartitions.isEmpty)
        let rest = try KafkaFixture.drain(consumer, expected: 263 + 289)
        #expect(rest.filter { $0.partition == 0 }.map(\.offset) == (37 ..< 300).map(Int64.init))
        #expect(rest.filter { $0.partition == 1 }.map(\.offset) == (11 ..< 300).map(Int64.init))
        #expect(rest.allSatisfy { $0.partition != 2 })
    }

    /// A partition paused by its budget and then revoked comes back unpaused when the group
    /// hands it out again (librdkafka keeps an application's pause across assignments).
    @Test func aSpentPartitionRevokedByTheGroupIsReadAgainWhenReassigned() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("g2", partitions: 2)
        for p in Int32(0) ..< 2 { try KafkaFixture.produce(cluster, topic: "g2", count: 200, partition: p) }
        let config = KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "budgets",
                                         sessionTimeout: .seconds(6), extra: ["heartbeat.interval.ms": "200"])
        let a = try KafkaConsumer(config: config)
        defer { a.close() }
        var assigned: [TopicPartition] = []
        var revocations = 0
        try a.subscribe(topics: ["g2"], onAssign: { tps in
            assigned += tps
            return tps.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: KafkaOffset.beginning) }
        }, onRevoke: { tps in revocations += 1; assigned.removeAll { tps.contains($0) } })
        let clock = ContinuousClock()
        var deadline = clock.now + .seconds(30)
        while assigned.count < 2 && clock.now < deadline { _ = try a.poll(maxMessages: 100, timeout: .milliseconds(100)) }
        #expect(assigned.count == 2)
        try a.limitMessages([tp(0, "g2"): 5, tp(1, "g2"): 5])
        #expect(try KafkaFixture.drain(a, expected: 10).count == 10)
        #expect(a.spentPartitions.count == 2)

        // A second member joins: every partition is revoked from `a`, one or both come back.
        let b = try KafkaConsumer(config: config)
        defer { b.close() }
        try b.subscribe(topics: ["g2"], onAssign: { tps in
            tps.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: KafkaOffset.end) }
        }, onRevoke: { _ in })
        var fromA: [Int32: Int] = [:]
        deadline = clock.now + .seconds(40)
        while clock.now < deadline {
            let batch = try a.poll(maxMessages: 500, timeout: .milliseconds(100))
            _ = try b.poll(maxMessages: 500, timeout: .milliseconds(10))
            for i in 0 ..< batch.count where revocations > 0 { fromA[batch.partition(i), default: 0] += 1 }
            if revocations > 0, !assigned.isEmpty, assigned.allSatisfy({ fromA[$0.partition] == 200 }) { break }
        }
        #expect(revocations > 0)
        #expect(!assigned.isEmpty)
        #expect(a.spentPartitions.isEmpty)
        // Whatever came back to `a` is read again from its start (its onAssign says so), in full.
        for tp in assigned { #expect(fromA[tp.partition] == 200, "\(tp) after the rebalance: \(fromA[tp.partition] ?? 0) of 200") }
    }
}
