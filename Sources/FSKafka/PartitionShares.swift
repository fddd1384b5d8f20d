/// How a micro-batch's `--max-offsets-per-trigger` is split across the partitions it reads:
/// Spark's rule for `maxOffsetsPerTrigger` (`KafkaMicroBatchStream.rateLimit`) — each partition
/// gets the limit times its share of the total lag, rounded down, and a partition whose share is
/// under one message gets one (Spark: "don't completely starve small topicpartitions"), never
/// more than its lag.
///
/// Why it matters beyond fidelity: without a split a micro-batch takes whatever librdkafka
/// fetched first, and the partitions drift apart in event time. On a time-ordered topic a batch
/// then spans the days between the slowest and the fastest partition instead of the few days
/// its messages cover — at 5M events in 320 partitions ~200–400 days per commit, each a day
/// file of its own, held open and buffered while the batch runs. Split by lag, the partitions
/// of an evenly loaded topic advance together, and a batch writes the days it actually covers.
public enum PartitionShares {
    /// The messages each partition may deliver in one micro-batch of at most `limit` messages.
    /// Partitions with no known lag (0: caught up, or the end not asked yet) get no share and
    /// are left unlimited; so is everything when no partition has a lag.
    public static func split(limit: Int, lags: [TopicPartition: Int64]) -> [TopicPartition: Int] {
        let behind = lags.filter { $0.value > 0 }
        let total = behind.values.reduce(0.0) { $0 + Double($1) }
        guard limit > 0, total >= 1 else { return [:] }
        var shares: [TopicPartition: Int] = [:]
        shares.reserveCapacity(behind.count)
        for (tp, lag) in behind {
            let prorated = Double(limit) * (Double(lag) / total)
            let whole = prorated < 1 ? prorated.rounded(.up) : prorated.rounded(.down)
            shares[tp] = Int(min(Double(lag), whole))
        }
        return shares
    }
}
