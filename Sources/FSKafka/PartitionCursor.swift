/// Where a partition without a committed offset starts (`--starting-offsets`; Spark's
/// `startingOffsets`).
public enum StartingOffsets: String, Sendable, Equatable {
    case earliest, latest
}

/// Where a job reads one assigned partition: the next offset it expects and the end it knows of.
/// The one cursor of every consumer of fs (fs-ingest, fs-agg-online's `--kafka-topics`), so the
/// rules below are written once:
///
/// ```
///  committed (last offset in the job's table) ──► start = committed + 1
///  none ──► low watermark (earliest) | high watermark (latest)
///  start < low watermark ──► start = low; offsets start..<low are reported lost (retention)
///  message offset < next ──► re-delivered (after a seek or a rebalance): skipped
///  end-of-partition event at offset e ──► next = max(next, e) (compacted gaps, transaction markers)
///  caught up ⇔ next ≥ high (available-now stops when every partition is)
/// ```
///
/// The position is in the job's table, not in the group: a cursor is always built from the
/// table's txns, so a restart or a rebalance resumes exactly where the last commit ended.
public struct PartitionCursor: Sendable, Equatable {
    /// Next offset expected; nil until the first message or end-of-partition event when the
    /// start was left to the broker (`KafkaOffset.beginning`/`.end` in group mode).
    public private(set) var next: Int64?
    /// The end to reach (available-now: the high watermark seen at assignment), or the last high
    /// watermark seen (the lag of a streaming run); nil when not asked yet.
    public var high: Int64?

    public init(next: Int64? = nil, high: Int64? = nil) {
        self.next = next
        self.high = high
    }

    /// A partition's start from the job's committed progress and the broker's watermarks.
    /// `lost` is the range the retention already deleted (non-empty only when the committed
    /// position fell below the low watermark): the caller reports it, it cannot be read again.
    public static func start(after committed: Int64?, watermarks: (low: Int64, high: Int64),
                             otherwise policy: StartingOffsets) -> (cursor: PartitionCursor, lost: Range<Int64>?) {
        let wanted = committed.map { $0 + 1 } ?? (policy == .earliest ? watermarks.low : watermarks.high)
        let start = max(wanted, watermarks.low)
        return (PartitionCursor(next: start, high: watermarks.high), wanted < watermarks.low ? wanted ..< watermarks.low : nil)
    }

    /// The offset to assign (seek to) when the broker's watermarks are not asked: after
    /// `committed`, else the logical beginning or end (the broker resolves it and clamps a
    /// position below its retention by `auto.offset.reset`).
    public static func assignmentOffset(after committed: Int64?, otherwise policy: StartingOffsets) -> Int64 {
        committed.map { $0 + 1 } ?? (policy == .earliest ? KafkaOffset.beginning : KafkaOffset.end)
    }

    /// Takes a message's offset: false when it lies below the next expected offset (a
    /// re-delivery of something already read), else moves the cursor past it.
    @inline(__always)
    public mutating func accept(_ offset: Int64) -> Bool {
        if let n = next, offset < n { return false }
        next = offset + 1
        return true
    }

    /// An end-of-partition event: everything below `offset` has been delivered (offsets
    /// without a message — compaction, transaction markers — are passed too).
    public mutating func reachEnd(at offset: Int64) {
        if next.map({ offset > $0 }) ?? true { next = offset }
    }

    /// Moves the cursor to `offset` (a seek): messages below it are skipped from now on.
    public mutating func seek(to offset: Int64) { next = offset }

    /// Nothing left before the known end. A partition never read is caught up only when it is
    /// known to be empty (high watermark unknown or 0).
    public var isCaughtUp: Bool {
        guard let h = high, let n = next else { return high == nil || high == 0 }
        return n >= h
    }

    /// Messages between the next offset and the known end (0 when the end is not known).
    public var lag: Int64 {
        guard let h = high else { return 0 }
        return max(0, h - (next ?? 0))
    }
}
