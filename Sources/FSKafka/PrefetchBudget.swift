/// How much a consumer may fetch ahead: one fixed memory budget, whatever the partition count.
///
/// With librdkafka's high-level consumer (ours: `rd_kafka_consumer_poll`), every partition's
/// fetch queue forwards to the one consumer queue, and `queued.max.messages.kbytes` /
/// `queued.min.messages` are checked against that queue: they are totals, not per partition
/// (CONFIGURATION.md says so; `rd_kafka_q_size` follows the forward). What does grow with the
/// partitions is a fetch response: it asks each partition for `max.partition.fetch.bytes`
/// (compressed), up to `fetch.max.bytes`, and is decompressed whole before it is queued. So the
/// budget is `queuedBytes` of queue plus one response of at most `fetchBytes` (Kafka still
/// returns at least one record batch per partition, so a small share never stalls a partition).
///
/// Why the queue is not small: librdkafka 2.0 stops fetching while the queue is over its limit
/// and looks again only when its broker thread wakes — after the next response or ~1 s later. A
/// 1 MiB queue (tried) left fs-ingest waiting in `poll` for 75 of 90 s; the queue has to hold
/// more than one response's worth of messages for fetches to overlap the parsing.
public struct PrefetchBudget: Sendable, Equatable {
    /// Payload bytes queued locally, all partitions together.
    public var queuedBytes: Int
    /// Compressed bytes one fetch response may carry, all partitions together.
    public var fetchBytes: Int
    /// Partitions the fetch share is split over (at least 1).
    public var partitions: Int

    public init(partitions: Int, queuedBytes: Int = 64 << 20, fetchBytes: Int = 16 << 20) {
        self.partitions = max(1, partitions)
        self.queuedBytes = queuedBytes
        self.fetchBytes = fetchBytes
    }

    /// `max.partition.fetch.bytes`: a partition's share of a fetch response (64 KiB ... 1 MiB).
    public var fetchBytesPerPartition: Int { min(max(fetchBytes / partitions, 64 << 10), 1 << 20) }

    /// `fetch.max.bytes` for `KafkaConsumerConfig.fetchMaxBytes`: librdkafka requires at least
    /// `message.max.bytes` (1,000,000 by default).
    public var fetchMaxBytes: Int { max(fetchBytes, 1 << 20) }

    /// The librdkafka properties of the budget (besides `fetch.max.bytes`). The message-count
    /// limit is lifted to librdkafka's maximum so the byte limit alone decides: a count limit
    /// starves small messages or overfills with big ones.
    public var properties: [String: String] {
        ["queued.max.messages.kbytes": String(max(queuedBytes >> 10, 1)),
         "max.partition.fetch.bytes": String(fetchBytesPerPartition),
         "queued.min.messages": "10000000"]
    }
}
