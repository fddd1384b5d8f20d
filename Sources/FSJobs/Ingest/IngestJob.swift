import FSCore
import FSKafka
import FSStreams
import FSTable
import Logging

/// Consumes Kafka into the stream's table in micro-batches, exactly once.
///
/// ```
///  poll ─► EventBatchBuilder ──chunks──► ChunkWriter (writer thread): data TableWriter.write
///       │                   └─bad───► QuarantineBuffer
///  trigger (max offsets / interval (not with --available-now) / end reached / signal): the batch is
///  closed and its commit queued behind its chunks; the ingest thread goes on with the next batch.
///  On the writer thread, in order:
///    1. quarantine table: write + commit with txn(fs-ingest/<topic>/<p>, last offset) per partition it advances
///    2. data table: commit with txn(…, last offset) for every partition of the batch  ◄── source of truth
///  then, back on the ingest thread: 3. group offsets (monitoring only)
///  start / rebalance: each partition resumes at data-txn + 1 (else earliest/latest);
///  quarantine rows at or below the quarantine table's own txn are already there and skipped.
/// ```
/// A crash between 1 and 2 re-reads the batch; its quarantine rows are skipped by offset, its
/// data rows committed once. The txn version is the last offset *included* (Delta's txn
/// version is "the application's progress"; resuming at version + 1 needs no sentinel).
public final class IngestJob {
    public let config: IngestConfig
    let clock: any WallClock
    let logger: Logger

    private var dataWriter: TableWriter!
    /// Writes the parsed chunks and commits the micro-batches on a second thread.
    private var chunks: ChunkWriter!
    /// Ingest-thread phase times (the writer's come from `chunks`).
    private var phases = IngestPhases()
    /// Payload bytes parsed into `builder` since its last chunk was handed off.
    private var chunkBytes = 0
    /// Rows handed to `chunks` in the micro-batch in flight.
    private var submittedRows = 0
    /// The micro-batch's one ingestion time, fixed when its first chunk is handed off.
    private var batchIngestionMicros: Int64?
    private var quarantineWriter: TableWriter!
    private var consumer: KafkaConsumer!
    /// The metadata client of `countPartitions` while it runs: its broker failures name the
    /// cause when the retry budget runs out before the consumer exists.
    private var probe: KafkaConsumer?
    private var builder: EventBatchBuilder
    private var quarantine = QuarantineBuffer()
    private var partitions: [TopicPartition: PartitionState] = [:]
    private var summary: IngestSummary
    private var callbackError: Error?
    private var unavailableSince: Int64?
    private var lastKafkaError = ""
    private var lastProgressMicros: Int64 = 0
    private var lastWatermarkMicros: Int64 = 0
    private var rowsAtLastProgress = 0
    /// Next offsets of committed batches not yet reported to the group.
    private var unreportedGroupOffsets: [TopicPartition: Int64] = [:]

    /// Per-partition bookkeeping while it is assigned to this process.
    struct PartitionState {
        /// Next offset expected; older messages (re-deliveries after a seek) are skipped.
        var next: Int64?
        /// Last offset of the micro-batch in flight.
        var pendingLast: Int64?
        /// Last offset committed to the data / quarantine table.
        var dataTxn: Int64?
        var quarantineTxn: Int64?
        /// End offset to reach (available-now), or the last known high watermark (lag).
        var high: Int64?
        var window: DedupWindow?
    }

