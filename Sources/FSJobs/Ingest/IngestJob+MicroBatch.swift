import FSCore
import FSKafka
import FSStreams
import FSTable
import Logging

/// Poll → parse → hand-off: the ingest thread's loop of one micro-batch.
extension IngestJob {
    /// A micro-batch is parsed and written in chunks of at most this many rows or payload
    /// bytes, so memory does not grow with `--max-offsets-per-trigger` or the message size.
    static let chunkRows = 8_192
    static let chunkBytes = 8 << 20
    /// Chunks (and commits) queued for the writer thread before the ingest thread waits. Two
    /// left the parser waiting 0.8–1.0 s per 1M events once parsing got faster than writing
    /// (the two take turns being ahead); three and four cut that wait to 0.1–0.4 s and the wall
    /// time by ~0.3–0.5 s, at about one chunk (~8 MiB of rows) of peak RSS each (measured at
    /// load ~2: 261–268 MiB with two, 266–270 with three, 276–287 with four). Kept at two: in
    /// `make bench` on a quiet machine three ran 12.2–14.0 s for 1M events and two 9.1–9.9 s in
    /// the next run — within the bench's run-to-run spread, so no gain shown for the memory.
    static let chunksInFlight = 2
    /// Writer threads sharing each micro-batch's days (`ChunkWriter`): with one, its own
    /// encoding was the run's critical path.
    static let writerLanes = 2
    /// Budget of the memory the table writer's open data files hold within a micro-batch
    /// (`ParquetFileWriter.heldBytes`); past it their open pages are compressed early, and only
    /// if that is not enough the largest files are finished (a partition then gets a second
    /// file). Measured at load 9–23 (release, alternating runs): at 1M events (64 partitions)
    /// 80 MiB peaked at 240–247 MiB and 48 MiB at 224–230 MiB, both ~500 files; at 5M (320
    /// partitions, passes 31 days apart, micro-batches spanning 60–90 days) 80 MiB peaked at
    /// 292 MiB (1.2× the 1M run) and 48 MiB at 258 MiB (1.12–1.15×), both ~6,600 files, for
    /// the same CPU.
    static let maxBufferedFileBytes = 48 << 20
    /// librdkafka's prefetch: decompressed payload queued, and compressed bytes per fetch
    /// response, for all partitions together (`PrefetchBudget`). Measured at 1M 1.7 KB events
    /// with `nudgeFetcher`: 4, 8, 16 and 32 MiB queues ran within 10% of each other.
    static let prefetchQueuedBytes = 16 << 20
    static let prefetchFetchBytes = 8 << 20
    /// Shortest time between two `nudgeFetcher` requests.
    static let nudgeIntervalSeconds = 0.005
    /// Free heap goes back to the kernel after a micro-batch only while the process holds more
    /// than this (`MallocTuning.returnFreeMemory(ifResidentAbove:)`), with glibc's thresholds
    /// fixed (`MallocTuning.reuseFreedMemory`). A trim after every batch gave back 40–90 MiB that
    /// the next batch faulted in again: ~450–590k page faults per 1M events against ~75k with no
    /// trim at all, whose peak (300–311 MiB: the heap swings ~130 MiB within a batch, librdkafka's
    /// decompressed batches most of it, and fragments) is over the 300 MiB goal. Measured with
    /// an `LD_PRELOAD` shim on main's binary, 1M events, load 5–7, alternating: ceiling 250 MiB
    /// trimmed after 8–9 of 20 batches, 242–290k faults, peak 273–278 MiB; 270 MiB 8–10 trims,
    /// 217–285k faults, 282–287 MiB; every batch 442–508k faults, 250–269 MiB.
    /// Lowered to 200 MiB once a writer's snapshot packed its statistics and open files started
    /// with small buffers (issue #15): the 1M run then peaked at 203–216 MiB whatever the ceiling,
    /// and the ×5 run (320 partitions) sat at the ceiling plus one batch's climb — 262 MiB with
    /// 250, 237 and 244 MiB with 200 (same topic, 12–13k files), a ratio of 1.25 against ~1.15.
    /// Three alternating 1M pairs showed no cost (5.20–8.38 s with 3–6 trims, 5.21–7.62 s with none).
    static let residentCeilingBytes = 200 << 20
    /// Messages taken from librdkafka per poll (held, not copied, until the next poll).
    static let maxMessagesPerPoll = 2_000

    /// Hands the rows parsed so far to the background writer (no-op when there are none).
    func handOffChunk() {
        chunkBytes = 0
        guard builder.rowCount > 0 else { return }
        let micros = batchIngestionMicros ?? clock.nowMicros()
        batchIngestionMicros = micros
        submittedRows += builder.rowCount
        let t0 = monotonicSeconds()
        let chunk = builder.finish(ingestionMicros: micros)
        phases.build += monotonicSeconds() - t0
        phases.handOffWait += chunks.submit(chunk)
    }

