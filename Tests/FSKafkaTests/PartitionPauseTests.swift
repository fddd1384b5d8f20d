import FSKafka
import Testing

/// `KafkaConsumer.pause` / `resume`: a paused partition delivers nothing more, even what
/// librdkafka had fetched ahead, and resumes after the last message delivered — nothing
/// skipped, nothing repeated; a rebalance lifts the pause of a partition that moves.
@Suite("Partition pause and resume")
struct PartitionPauseTests {
    private func tp(_ p: Int32, _ topic: String) -> TopicPartition { TopicPartition(topic: topic, partition: p) }

    /// Three partitions of 300 messages, polled one message at a time: partition 0 is paused
    /// after its 37th message and partition 1 after its 11th, partition 2 is read to its end;
    /// after the resume the two continue at exactly the next offset.
    @Test func aPausedPartitionDeliversNothingMoreAndResumesAfterItsLastMessage() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 3)
        for p in Int32(0) ..< 3 { try KafkaFixture.produce(cluster, topic: "t", count: 300, partition: p) }
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign((0 ..< 3).map { TopicPartitionOffset(topic: "t", partition: $0, offset: KafkaOffset.beginning) })
        let stopAt: [Int32: Int] = [0: 37, 1: 11]
        var offsets: [Int32: [Int64]] = [:]
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while (offsets[2]?.count ?? 0) < 300 || stopAt.contains(where: { (offsets[$0.key]?.count ?? 0) < $0.value }), clock.now < deadline {
            let batch = try consumer.poll(maxMessages: 1, timeout: .milliseconds(200))
            guard batch.count == 1 else { continue }
            let p = batch.partition(0)
            offsets[p, default: []].append(batch.offset(0))
            if let stop = stopAt[p], offsets[p]!.count == stop { try consumer.pause([tp(p, "t")]) }
        }
        #expect(offsets[0] == (0 ..< 37).map(Int64.init))
        #expect(offsets[1] == (0 ..< 11).map(Int64.init))
        #expect(offsets[2] == (0 ..< 300).map(Int64.init))
        #expect(consumer.pausedPartitions == [tp(0, "t"), tp(1, "t")])
        // Nothing more while they are paused, though their next messages had been fetched.
        #expect(try KafkaFixture.drain(consumer, expected: 1, deadline: .milliseconds(800)).isEmpty)

        try consumer.resume([tp(0, "t"), tp(1, "t")])
        #expect(consumer.pausedPartitions.isEmpty)
        let rest = try KafkaFixture.drain(consumer, expected: 263 + 289)
        #expect(rest.filter { $0.partition == 0 }.map(\.offset) == (37 ..< 300).map(Int64.init))
        #expect(rest.filter { $0.partition == 1 }.map(\.offset) == (11 ..< 300).map(Int64.init))
        #expect(rest.allSatisfy { $0.partition != 2 })
    }

    /// A paused partition revoked by the group comes back unpaused when it is handed out again
    /// (librdkafka keeps an application's pause across assignments). This test fails when the
    /// rebalance callback does not lift the pause: the partition is assigned but never read.
    @Test func aPausedPartitionRevokedByTheGroupIsReadAgainWhenReassigned() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("g2", partitions: 2)
        for p in Int32(0) ..< 2 { try KafkaFixture.produce(cluster, topic: "g2", count: 200, partition: p) }
        let config = KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "pauses",
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
        try a.pause([tp(0, "g2"), tp(1, "g2")])
        #expect(try KafkaFixture.drain(a, expected: 1, deadline: .milliseconds(500)).isEmpty)

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
        #expect(a.pausedPartitions.isEmpty)
        // Whatever came back to `a` is read again from its start (its onAssign says so), in full.
        for tp in assigned { #expect(fromA[tp.partition] == 200, "\(tp) after the rebalance: \(fromA[tp.partition] ?? 0) of 200") }
    }

    /// `assign` replaces the assignment and lifts every pause with it.
    @Test func anAssignmentLiftsThePausesOfTheOneBefore() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("a", partitions: 1)
        try KafkaFixture.produce(cluster, topic: "a", count: 50, partition: 0)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "a", partition: 0, offset: KafkaOffset.beginning)])
        try consumer.pause([tp(0, "a")])
        #expect(try KafkaFixture.drain(consumer, expected: 1, deadline: .milliseconds(500)).isEmpty)
        try consumer.assign([TopicPartitionOffset(topic: "a", partition: 0, offset: 10)])
        #expect(consumer.pausedPartitions.isEmpty)
        #expect(try KafkaFixture.drain(consumer, expected: 40).map(\.offset) == (10 ..< 50).map(Int64.init))
    }
}
