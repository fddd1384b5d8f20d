import FSCore
import FSKafka

/// Partitions kept in step: the ingest thread's use of `PartitionAlignment`.
extension IngestJob {
    /// A partition that is neither paused nor caught up, yet delivered nothing for this long,
    /// is idle: it no longer holds the others back (its leader may be unreachable). Well above
    /// the time a resumed partition takes to be fetched again (~100 ms without a nudge).
    static let idleSeconds = 2.0

    /// After a poll at `time`: pauses the partitions that ran ahead of the slowest one and
    /// resumes those it came close to again, then wakes the fetcher for the resumed ones (its
    /// broker thread would look at them only ~100 ms later). Does nothing while the partitions
    /// keep pace, which is every poll of an evenly fetched topic: a pause costs a fetch again
    /// of what librdkafka had fetched ahead for the partition.
    func keepPartitionsInStep(at time: Double) throws {
        guard partitions.count > 1 else { return }
        let paused = consumer.pausedPartitions
        readings.removeAll(keepingCapacity: true)
        var reading = 0
        for (tp, state) in partitions {
            guard let next = state.cursor.next, let end = state.cursor.high else { continue }
            let isPaused = paused.contains(tp)
            if next < end && !isPaused { reading += 1 }
            readings.append((tp, PartitionAlignment.Reading(from: state.from ?? next, next: next, end: end, paused: isPaused,
                                                            idle: !isPaused && time - state.lastDelivery > IngestJob.idleSeconds,
                                                            step: stepMeasure(tp, state))))
        }
        let decision = alignment.decide(readings, batch: config.maxOffsetsPerTrigger)
        defer { measuringSteps = reading - decision.pause.count >= 2 }
        guard !decision.isEmpty else { return }
        try consumer.pause(decision.pause)
        try consumer.resume(decision.resume)
        for tp in decision.resume { partitions[tp]?.lastDelivery = time }
        summary.partitionPauses += decision.pause.count
        if !decision.resume.isEmpty { nudgeFetcher(now: true) }
        logger.trace("in step: paused \(decision.pause.map(\.description).joined(separator: " ")); resumed \(decision.resume.map(\.description).joined(separator: " "))")
    }

    /// A partition's step for `PartitionAlignment`: the mean of its counted runs, or the run it
    /// is in the middle of when that is longer — a partition's first fetch is one long run
    /// that must not look like a partition running ahead while it lasts.
    private func stepMeasure(_ tp: TopicPartition, _ state: PartitionState) -> Int64 {
        measuringSteps && tp == runPartition ? max(state.step, runLength) : state.step
    }
}
