import FSKafka
import Testing

/// The consumer's prefetch memory is one budget: the queue limit (consumer-wide in librdkafka's
/// high-level consumer) does not grow with the partitions, and each partition's fetch share
/// stays within Kafka's useful range.
@Suite struct PrefetchBudgetTests {
    @Test(arguments: [1, 4, 64, 320, 5_000])
    func theQueueLimitIsTheSameForAnyPartitionCount(partitions: Int) {
        let b = PrefetchBudget(partitions: partitions, queuedBytes: 16 << 20, fetchBytes: 8 << 20)
        #expect(b.properties["queued.max.messages.kbytes"] == String(16 << 10))
        #expect(b.properties["queued.min.messages"] == "10000000")
        let share = b.fetchBytesPerPartition
        #expect(share >= 64 << 10 && share <= 1 << 20)
        #expect(b.properties["max.partition.fetch.bytes"] == String(share))
        #expect(b.fetchMaxBytes == 8 << 20)
    }

    @Test func fetchSharesSplitTheResponseAndClampAtBothEnds() {
        #expect(PrefetchBudget(partitions: 64, fetchBytes: 8 << 20).fetchBytesPerPartition == 128 << 10)
        #expect(PrefetchBudget(partitions: 1, fetchBytes: 8 << 20).fetchBytesPerPartition == 1 << 20)
        #expect(PrefetchBudget(partitions: 10_000, fetchBytes: 8 << 20).fetchBytesPerPartition == 64 << 10)
        // Zero or negative partition counts (a topic not created yet) count as one.
        #expect(PrefetchBudget(partitions: 0).partitions == 1)
        // librdkafka rejects fetch.max.bytes below message.max.bytes (1,000,000).
        #expect(PrefetchBudget(partitions: 4, fetchBytes: 1).fetchMaxBytes == 1 << 20)
    }

    /// The budget is accepted by librdkafka as a consumer configuration.
    @Test func librdkafkaAcceptsTheBudget() throws {
        let b = PrefetchBudget(partitions: 320)
        let consumer = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: "127.0.0.1:1", groupId: "g", fetchMaxBytes: b.fetchMaxBytes,
                                                                     extra: b.properties))
        consumer.close()
    }
}
