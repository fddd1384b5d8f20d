/// Keeps the partitions a consumer is catching up on in step: which to pause because they ran
/// ahead of the slowest one, and which to resume because it came close again.
///
/// Why: a consumer takes whatever its fetches return, and a fetch response serves the partitions
/// in the order of the request up to `fetch.max.bytes` (librdkafka's mock broker: one record
/// batch each). With many partitions some are left out of response after response and fall
/// behind. On a topic in event-time order a micro-batch then spans the days between the slowest
/// and the fastest partition, each a day file of its own: at 5M events in 320 partitions
/// ~300 days and ~35k files per run, against ~20 days per batch when they keep pace. This is
/// Flink's split-level watermark alignment (FLIP-217), with positions in place of watermarks:
///
/// ```
///  position f = (next − from) / (end − from)      how far through its range a partition is read
///  unit     u = batch / Σ (end − from)            how far one micro-batch moves that position
///  anchor   a = min f over partitions still reading (not caught up, not idle)
///  pause    f > a + pauseAhead·u                  (two micro-batches ahead of the slowest)
///  resume   f ≤ a + resumeWithin·u, or caught up, or no anchor left
/// ```
/// With rates constant over the range, f is a partition's event time measured in lengths of the
/// run, so partitions at the same f are at the same time; the unit makes the rule independent
/// of the topic's size and of the partition count. A spread of one micro-batch is what reading
/// record batches of ~500 messages gives by itself (1M events in 64 partitions: a median
/// spread of 1.2 units at each commit, at most 1.6): the rule never pauses there, and a pause
/// is not free — librdkafka drops what it fetched ahead for the partition and fetches it again
/// on resume. The gap between the two thresholds keeps a partition from being paused and
/// resumed at every poll.
///
/// An idle partition (the caller's judgement: nothing delivered for a while though not paused
/// — its leader unreachable, say) is not an anchor, so one stalled partition cannot pause the
/// others forever.
public struct PartitionAlignment: Sendable, Equatable {
    /// Where one partition is read, for `decide`.
    public struct Reading: Sendable, Equatable {
        /// The first offset this run read (or was to read) of the partition.
        public var from: Int64
        /// The next offset to read.
        public var next: Int64
        /// The end to reach (available-now) or the last high watermark seen.
        public var end: Int64
        /// Paused by an earlier decision.
        public var paused: Bool
        /// Not paused, yet nothing delivered for a while (see the type's documentation).
        public var idle: Bool

        public init(from: Int64, next: Int64, end: Int64, paused: Bool = false, idle: Bool = false) {
            self.from = from
            self.next = next
            self.end = end
            self.paused = paused
            self.idle = idle
        }

        var isReading: Bool { next < end }
        var range: Int64 { max(0, end - from) }
        /// 0 at `from`, 1 at `end`; a partition with nothing to read is at its end.
        var position: Double { range == 0 ? 1 : Double(min(max(next, from), end) - from) / Double(range) }
    }

    /// What to change: partitions to pause and partitions to resume, each sorted.
    public struct Decision: Sendable, Equatable {
        public var pause: [TopicPartition] = []
        public var resume: [TopicPartition] = []
        public var isEmpty: Bool { pause.isEmpty && resume.isEmpty }
    }

    /// Micro-batches ahead of the slowest partition past which a partition is paused.
    public var pauseAhead: Double
    /// Micro-batches ahead of the slowest partition within which a paused one is resumed.
    public var resumeWithin: Double

    public init(pauseAhead: Double = 2, resumeWithin: Double = 1) {
        precondition(resumeWithin < pauseAhead, "resume below the pause threshold, or a partition flips at every poll")
        self.pauseAhead = pauseAhead
        self.resumeWithin = resumeWithin
    }

    /// The changes for `readings` when a micro-batch takes up to `batch` messages.
    public func decide(_ readings: [(TopicPartition, Reading)], batch: Int) -> Decision {
        var total: Int64 = 0
        var anchor = Double.infinity
        for (_, r) in readings {
            total += r.range
            if r.isReading && !r.idle { anchor = min(anchor, r.position) }
        }
        var decision = Decision()
        guard total > 0, batch > 0, anchor.isFinite else {
            decision.resume = readings.filter { $0.1.paused }.map(\.0).sorted()
            return decision
        }
        let unit = Double(batch) / Double(total)
        for (tp, r) in readings {
            let ahead = r.position - anchor
            if r.paused {
                if !r.isReading || ahead <= resumeWithin * unit { decision.resume.append(tp) }
            } else if r.isReading && ahead > pauseAhead * unit {
                decision.pause.append(tp)
            }
        }
        decision.pause.sort()
        decision.resume.sort()
        return decision
    }
}
