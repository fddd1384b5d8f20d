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
///  step     s = median step_p / (end_p − from_p)  how far one fetch moves it (partitions of ≥ 4 steps)
///  scale    k = max(u, s)
///  anchor   a = min f over partitions still reading (not caught up, not idle)
///  pause    f > a + pauseAhead·k                  (three micro-batches or steps ahead of the slowest)
///  resume   f ≤ a + resumeWithin·k, or caught up, or no anchor left
/// ```
/// With rates constant over the range, f is a partition's event time measured in lengths of the
/// run, so partitions at the same f are at the same time; the unit makes the rule independent
/// of the topic's size and of the partition count. A partition moves by whole fetches (a record
/// batch of ~100–500 messages from librdkafka's mock broker, up to `max.partition.fetch.bytes`
/// from a real one), so even a fair fetcher leaves a spread of about one step: 1M events in 64
/// partitions show a median spread of 1.2 units at each commit, at most 1.6, with steps of
/// 0.7 units — and on another preload of the same topic 1.6, at most 2.6. The rule must not
/// pause there (so three units, not two: two paused that second topic's run and took it from
/// ~3.5 to 4.7 s, its poll wait from 1.1 to 2.1 s) — a pause is not free: librdkafka drops what it
/// fetched ahead for the partition and fetches it again on resume, ~35–75 ms each on loopback —
/// and with micro-batches smaller than a step (`--max-offsets-per-trigger 50` over 16
/// partitions) the scale is the step, or it would pause at every poll (80 s instead of 3 s for
/// 50k events, measured with the unit alone).
///
/// Why resume only within a quarter of the scale: partitions are resumed a few at a time as the
/// slowest ones catch up, so a fetch request names fewer partitions and its response,
/// decompressed whole, is smaller. At 5M events in 320 partitions (×5 topic, alternating runs,
/// steps of ~180–230 messages = 1.2–1.5 units, pausing at two) peak RSS was 221–231 MiB resuming
/// within half the scale and 208–224 MiB within a quarter, for ~10% more time (29–34 against
/// 26–30 s); pausing at three, 210–214 MiB. With the unit alone as the scale, 225–237 MiB
/// within one unit, 211–215 within half, 199 within a quarter — and 192 s instead of 30 s
/// resuming only at the slowest partition's position.
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
        /// How many of its messages one fetch delivers, typically (0 while unknown).
        public var step: Int64

        public init(from: Int64, next: Int64, end: Int64, paused: Bool = false, idle: Bool = false, step: Int64 = 0) {
            self.from = from
            self.next = next
            self.end = end
            self.paused = paused
            self.idle = idle
            self.step = step
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

    /// Scales (micro-batches, or steps when larger) ahead of the slowest partition past which a
    /// partition is paused.
    public var pauseAhead: Double
    /// Scales ahead of the slowest partition within which a paused one is resumed.
    public var resumeWithin: Double

    public init(pauseAhead: Double = 3, resumeWithin: Double = 0.25) {
        precondition(resumeWithin < pauseAhead, "resume below the pause threshold, or a partition flips at every poll")
        self.pauseAhead = pauseAhead
        self.resumeWithin = resumeWithin
    }

    /// The changes for `readings` when a micro-batch takes up to `batch` messages.
    public func decide(_ readings: [(TopicPartition, Reading)], batch: Int) -> Decision {
        var total: Int64 = 0
        var anchor = Double.infinity
        var steps: [Double] = []
        for (_, r) in readings {
            total += r.range
            if r.isReading && !r.idle { anchor = min(anchor, r.position) }
            // A partition read in fewer fetches than that hardly drifts, and would set the
            // scale to most of a range.
            if r.step > 0 && r.range >= 4 * r.step { steps.append(Double(r.step) / Double(r.range)) }
        }
        // The median: with hundreds of partitions the largest is an outlier (two fetches' runs
        // that met in the queue), and it set the scale to ~5 units at 5M events.
        steps.sort()
        let step = steps.isEmpty ? 0 : steps[(steps.count - 1) / 2]
        var decision = Decision()
        guard total > 0, batch > 0, anchor.isFinite else {
            decision.resume = readings.filter { $0.1.paused }.map(\.0).sorted()
            return decision
        }
        let scale = max(Double(batch) / Double(total), step)
        for (tp, r) in readings {
            let ahead = r.position - anchor
            if r.paused {
                if !r.isReading || ahead <= resumeWithin * scale { decision.resume.append(tp) }
            } else if r.isReading && ahead > pauseAhead * scale {
                decision.pause.append(tp)
            }
        }
        decision.pause.sort()
        decision.resume.sort()
        return decision
    }
}