    func runMicroBatch() throws {
        let start = clock.nowMicros()
        let interval = config.triggerInterval.components
        let intervalMicros = interval.seconds * 1_000_000 + interval.attoseconds / 1_000_000_000_000
        var consumed = 0
        while consumed < config.maxOffsetsPerTrigger {
            if StopSignal.pending != nil || callbackError != nil { break }
            if config.availableNow && isCaughtUp { break }
            // available-now is one run over what exists (Spark's Trigger.AvailableNow): batches
            // are cut by --max-offsets-per-trigger only; an interval would just add commits.
            if !config.availableNow && clock.nowMicros() - start >= intervalMicros { break }
            let t0 = monotonicSeconds()
            let wanted = min(IngestJob.maxMessagesPerPoll, config.maxOffsetsPerTrigger - consumed)
            // Holding: the messages are parsed straight from librdkafka's buffers (no copy) and
            // released by the next poll.
            try consumer.poll(into: &polled, maxMessages: wanted, timeout: .milliseconds(100), holding: true)
            let batch = polled
            if batch.count < wanted { nudgeFetcher() }
            let t1 = monotonicSeconds()
            phases.poll += t1 - t0
            try noteErrors(batch)
            consumed += process(batch, at: t1)
            phases.parse += monotonicSeconds() - t1
            if builder.rowCount >= IngestJob.chunkRows || chunkBytes >= IngestJob.chunkBytes { handOffChunk() }
            // After the messages: an end-of-partition event carries the offset after the last
            // message delivered, which may be in this very batch.
            for end in batch.reachedEnd { partitions[end.topicPartition]?.cursor.reachEnd(at: end.offset) }
            try keepPartitionsInStep(at: t1)
        }
        try commitMicroBatch()
        reportGroupOffsets()
        microBatches += 1
        let t0 = monotonicSeconds()
        if MallocTuning.returnFreeMemory(ifResidentAbove: IngestJob.residentCeilingBytes) { trims += 1 }
        phases.trim += monotonicSeconds() - t0
        refreshWatermarksIfDue()
        logProgress(force: false)
    }


    /// Wakes librdkafka's fetcher when the local queue ran dry (the poll came back short).
    ///
    /// librdkafka 2.0 (Debian's) stops fetching while its queue is over
    /// `queued.max.messages.kbytes` and re-checks only when its broker thread wakes: at the next
    /// response or after ~1 s (2.1 added `fetch.queue.backoff.ms` for this). With a bounded queue
    /// the parser drains it in milliseconds and then waited that second: 75 of 90 s in `poll`
    /// at 1M events. Any request to the broker wakes its thread, which then fetches for every
    /// partition under the limit; a watermark query of a partition still being read is the
    /// cheapest such request (one round trip, at most every `nudgeInterval`, rotating over
    /// the partitions so each leader broker gets woken). It is sent in the background
    /// (`KafkaConsumer.wakeFetcher`, one at a time): waiting for its answer here kept 1–2 s per
    /// 1M events of fetched messages unparsed.
    func nudgeFetcher(now force: Bool = false) {
        let now = monotonicSeconds()
        guard force || now - lastNudge >= IngestJob.nudgeIntervalSeconds else { return }
        lastNudge = now
        let reading = partitions.filter { $0.value.cursor.high == nil || !$0.value.cursor.isCaughtUp }.keys.sorted()
        guard !reading.isEmpty else { return }
        // In the background: the fetched messages are parsed while the answer travels back.
        if consumer.wakeFetcher(asking: reading[(nudgeIndex &+ 1) % reading.count], timeout: .milliseconds(500)) { nudgeIndex &+= 1 }
    }

    /// Counts the run of messages that ends where `next`'s begin (`PartitionState.runs`).
    private func endRun(next: TopicPartition) {
        if measuringSteps, let r = runPartition, runLength > 0, partitions[r] != nil {
            partitions[r]!.runs += 1
            partitions[r]!.runMessages += runLength
        }
        runPartition = next
        runLength = 0
    }

    /// Parses a poll's messages, polled at `time` (monotonic seconds); returns how many counted
    /// towards the trigger.
    private func process(_ batch: MessageBatch, at time: Double) -> Int {
        var counted = 0
        var lastTP: TopicPartition? = nil
        var state = PartitionState()
        var runTail: Int64 = 0  // messages of the run in progress from this poll (a local: per message)
        for i in 0..<batch.count {
            let tp = TopicPartition(topic: batch.topic(i), partition: batch.partition(i))
            if tp != lastTP {
                if let l = lastTP { partitions[l] = state }
                runLength += runTail
                runTail = 0
                if tp != runPartition { endRun(next: tp) }
                guard let s = partitions[tp] else { lastTP = nil; continue }  // revoked meanwhile
                state = s
                state.lastDelivery = time
                if state.from == nil { state.from = batch.offset(i) }  // its start was left to the broker
                lastTP = tp
            }
            runTail += 1
            let offset = batch.offset(i)
            guard state.cursor.accept(offset) else { continue }  // re-delivered after a seek: already handled
            state.pendingLast = offset
            summary.messages += 1
            summary.bytes += batch.valueCount(i)
            counted += 1
            let outcome: AppendOutcome = batch.withKey(i) { key in
                batch.withValue(i) { value in
                    builder.append(key: key, value: value, topic: tp.topic, partition: tp.partition, offset: offset) { bytes in
                        state.window?.checkAndInsert(bytes) ?? false
                    }
                }
            }
            switch outcome {
            case .appended: chunkBytes += batch.valueCount(i)
            case .duplicate: summary.duplicates += 1
            case .quarantined(let reason):
                summary.quarantined += 1
                summary.reasons[reason.code, default: 0] += 1
                if let q = state.quarantineTxn, offset <= q { continue }  // already in the quarantine table (crash between the commits)
                batch.withKey(i) { key in
                    batch.withValue(i) { value in
                        quarantine.append(key: key, value: value, topic: tp.topic, partition: tp.partition, offset: offset,
                                          timestampMillis: batch.timestampMillis(i), reason: reason)
                    }
                }
                logger.debug("quarantined \(tp)@\(offset): \(reason)")
            }
        }
        if let l = lastTP { partitions[l] = state }
        runLength += runTail
        return counted
    }
}

