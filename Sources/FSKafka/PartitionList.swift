import CRdKafka

/// Conversions between our partition types and `rd_kafka_topic_partition_list_t`.
///
/// Ownership: `makePartitionList` returns a list the CALLER frees with
/// `rd_kafka_topic_partition_list_destroy` (use `withPartitionList`, which does it);
/// `readPartitionList` only reads a list it does not own.
enum PartitionList {
    /// Runs `body` with a fresh list holding `entries` (`rd_kafka_topic_partition_list_new` +
    /// `_add`), destroying it afterwards.
    static func with<R, E: Error>(_ entries: [TopicPartitionOffset], _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) throws(E) -> R) throws(E) -> R {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: max(entries.count, 1)))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for e in entries {
            let p = rd_kafka_topic_partition_list_add(list, e.topic, e.partition)!
            p.pointee.offset = e.offset
        }
        return try body(list)
    }

    /// The entries of a list owned by someone else (librdkafka in a callback, or the caller).
    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartitionOffset] {
        var result: [TopicPartitionOffset] = []
        result.reserveCapacity(Int(list.pointee.cnt))
        guard let elems = list.pointee.elems else { return result }
        for i in 0 ..< Int(list.pointee.cnt) {
            let e = elems[i]
            result.append(TopicPartitionOffset(topic: String(cString: e.topic), partition: e.partition, offset: e.offset))
        }
        return result
    }

    /// The first per-partition error in a list (e.g. after `rd_kafka_commit`), if any.
    static func firstError(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>, context: String) -> KafkaError? {
        guard let elems = list.pointee.elems else { return nil }
        for i in 0 ..< Int(list.pointee.cnt) where elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return KafkaError(elems[i].err, context: "\(context) \(String(cString: elems[i].topic))[\(elems[i].partition)]")
        }
        return nil
    }
}
