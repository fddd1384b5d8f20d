import FSKafka
import Testing

/// Shared helpers: a fresh mock cluster per test, producing known keyed messages, draining a consumer.
enum KafkaFixture {
    static func payload(_ i: Int) -> [UInt8] { Array("{\"n\":\(i),\"name\":\"ação-\(i)\"}".utf8) }
    static func key(_ i: Int) -> [UInt8] { Array("key-\(i)".utf8) }

    static func produce(_ cluster: MockKafkaCluster, topic: String, count: Int, partition: Int32? = nil) throws {
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        for i in 0 ..< count { try producer.produce(topic: topic, partition: partition, key: key(i), value: payload(i)) }
        try producer.flush(timeout: .seconds(10))
    }

    /// Polls until `expected` messages arrived or `deadline` passed; returns (key, value, partition, offset).
    static func drain(_ consumer: KafkaConsumer, expected: Int, deadline: Duration = .seconds(20)) throws -> [(key: String?, value: String, partition: Int32, offset: Int64)] {
        var seen: [(key: String?, value: String, partition: Int32, offset: Int64)] = []
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while seen.count < expected && clock.now < end {
            let batch = try consumer.poll(maxMessages: 1000, timeout: .milliseconds(200))
            for i in 0 ..< batch.count {
                let k = batch.withKey(i) { $0.map { String(decoding: $0, as: UTF8.self) } }
                let v = batch.withValue(i) { String(decoding: $0, as: UTF8.self) }
                seen.append((k, v, batch.partition(i), batch.offset(i)))
            }
        }
        return seen
    }
}

