import FSKafka
import Synchronization
import Testing

@Suite("Consumer groups")
struct ConsumerGroupTests {
    /// Two members of one group on a 4-partition topic: the rebalance splits the partitions, and
    /// together they see every message exactly once.
    @Test func twoMembersSplitPartitionsAndSeeEveryMessageOnce() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("g4", partitions: 4)
        let total = 400

        let config = KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "fs-group",
                                         sessionTimeout: .seconds(6), extra: ["heartbeat.interval.ms": "200"])
        let a = try KafkaConsumer(config: config)
        let b = try KafkaConsumer(config: config)
        defer { a.close(); b.close() }
        var assignedA: [TopicPartition] = [], assignedB: [TopicPartition] = []
        var revoked = 0
        try a.subscribe(topics: ["g4"], onAssign: { tps in
            assignedA += tps
            return tps.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: KafkaOffset.beginning) }
        }, onRevoke: { tps in revoked += tps.count; assignedA.removeAll { tps.contains($0) } })
        try b.subscribe(topics: ["g4"], onAssign: { tps in
            assignedB += tps
            return tps.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: KafkaOffset.beginning) }
        }, onRevoke: { tps in revoked += tps.count; assignedB.removeAll { tps.contains($0) } })

        // Let the group settle with both members before any message exists: a member that joined
        // alone would otherwise read partitions it then hands over (that is the ingest job's
        // onRevoke commit to handle, not what this test is about).
        let clock = ContinuousClock()
        let settleBy = clock.now + .seconds(40)
        while clock.now < settleBy && (assignedA.isEmpty || assignedB.isEmpty || Set(assignedA + assignedB).count < 4) {
            for consumer in [a, b] { _ = try consumer.poll(maxMessages: 500, timeout: .milliseconds(100)) }
        }
        try KafkaFixture.produce(cluster, topic: "g4", count: total)

        // Poll both until every message was seen.
        var seenA: [String: Int] = [:], seenB: [String: Int] = [:]
        let end = clock.now + .seconds(40)
        while clock.now < end {
            for (consumer, isA) in [(a, true), (b, false)] {
                let batch = try consumer.poll(maxMessages: 500, timeout: .milliseconds(100))
                for i in 0 ..< batch.count {
                    let key = batch.withKey(i) { $0.map { String(decoding: $0, as: UTF8.self) } } ?? ""
                    if isA { seenA[key, default: 0] += 1 } else { seenB[key, default: 0] += 1 }
                }
            }
            let settled = !assignedA.isEmpty && !assignedB.isEmpty
            if settled && seenA.count + seenB.count >= total && Set(seenA.keys).isDisjoint(with: seenB.keys) { break }
        }
        #expect(!assignedA.isEmpty && !assignedB.isEmpty)
        #expect(Set(assignedA).isDisjoint(with: Set(assignedB)))
        #expect(Set(assignedA + assignedB).count == 4)
        #expect(Set(a.assignment) == Set(assignedA))
        // Every key seen, each by exactly one member once (a rebalance before any poll delivered
        // nothing twice because both start from the beginning only for partitions they newly own).
        let all = Set(seenA.keys).union(seenB.keys)
        #expect(all.count == total)
        #expect(Set(seenA.keys).isDisjoint(with: seenB.keys))
        #expect(seenA.values.allSatisfy { $0 == 1 } && seenB.values.allSatisfy { $0 == 1 })
    }
}
