import FSKafka
import Logging

/// Where every partition of a job's topics starts when the job assigns them itself (fs-ingest
/// `--available-now`, fs-agg-online `--kafka-topics`): one `PartitionCursor` per partition from
/// the offsets the job's table committed and the broker's watermarks, and the assignment that
/// seeks each consumer partition there.
///
/// Both jobs ask the brokers through their own retry (`BrokerRetry` with the job's messages),
/// so the two metadata requests come in as closures; a partition whose start fell below the
/// retention is logged once, with the lost range, here.
struct KafkaStartPositions {
    /// Every partition of the topics, at its start.
    var cursors: [TopicPartition: PartitionCursor] = [:]
    /// The partitions to read and where (with `skipCaughtUp`, only those with messages left).
    var assignment: [TopicPartitionOffset] = []
    /// Messages the retention deleted before the job read them, summed over the partitions.
    var lostMessages: Int64 = 0

    /// - Parameters:
    ///   - committed: per partition, the last offset the job's table includes (nil: none).
    ///   - skipCaughtUp: leave out partitions with nothing to read (a bounded run).
    init(topics: [String], committed: (TopicPartition) -> Int64?, otherwise policy: StartingOffsets, skipCaughtUp: Bool,
         partitions: (String) throws -> [Int32], watermarks: (TopicPartition) throws -> (low: Int64, high: Int64),
         logger: Logger) throws {
        for topic in topics {
            for p in try partitions(topic) {
                let tp = TopicPartition(topic: topic, partition: p)
                let (cursor, lost) = Self.start(tp, after: committed(tp), watermarks: try watermarks(tp), otherwise: policy, logger: logger)
                lostMessages += lost
                cursors[tp] = cursor
                if let next = cursor.next, !(skipCaughtUp && cursor.isCaughtUp) {
                    assignment.append(TopicPartitionOffset(topic: topic, partition: p, offset: next))
                }
            }
        }
    }

    /// One partition's cursor (`PartitionCursor.start`), with the warning that names the
    /// offsets the retention deleted before the job read them; returns how many those are.
    static func start(_ tp: TopicPartition, after committed: Int64?, watermarks: (low: Int64, high: Int64), otherwise policy: StartingOffsets,
                      logger: Logger) -> (cursor: PartitionCursor, lost: Int64) {
        let (cursor, lost) = PartitionCursor.start(after: committed, watermarks: watermarks, otherwise: policy)
        guard let lost else { return (cursor, 0) }
        logger.warning("\(tp): offsets \(lost.lowerBound)..<\(lost.upperBound) are gone from the broker (retention); resuming at \(lost.upperBound)")
        return (cursor, Int64(lost.count))
    }
}
