import CRdKafka

// Broker queries any client handle can make (a consumer's or a producer's): a producer that
// only needs to know whether a topic holds messages asks them itself instead of starting a
// consumer (a client of its own, with its threads and connections, for one answer).

/// The sorted partition ids of `topic` from the broker's metadata (`rd_kafka_metadata` on a
/// topic handle, freed with `rd_kafka_metadata_destroy` and `rd_kafka_topic_destroy`). Throws
/// UNKNOWN_TOPIC_OR_PART (or the topic's own error) when the broker does not list it.
func queryPartitions(_ rk: OpaquePointer, topic: String, timeout: Duration) throws(KafkaError) -> [Int32] {
    guard let rkt = rd_kafka_topic_new(rk, topic, nil) else {
        throw KafkaError(rd_kafka_last_error(), context: "topic handle for \(topic)")
    }
    defer { rd_kafka_topic_destroy(rkt) }
    var metadata: UnsafePointer<rd_kafka_metadata>?
    let err = rd_kafka_metadata(rk, 0, rkt, &metadata, Int32(milliseconds(timeout)))
    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "metadata for \(topic)") }
    guard let md = metadata else { throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, context: "metadata for \(topic)") }
    defer { rd_kafka_metadata_destroy(md) }
    for t in 0 ..< Int(md.pointee.topic_cnt) {
        let entry = md.pointee.topics[t]
        guard String(cString: entry.topic) == topic else { continue }
        if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(entry.err, context: "metadata for \(topic)") }
        var ids: [Int32] = []
        for p in 0 ..< Int(entry.partition_cnt) { ids.append(entry.partitions[p].id) }
        return ids.sorted()
    }
    throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, context: "metadata for \(topic)")
}

/// A partition's low and high watermarks asked from the broker (`rd_kafka_query_watermark_offsets`).
func queryWatermarks(_ rk: OpaquePointer, _ tp: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
    var low: Int64 = 0, high: Int64 = 0
    let err = rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &low, &high, Int32(milliseconds(timeout)))
    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: "watermarks of \(tp)") }
    return (low, high)
}

extension KafkaProducer {
    /// The partitions of `topic` (see `KafkaConsumer.partitions`), asked through this producer.
    /// A producer's metadata request may create the topic where the cluster auto-creates topics.
    public func partitions(topic: String, timeout: Duration) throws(KafkaError) -> [Int32] {
        try queryPartitions(rk, topic: topic, timeout: timeout)
    }

    /// A partition's low and high watermarks (see `KafkaConsumer.watermarks`), asked through
    /// this producer: whether a topic holds messages, without starting a consumer.
    public func watermarks(_ tp: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
        try queryWatermarks(rk, tp, timeout: timeout)
    }
}
