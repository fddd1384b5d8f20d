/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// By topic, then partition: the order fs logs and decides in, so its output is deterministic.
extension TopicPartition: Comparable {
    public static func < (a: TopicPartition, b: TopicPartition) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

/// A partition and the offset of the NEXT message to read (Kafka's convention: the committed
/// offset of a consumer that has read up to and including offset n is n + 1).
/// `KafkaOffset.beginning` / `.end` are accepted wherever an offset is a starting point.
public struct TopicPartitionOffset: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
    public var description: String { "\(topic)[\(partition)]@\(offset)" }
}

/// librdkafka's logical offsets (`RD_KAFKA_OFFSET_BEGINNING` = -2, `RD_KAFKA_OFFSET_END` = -1).
public enum KafkaOffset {
    /// The partition's low watermark: everything still retained.
    public static let beginning: Int64 = -2
    /// The partition's high watermark: only messages produced from now on.
    public static let end: Int64 = -1
}