@Suite("Mock cluster round trips")
struct MockClusterTests {
    @Test func producedKeyedMessagesAreConsumedExactlyFromTheBeginning() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 1)
        try KafkaFixture.produce(cluster, topic: "t", count: 500)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "t", partition: 0, offset: KafkaOffset.beginning)])
        let seen = try KafkaFixture.drain(consumer, expected: 500)
        #expect(seen.count == 500)
        for (i, m) in seen.enumerated() {
            #expect(m.key == "key-\(i)")
            #expect(m.value == String(decoding: KafkaFixture.payload(i), as: UTF8.self))
            #expect(m.offset == Int64(i))
            #expect(m.partition == 0)
        }
        #expect(consumer.assignment == [TopicPartition(topic: "t", partition: 0)])
    }

    @Test func assignAtAnOffsetStartsThere() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 1)
        try KafkaFixture.produce(cluster, topic: "t", count: 10)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "t", partition: 0, offset: 7)])
        let seen = try KafkaFixture.drain(consumer, expected: 3)
        #expect(seen.map(\.offset) == [7, 8, 9])
        #expect(try consumer.poll(maxMessages: 10, timeout: .milliseconds(300)).count == 0)
    }

    @Test func nullKeysEmptyValuesAndBatchBytesAreKept() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 1)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers, compression: "none"))
        try producer.produce(topic: "t", key: nil, value: [])
        try producer.produce(topic: "t", key: [], value: Array("é".utf8))
        try producer.flush(timeout: .seconds(10))
        #expect(producer.deliveredCount == 2)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        try consumer.assign([TopicPartitionOffset(topic: "t", partition: 0, offset: KafkaOffset.beginning)])
        // The two messages may arrive in one poll or in two: collect them across polls.
        struct Seen { var key: [UInt8]?; var keyRangeIsEmpty: Bool?; var value: [UInt8]; var topic: String; var timestamp: Int64? }
        var seen: [Seen] = []
        let clock = ContinuousClock()
        let end = clock.now + .seconds(30)
        while seen.count < 2 && clock.now < end {
            let b = try consumer.poll(maxMessages: 10, timeout: .milliseconds(200))
            for i in 0 ..< b.count {
                seen.append(Seen(key: b.withKey(i) { $0.map(Array.init) }, keyRangeIsEmpty: b.keyRange(i)?.isEmpty,
                                 value: b.withValue(i) { Array($0) }, topic: b.topic(i), timestamp: b.timestampMillis(i)))
            }
        }
        #expect(seen.count == 2)
        guard seen.count == 2 else { return }
        #expect(seen[0].key == nil && seen[0].keyRangeIsEmpty == nil)
        #expect(seen[0].value.isEmpty)
        #expect(seen[1].key == [] && seen[1].keyRangeIsEmpty == true)
        #expect(seen[1].value == Array("é".utf8))
        #expect(seen[1].topic == "t")
        #expect(seen[1].timestamp != nil)
    }

    /// A holding poll hands out librdkafka's own message bytes: they must read the same as
    /// copies, survive in a copy of the batch after the next poll (only the copy's last
    /// reference destroys them), and a batch still holding messages must not hang `close`.
    @Test func aHoldingPollReadsTheSameMessagesAndReleasesThemOnClose() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("t", partitions: 1)
        try KafkaFixture.produce(cluster, topic: "t", count: 300)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        try consumer.assign([TopicPartitionOffset(topic: "t", partition: 0, offset: KafkaOffset.beginning)])
        var batch = MessageBatch()
        var seen: [(key: [UInt8]?, value: [UInt8], offset: Int64, count: Int)] = []
        var kept: MessageBatch? = nil
        let clock = ContinuousClock()
        let end = clock.now + .seconds(30)
        while seen.count < 300 && clock.now < end {
            try consumer.poll(into: &batch, maxMessages: 100, timeout: .milliseconds(200), holding: true)
            for i in 0 ..< batch.count {
                seen.append((batch.withKey(i) { $0.map(Array.init) }, batch.withValue(i) { Array($0) }, batch.offset(i), batch.valueCount(i)))
            }
            if kept == nil && batch.count > 0 { kept = batch }
        }
        #expect(seen.count == 300)
        for (i, m) in seen.enumerated() {
            #expect(m.key == KafkaFixture.key(i) && m.value == KafkaFixture.payload(i) && m.count == m.value.count && m.offset == Int64(i))
        }
        // The first poll's copy still reads its messages after later polls emptied `batch`.
        if let k = kept {
            #expect(k.withValue(0) { Array($0) } == KafkaFixture.payload(0))
            #expect(k.withKey(0) { $0.map(Array.init) } == KafkaFixture.key(0))
        }
        kept = nil
        // `batch` still holds the last poll's messages: close releases them instead of waiting.
        #expect(batch.count > 0)
        consumer.close()
        batch.removeAll()
        #expect(batch.count == 0)
    }

    @Test func watermarksAndPartitionsComeFromTheBroker() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("w", partitions: 3)
        try KafkaFixture.produce(cluster, topic: "w", count: 7, partition: 2)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        #expect(try consumer.partitions(topic: "w", timeout: .seconds(5)) == [0, 1, 2])
        let p2 = try consumer.watermarks(TopicPartition(topic: "w", partition: 2), timeout: .seconds(5))
        #expect(p2.low == 0 && p2.high == 7)
        let p0 = try consumer.watermarks(TopicPartition(topic: "w", partition: 0), timeout: .seconds(5))
        #expect(p0.low == 0 && p0.high == 0)
    }

    /// `wakeFetcher` queries in the background beside `poll` (one at a time), and `close` waits
    /// for a query still in flight instead of freeing the handle under it.
    @Test func aWakeFetcherQueryRunsBesidePollAndCloseWaitsForIt() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("n", partitions: 2)
        try KafkaFixture.produce(cluster, topic: "n", count: 50, partition: 1)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        try consumer.assign([TopicPartitionOffset(topic: "n", partition: 1, offset: KafkaOffset.beginning)])
        let tp = TopicPartition(topic: "n", partition: 1)
        var batch = MessageBatch()
        var seen = 0, sent = 0
        let clock = ContinuousClock()
        let end = clock.now + .seconds(30)
        while seen < 50 && clock.now < end {
            if consumer.wakeFetcher(asking: tp, timeout: .seconds(5)) { sent += 1 }
            try consumer.poll(into: &batch, maxMessages: 10, timeout: .milliseconds(200), holding: true)
            seen += batch.count
        }
        #expect(seen == 50 && sent >= 1)
        // The answer is dropped; the broker's state is what a foreground query still reads.
        let marks = try consumer.watermarks(tp, timeout: .seconds(5))
        #expect(marks.low == 0 && marks.high == 50)
        _ = consumer.wakeFetcher(asking: tp, timeout: .seconds(5))
        consumer.close()
        #expect(!consumer.wakeFetcher(asking: tp, timeout: .seconds(5)))
    }

    @Test func aProducerWarmUpCreatesAnUnknownTopicAndListsAKnownOne() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("known", partitions: 2)
        let producer = try KafkaProducer(config: KafkaProducerConfig(bootstrapServers: cluster.bootstrapServers))
        #expect(producer.warmUp(topic: "known", timeout: .seconds(5)))
        #expect(producer.warmUp(topic: "fresh", timeout: .seconds(5)))
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: cluster.bootstrapServers, groupId: "g"))
        defer { consumer.close() }
        #expect(try !consumer.partitions(topic: "fresh", timeout: .seconds(5)).isEmpty)
    }

    @Test func creatingATopicTwiceIsAnError() throws {
        let cluster = try MockKafkaCluster()
        try cluster.createTopic("dup", partitions: 1)
        #expect(throws: KafkaError.self) { try cluster.createTopic("dup", partitions: 1) }
        #expect(throws: KafkaError.self) { try cluster.createTopic("zero", partitions: 0) }
    }
}