    public init(config: IngestConfig, clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "fs-ingest")) {
        self.config = config
        self.clock = clock
        self.logger = logger
        self.builder = EventBatchBuilder(streamType: config.streamType, limits: config.limits, dedupKey: config.dedupKey)
        self.summary = IngestSummary(streamType: config.streamType.rawValue, table: config.table, quarantineTable: config.quarantineTable)
    }

    /// Runs until the end (available-now) or a signal; returns the summary.
    public func run() throws -> IngestSummary {
        let started = clock.nowMicros()
        config.kafkaClient.logStart(logger)
        let data = try DeltaTable.create(at: config.table, schema: config.streamType.schema, partitionColumns: StreamType.partitionColumns, clock: clock)
        let quar = try DeltaTable.create(at: config.quarantineTable, schema: QuarantineBuffer.schema, partitionColumns: QuarantineBuffer.partitionColumns, clock: clock)
        var options = TableWriterOptions()
        options.maxBufferedBytes = IngestJob.maxBufferedFileBytes
        options.autoCompaction = config.autoCompaction
        dataWriter = try TableWriter(table: data, options: options)
        var quarantineOptions = TableWriterOptions()
        quarantineOptions.autoCompaction = config.autoCompaction
        quarantineWriter = try TableWriter(table: quar, options: quarantineOptions)
        chunks = ChunkWriter(writer: dataWriter, quarantineWriter: quarantineWriter)
        let prefetch = PrefetchBudget(partitions: try countPartitions(), queuedBytes: IngestJob.prefetchQueuedBytes,
                                      fetchBytes: IngestJob.prefetchFetchBytes)
        consumer = try KafkaConsumer(config: KafkaConsumerConfig(
            bootstrapServers: config.brokers, groupId: config.groupId, clientId: config.common.appName,
            fetchMaxBytes: prefetch.fetchMaxBytes,
            extra: prefetch.properties.merging(["enable.partition.eof": "true",
                                                "auto.offset.reset": config.startingOffsets == .earliest ? "earliest" : "latest"]) { $1 },
            settings: config.kafkaClient.settings, hooks: config.kafkaClient.hooks(logger: logger)))
        defer { consumer.close() }
        logger.info("starting", metadata: [
            "stream_type": "\(config.streamType)", "topics": "\(config.topics.joined(separator: ","))", "brokers": "\(config.brokers)",
            "table": "\(config.table)", "mode": "\(config.availableNow ? "available-now" : "group \(config.groupId)")",
            "dedup_key": "\(config.dedupKeyName ?? "none")",
        ])
        if config.availableNow {
            try assignToEnd()
        } else {
            try consumer.subscribe(topics: config.topics, onAssign: { [unowned self] in self.assigned($0) },
                                   onRevoke: { [unowned self] in self.revoked($0) })
        }
        var status = JobStatus.stopped
        while true {
            try runMicroBatch()
            writeMetrics()
            if let e = callbackError { throw e }
            if config.availableNow && isCaughtUp { status = .completed; break }
            if let sig = StopSignal.pending {
                try finishQueuedCommits()
                logger.info("signal \(sig): committed the batch in flight, stopping")
                break
            }
        }
        try finishQueuedCommits()
        reportGroupOffsets()
        summary.status = status
        summary.seconds = Double(clock.nowMicros() - started) / 1e6
        var p = chunks.writerTimes
        p.poll = phases.poll; p.parse = phases.parse; p.build = phases.build; p.handOffWait = phases.handOffWait
        p.drainWait = phases.drainWait; p.groupCommit = phases.groupCommit; p.trim = phases.trim
        summary.phases = p
        logProgress(force: true)
        writeMetrics()
        logger.info("phases (seconds)", metadata: phaseMetadata(p))
        return summary
    }

    /// Rewrites `--metrics-file` from the summary so far (a failure is logged, not fatal: metrics
    /// must never stop the stream).
    private func writeMetrics() {
        guard let path = config.metricsFile else { return }
        let times = chunks.writerTimes
        let metrics = IngestMetrics(
            summary: summary, commitSeconds: times.dataCommit + times.quarantineCommit,
            positions: partitions.map { IngestMetrics.Position(topicPartition: $0.key, next: $0.value.next, high: $0.value.high) },
            lastCommitMicros: lastCommitMicros)
        do { try MetricsFile(path: path).write(metrics.families) } catch {
            if !metricsFailureLogged { logger.warning("--metrics-file: \(error)") }
            metricsFailureLogged = true
        }
    }

    private var metricsFailureLogged = false
    private var lastCommitMicros: Int64?

    private func phaseMetadata(_ p: IngestPhases) -> Logger.Metadata {
        guard case .object(let fields) = p.json else { return [:] }
        var m: Logger.Metadata = [:]
        for (k, v) in fields { m[k] = "\(v)" }
        return m
    }

    /// The partitions of the configured topics, from a short-lived metadata client: the
    /// consumer's fetch share per partition is split by it, and librdkafka fixes its settings
    /// at creation. available-now needs the topics (retried like the assignment); a stream
    /// may start before its topic exists, which counts as 0 (`PrefetchBudget` then assumes 1).
    private func countPartitions() throws -> Int {
        let probe = try KafkaConsumer(config: KafkaConsumerConfig(bootstrapServers: config.brokers, groupId: config.groupId,
                                                                  clientId: config.common.appName, settings: config.kafkaClient.settings,
                                                                  hooks: config.kafkaClient.hooks(logger: logger)))
        self.probe = probe
        defer { self.probe = nil; probe.close() }
        var total = 0
        for topic in config.topics {
            if config.availableNow {
                total += try retrying("partitions of \(topic)") { () throws(KafkaError) in try probe.partitions(topic: topic, timeout: .seconds(5)) }.count
            } else {
                total += (try? probe.partitions(topic: topic, timeout: .seconds(2)))?.count ?? 0
            }
        }
        return total
    }

    /// Waits for every queued commit and applies its outcome (throws the writer's failure).
    private func finishQueuedCommits() throws {
        phases.drainWait += chunks.drain()
        try applyCompletedCommits()
    }

    // MARK: Assignment

    /// available-now: every partition of every topic, from the table's offsets to today's end.
    private func assignToEnd() throws {
        let dataTxns = try dataWriter.table.snapshot().txns
        let quarantineTxns = try quarantineWriter.table.snapshot().txns
        var assignment: [TopicPartitionOffset] = []
        for topic in config.topics {
            let ids = try retrying("partitions of \(topic)") { () throws(KafkaError) in try consumer.partitions(topic: topic, timeout: .seconds(5)) }
            for p in ids {
                let tp = TopicPartition(topic: topic, partition: p)
                let marks = try retrying("watermarks of \(tp)") { () throws(KafkaError) in try consumer.watermarks(tp, timeout: .seconds(5)) }
                var state = newState(tp, dataTxns: dataTxns, quarantineTxns: quarantineTxns)
                state.high = marks.high
                let start = state.dataTxn.map { $0 + 1 } ?? (config.startingOffsets == .earliest ? marks.low : marks.high)
                if start < marks.low { logger.warning("\(tp): offsets \(start)..<\(marks.low) are gone from the broker (retention); resuming at \(marks.low)") }
                state.next = max(start, marks.low)
                partitions[tp] = state
                if state.next! < marks.high { assignment.append(TopicPartitionOffset(topic: topic, partition: p, offset: state.next!)) }
            }
        }
        try warmDedupWindows(Set(partitions.keys))
        logger.info("available-now: \(assignment.count) of \(partitions.count) partitions have new messages", metadata: ["lag": "\(lag)"])
        if !assignment.isEmpty { try consumer.assign(assignment) }
    }

    private func newState(_ tp: TopicPartition, dataTxns: [String: TxnAction], quarantineTxns: [String: TxnAction]) -> PartitionState {
        let id = IngestJob.appId(tp)
        return PartitionState(next: nil, pendingLast: nil, dataTxn: dataTxns[id]?.version, quarantineTxn: quarantineTxns[id]?.version,
                              high: nil, window: config.dedupKey == nil ? nil : DedupWindow(capacity: config.dedupWindow))
    }

    /// Group rebalance: the new partitions start after the offsets committed in the table.
    private func assigned(_ tps: [TopicPartition]) -> [TopicPartitionOffset] {
        do {
            try finishQueuedCommits()
            let dataTxns = try DeltaTable.open(at: config.table, clock: clock).snapshot().txns
            let quarantineTxns = try DeltaTable.open(at: config.quarantineTable, clock: clock).snapshot().txns
            var out: [TopicPartitionOffset] = []
            for tp in tps {
                var s = newState(tp, dataTxns: dataTxns, quarantineTxns: quarantineTxns)
                s.next = s.dataTxn.map { $0 + 1 }
                partitions[tp] = s
                out.append(TopicPartitionOffset(topic: tp.topic, partition: tp.partition,
                                                offset: s.next ?? (config.startingOffsets == .earliest ? KafkaOffset.beginning : KafkaOffset.end)))
            }
            try warmDedupWindows(Set(tps))
            logger.info("assigned \(out.map(\.description).joined(separator: " "))")
            return out
        } catch {
            callbackError = error
            return tps.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: KafkaOffset.end) }
        }
    }

    /// Group rebalance: commit what we hold of the revoked partitions before they move.
    private func revoked(_ tps: [TopicPartition]) {
        do {
            try commitMicroBatch()
            try finishQueuedCommits()
        } catch {
            callbackError = error
        }
        for tp in tps { partitions[tp] = nil }
        logger.info("revoked \(tps.map(\.description).joined(separator: " "))")
    }

    /// Refills the dedup windows of `tps` from the rows already in the table (`DedupRefill`:
    /// only the files that may hold rows inside each partition's window are opened).
    private func warmDedupWindows(_ tps: Set<TopicPartition>) throws {
        guard let keyName = config.dedupKeyName, !tps.isEmpty, try DeltaTable.exists(at: config.table) else { return }
        var committed: [TopicPartition: Int64] = [:]
        for tp in tps { if let txn = partitions[tp]?.dataTxn { committed[tp] = txn } }
        let refill = DedupRefill(keyColumn: keyName, window: config.dedupWindow)
        let (windows, metrics) = try refill.windows(table: config.table, committed)
        for (tp, window) in windows {
            partitions[tp]?.window = window
            logger.debug("\(tp): dedup window warmed with \(window.count) keys from the table")
        }
        if !committed.isEmpty {
            logger.info("dedup windows refilled from \(metrics.filesToRead) of \(metrics.filesTotal) files", metadata: [
                "partitions": "\(committed.count)", "keys": "\(windows.values.reduce(0) { $0 + $1.count })",
            ])
        }
    }

    static func appId(_ tp: TopicPartition) -> String { "fs-ingest/\(tp.topic)/\(tp.partition)" }

    private var isCaughtUp: Bool {
        partitions.values.allSatisfy { s in guard let h = s.high, let n = s.next else { return s.high == nil || s.high == 0 }; return n >= h }
    }

    private var lag: Int64 {
        partitions.values.reduce(0) { acc, s in
            guard let h = s.high else { return acc }
            return acc + max(0, h - (s.next ?? 0))
        }
    }

    // MARK: Micro-batch

    /// A micro-batch is parsed and written in chunks of at most this many rows or payload
    /// bytes, so memory does not grow with `--max-offsets-per-trigger` or the message size.
    static let chunkRows = 8_192
    static let chunkBytes = 8 << 20
    /// Budget of the data files held open (buffered) by the table writer within a micro-batch;
    /// past it the largest are finished early (a partition may then get a second file).
    static let maxBufferedFileBytes = 96 << 20
    /// librdkafka's prefetch: decompressed payload queued, and compressed bytes per fetch
    /// response, for all partitions together (`PrefetchBudget`). Measured at 1M 1.7 KB events
    /// with `nudgeFetcher`: 4, 8, 16 and 32 MiB queues ran within 10% of each other.
    static let prefetchQueuedBytes = 16 << 20
    static let prefetchFetchBytes = 8 << 20
    /// Shortest time between two `nudgeFetcher` requests.
    static let nudgeIntervalSeconds = 0.005
    /// Messages copied out of librdkafka per poll (one contiguous buffer of about this many
    /// message sizes).
    static let maxMessagesPerPoll = 2_000

    /// Hands the rows parsed so far to the background writer (no-op when there are none).
    private func handOffChunk() {
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

    private func runMicroBatch() throws {
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
            let batch = try consumer.poll(maxMessages: wanted, timeout: .milliseconds(100))
            if batch.count < wanted { nudgeFetcher() }
            let t1 = monotonicSeconds()
            phases.poll += t1 - t0
            try noteErrors(batch)
            consumed += process(batch)
            phases.parse += monotonicSeconds() - t1
            if builder.rowCount >= IngestJob.chunkRows || chunkBytes >= IngestJob.chunkBytes { handOffChunk() }
            // After the messages: an end-of-partition event carries the offset after the last
            // message delivered, which may be in this very batch.
            for end in batch.reachedEnd {
                let tp = end.topicPartition
                guard var s = partitions[tp] else { continue }
                if s.next == nil || end.offset > s.next! { s.next = end.offset }
                partitions[tp] = s
            }
        }
        try commitMicroBatch()
        reportGroupOffsets()
        let t0 = monotonicSeconds()
        MallocTuning.returnFreeMemory()
        phases.trim += monotonicSeconds() - t0
        refreshWatermarksIfDue()
        logProgress(force: false)
    }

    private var lastNudge = 0.0
    private var nudgeIndex = 0

    /// Wakes librdkafka's fetcher when the local queue ran dry (the poll came back short).
    ///
    /// librdkafka 2.0 (Debian's) stops fetching while its queue is over
    /// `queued.max.messages.kbytes` and re-checks only when its broker thread wakes: at the next
    /// response or after ~1 s (2.1 added `fetch.queue.backoff.ms` for this). With a bounded queue
    /// the parser drains it in milliseconds and then waited that second: 75 of 90 s in `poll`
    /// at 1M events. Any request to the broker wakes its thread, which then fetches for every
    /// partition under the limit; a watermark query of a partition still being read is the
    /// cheapest such request (one round trip, at most every `nudgeInterval`, rotating over
    /// the partitions so each leader broker gets woken).
    private func nudgeFetcher() {
        let now = monotonicSeconds()
        guard now - lastNudge >= IngestJob.nudgeIntervalSeconds else { return }
        lastNudge = now
        let reading = partitions.filter { s in guard let h = s.value.high, let n = s.value.next else { return s.value.high == nil }; return n < h }
            .keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        guard !reading.isEmpty else { return }
        nudgeIndex &+= 1
        _ = try? consumer.watermarks(reading[nudgeIndex % reading.count], timeout: .milliseconds(500))
    }

    /// Parses a poll's messages; returns how many counted towards the trigger.
    private func process(_ batch: MessageBatch) -> Int {
        var counted = 0
        var lastTP: TopicPartition? = nil
        var state = PartitionState()
        for i in 0..<batch.count {
            let tp = TopicPartition(topic: batch.topic(i), partition: batch.partition(i))
            if tp != lastTP {
                if let l = lastTP { partitions[l] = state }
                guard let s = partitions[tp] else { lastTP = nil; continue }  // revoked meanwhile
                state = s
                lastTP = tp
            }
            let offset = batch.offset(i)
            if let n = state.next, offset < n { continue }  // re-delivered after a seek: already handled
            state.next = offset + 1
            state.pendingLast = offset
            summary.messages += 1
            summary.bytes += batch.valueRange(i).count
            counted += 1
            let outcome: AppendOutcome = batch.withKey(i) { key in
                batch.withValue(i) { value in
                    builder.append(key: key, value: value, topic: tp.topic, partition: tp.partition, offset: offset) { bytes in
                        state.window?.checkAndInsert(bytes) ?? false
                    }
                }
            }
            switch outcome {
            case .appended: chunkBytes += batch.valueRange(i).count
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
        return counted
    }

    /// Closes the batch in flight and queues its commit (quarantine first, then the data table
    /// with every partition's progress) behind its chunks; applies the commits that finished
    /// meanwhile. Does nothing when no message was consumed.
    private func commitMicroBatch() throws {
        try applyCompletedCommits()
        let pending = partitions.filter { $0.value.pendingLast != nil }
        guard !pending.isEmpty else { return }
        let now = clock.nowMicros()
        let keys = pending.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
        var quarantineBatch: RecordBatch? = nil
        var quarantineTxns: [TxnAction] = []
        var expectedQuarantine: [TxnFence] = []
        // Fencing: each partition's txns must still be where this batch began when it commits.
        let expectedData = keys.map { TxnFence(appId: IngestJob.appId($0), expected: pending[$0]!.dataTxn, found: nil) }
        if quarantine.rowCount > 0 {
            quarantineTxns = keys.compactMap { tp -> TxnAction? in
                let last = pending[tp]!.pendingLast!
                if let q = pending[tp]!.quarantineTxn, last <= q { return nil }
                return TxnAction(appId: IngestJob.appId(tp), version: last, lastUpdated: now / 1000)
            }
            quarantineBatch = quarantine.finish(ingestionMicros: now)
            expectedQuarantine = keys.filter { tp in quarantineTxns.contains { $0.appId == IngestJob.appId(tp) } }
                .map { TxnFence(appId: IngestJob.appId($0), expected: pending[$0]!.quarantineTxn, found: nil) }
            for tp in keys where quarantineTxns.contains(where: { $0.appId == IngestJob.appId(tp) }) { partitions[tp]!.quarantineTxn = pending[tp]!.pendingLast }
        }
        handOffChunk()
        let rows = submittedRows
        submittedRows = 0
        batchIngestionMicros = nil
        var groupOffsets: [TopicPartitionOffset] = []
        for tp in keys {
            let last = pending[tp]!.pendingLast!
            partitions[tp]!.dataTxn = last  // queued; the writer commits batches in order
            partitions[tp]!.pendingLast = nil
            groupOffsets.append(TopicPartitionOffset(topic: tp.topic, partition: tp.partition, offset: last + 1))
        }
        let txns = keys.map { TxnAction(appId: IngestJob.appId($0), version: pending[$0]!.pendingLast!, lastUpdated: now / 1000) }
        phases.handOffWait += chunks.submitCommit(ChunkWriter.Commit(quarantine: quarantineBatch, quarantineTxns: quarantineTxns, dataTxns: txns,
                                                                     rows: rows, groupOffsets: groupOffsets, expectedDataTxns: expectedData,
                                                                     expectedQuarantineTxns: expectedQuarantine))
    }

    /// Counts the commits the writer finished; their offsets wait for `reportGroupOffsets`.
    private func applyCompletedCommits() throws {
        for c in try chunks.collect() {
            if let f = c.fence {
                dropFenced(c, f)
                continue
            }
            summary.rows += c.rows
            summary.batches += 1
            lastCommitMicros = clock.nowMicros()
            for o in c.groupOffsets {
                summary.nextOffsets["\(o.topic)/\(o.partition)"] = o.offset
                unreportedGroupOffsets[o.topicPartition] = o.offset
            }
            logger.debug("committed batch \(summary.batches): \(c.rows) rows, version \(c.version.map(String.init) ?? "-")")
        }
    }

    /// A batch dropped by the fence: another member committed one of its partitions since the
    /// batch began, so this process lost them in a rebalance (a stall past the session
    /// timeout). Nothing of the batch is in the table; its partitions are forgotten here as if
    /// revoked — later messages of theirs are skipped — until an assignment gives them back,
    /// which seeks to the table's txns again. Later queued batches of them are fenced too.
    private func dropFenced(_ c: ChunkWriter.Commit, _ f: TxnFence) {
        summary.fencedBatches += 1
        let appIds = Set(c.dataTxns.map(\.appId))
        let lost = partitions.keys.filter { appIds.contains(IngestJob.appId($0)) }
        for tp in lost { partitions[tp] = nil }
        let found = f.found.map(String.init) ?? "none", expected = f.expected.map(String.init) ?? "none"
        logger.warning("dropped a batch of \(c.rows) rows: \(f.appId) is at txn \(found) in the table, not \(expected) where the batch began (another member owns it now)",
                       metadata: ["partitions": "\(lost.map(\.description).sorted().joined(separator: " "))"])
    }

    /// Commits the offsets of the batches in the table to the group (monitoring only),
    /// asynchronously. Never called inside librdkafka's rebalance callbacks, where a group
    /// commit could block the rebalance itself.
    private func reportGroupOffsets() {
        guard !unreportedGroupOffsets.isEmpty else { return }
        let offsets = unreportedGroupOffsets.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            .map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: unreportedGroupOffsets[$0]!) }
        unreportedGroupOffsets = [:]
        let t0 = monotonicSeconds()
        do { try consumer.commit(offsets, async: true) } catch { logger.debug("group offset commit (monitoring only) failed: \(error)") }
        phases.groupCommit += monotonicSeconds() - t0
    }

    // MARK: Broker health, progress

    /// Logs poll errors; fails after `--max-retry-duration` without any message.
    private func noteErrors(_ batch: MessageBatch) throws {
        let now = clock.nowMicros()
        if batch.count > 0 || !batch.reachedEnd.isEmpty { unavailableSince = nil }
        guard !batch.errors.isEmpty else { return }
        for e in batch.errors {
            let text = e.description
            if text != lastKafkaError { logger.warning("kafka: \(text) (retrying)") }
            lastKafkaError = text
            if e.isFatal { throw e }
        }
        if unavailableSince == nil { unavailableSince = now }
        try checkRetryBudget(now: now)
    }

    private func checkRetryBudget(now: Int64) throws {
        guard let since = unavailableSince, let limit = config.maxRetryDuration else { return }
        let c = limit.components
        let limitMicros = c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
        if now - since >= limitMicros {
            let failure = consumer?.lastBrokerFailure ?? probe?.lastBrokerFailure
            throw IngestError.brokerUnavailable(brokers: config.brokers, seconds: (now - since) / 1_000_000,
                                                lastError: failure?.description ?? "unreachable: \(lastKafkaError)")
        }
    }

    /// Runs a metadata request until it succeeds, with `BrokerRetry`'s backoff (0.1 s … 5 s, the
    /// same as fs-agg-online's) and a log line per failure, up to `--max-retry-duration`.
    private func retrying<T>(_ what: String, _ body: () throws(KafkaError) -> T) throws -> T {
        let since = clock.nowMicros()
        let value = try BrokerRetry(maxDuration: config.maxRetryDuration, clock: clock).run(since: since, onFailure: { error, backoff in
            lastKafkaError = error.description
            unavailableSince = since
            logger.warning("kafka: \(what) failed: \(error.description); \(backoff.map { "retrying in \($0) ms" } ?? "not retrying: --max-retry-duration is spent")")
        }, giveUp: { seconds, error in
            let failure = consumer?.lastBrokerFailure ?? probe?.lastBrokerFailure
            return IngestError.brokerUnavailable(brokers: config.brokers, seconds: seconds, lastError: failure?.description ?? "unreachable: \(error.description)")
        }, body)
        unavailableSince = nil
        return value
    }

    private func refreshWatermarksIfDue() {
        let now = clock.nowMicros()
        guard !config.availableNow, now - lastWatermarkMicros >= 10_000_000 else { return }
        lastWatermarkMicros = now
        for tp in partitions.keys {
            if let m = try? consumer.watermarks(tp, timeout: .milliseconds(500)) { partitions[tp]?.high = m.high }
        }
    }

    private func logProgress(force: Bool) {
        let now = clock.nowMicros()
        guard force || now - lastProgressMicros >= 5_000_000 else { return }
        let seconds = max(Double(now - lastProgressMicros) / 1e6, 1e-6)
        let rate = lastProgressMicros == 0 ? 0 : Int(Double(summary.rows - rowsAtLastProgress) / seconds)
        lastProgressMicros = now
        rowsAtLastProgress = summary.rows
        logger.info("progress", metadata: [
            "rows": "\(summary.rows)", "rows_per_s": "\(rate)", "lag": "\(lag)", "quarantined": "\(summary.quarantined)",
            "duplicates": "\(summary.duplicates)", "batches": "\(summary.batches)", "partitions": "\(partitions.count)",
        ])
    }
}

/// Sleeps the calling thread (the ingest loop is synchronous by design: one consumer, one thread).
func sleepMillis(_ ms: Int64) {
    var ts = timespec(tv_sec: Int(ms / 1000), tv_nsec: Int((ms % 1000) * 1_000_000))
    nanosleep(&ts, nil)
}

#if canImport(Glibc)
import Glibc
#endif
