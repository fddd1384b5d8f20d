import FSCore
import FSKafka
import FSParquet
import FSStreams
import FSTable
import Logging

/// Consumes Kafka into the stream's table in micro-batches, exactly once.
///
/// ```
///  poll ─► EventBatchBuilder ──chunks──► ChunkWriter (two writer lanes, a day on one): data TableWriter lanes
///       │                   └─bad───► QuarantineBuffer
///  trigger (max offsets / interval (not with --available-now) / end reached / signal): the batch is
///  closed and its commit queued behind its chunks; the ingest thread goes on with the next batch.
///  On the committer thread, in order:
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

    var dataWriter: TableWriter!
    /// Writes the parsed chunks and commits the micro-batches on a second thread.
    var chunks: ChunkWriter!
    /// Ingest-thread phase times (the writer's come from `chunks`).
    var phases = IngestPhases()
    /// Payload bytes parsed into `builder` since its last chunk was handed off.
    var chunkBytes = 0
    /// Rows handed to `chunks` in the micro-batch in flight.
    var submittedRows = 0
    /// The micro-batch's one ingestion time, fixed when its first chunk is handed off.
    var batchIngestionMicros: Int64?
    var quarantineWriter: TableWriter!
    var consumer: KafkaConsumer!
    /// The last poll's messages; its buffers are reused by the next poll.
    var polled = MessageBatch()
    /// The metadata client of `countPartitions` while it runs: its broker failures name the
    /// cause when the retry budget runs out before the consumer exists.
    var probe: KafkaConsumer?
    var builder: EventBatchBuilder
    var quarantine = QuarantineBuffer()
    var partitions: [TopicPartition: PartitionState] = [:]
    var summary: IngestSummary
    var callbackError: Error?
    var unavailableSince: Int64?
    var lastKafkaError = ""
    var lastProgressMicros: Int64 = 0
    var lastWatermarkMicros: Int64 = 0
    /// The `rows_per_s` of the progress lines (rows committed between two lines).
    var progressRate = ProgressRate(startMicros: 0)
    /// Next offsets of committed batches not yet reported to the group.
    var unreportedGroupOffsets: [TopicPartition: Int64] = [:]
    /// A failing `--metrics-file` is logged once, not per batch.
    var metricsFailureLogged = false
    /// When the last batch reached the data table (the metrics' freshness gauge).
    var lastCommitMicros: Int64?
    /// When `nudgeFetcher` last woke the fetcher, and the partition it asked about.
    var lastNudge = 0.0
    var nudgeIndex = 0
    /// Micro-batches run so far, and after how many of them the heap was trimmed (resident
    /// memory over `residentCeilingBytes`).
    var microBatches = 0
    var trims = 0
    /// Keeps the partitions in step (`keepPartitionsInStep`); its readings' buffer is reused.
    let alignment = PartitionAlignment()
    var readings: [(TopicPartition, PartitionAlignment.Reading)] = []
    /// The partition of the run of messages in progress (it may continue into the next poll),
    /// and its messages so far.
    var runPartition: TopicPartition?
    var runLength: Int64 = 0
    /// Runs are counted only while two or more partitions are being fetched (read, not paused):
    /// a partition fetched alone delivers fetch after fetch in one run.
    var measuringSteps = true

    /// Per-partition bookkeeping while it is assigned to this process.
    struct PartitionState {
        /// Next offset expected (older messages, re-deliveries after a seek, are skipped) and
        /// the end to reach (available-now) or the last known high watermark (lag).
        var cursor = PartitionCursor()
        /// Last offset of the micro-batch in flight.
        var pendingLast: Int64?
        /// Last offset committed to the data / quarantine table.
        var dataTxn: Int64?
        var quarantineTxn: Int64?
        var window: DedupWindow?
        /// The first offset this run read or was to read (`PartitionAlignment.Reading.from`).
        var from: Int64?
        /// When a poll last delivered one of its messages, or it was assigned or resumed
        /// (monotonic seconds): long ago while not paused, it is idle.
        var lastDelivery = monotonicSeconds()
        /// Runs of its messages uninterrupted by another partition's, and their messages, counted
        /// while others were fetched too (`IngestJob.measuringSteps`): the mean is what one fetch
        /// brings (`PartitionAlignment.Reading.step`). Not the largest run: now and then a
        /// partition ends one response and starts the next.
        var runs: Int64 = 0
        var runMessages: Int64 = 0
        var step: Int64 { runs == 0 ? 0 : runMessages / runs }
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
        progressRate = ProgressRate(startMicros: started)
        config.kafkaClient.logStart(logger)
        let data = try DeltaTable.create(at: config.table, schema: config.streamType.schema, partitionColumns: StreamType.partitionColumns, clock: clock)
        let quar = try DeltaTable.create(at: config.quarantineTable, schema: QuarantineBuffer.schema, partitionColumns: QuarantineBuffer.partitionColumns, clock: clock)
        var options = TableWriterOptions()
        options.maxBufferedBytes = IngestJob.maxBufferedFileBytes
        options.parquet.compression = .zstd(level: config.zstdLevel)
        // UUIDs and the `items` JSON never repeat: decide once per column, not per day file.
        options.parquet.dictionaryVerdicts = DictionaryVerdicts()
        // The UUID columns barely compress at level 1: their literals are coded, no matches sought.
        if config.zstdLevel >= 1 { options.parquet.compressionVerdicts = CompressionVerdicts() }
        // `items` is ~75% of the ZSTD input: its pages go to whichever lane is less busy.
        options.parquet.compressionPool = PageCompressionPool(workers: options.parquet.compressionWorkers, balancesLanes: true)
        options.autoCompaction = config.autoCompaction
        dataWriter = try TableWriter(table: data, options: options)
        var quarantineOptions = TableWriterOptions()
        quarantineOptions.autoCompaction = config.autoCompaction
        quarantineWriter = try TableWriter(table: quar, options: quarantineOptions)
        chunks = try ChunkWriter(writer: dataWriter, quarantineWriter: quarantineWriter, lanes: IngestJob.writerLanes, maxInFlight: IngestJob.chunksInFlight)
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
        logger.info("free heap returned to the kernel after \(trims) of \(microBatches) micro-batches (resident over \(IngestJob.residentCeilingBytes >> 20) MiB)")
        return summary
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
    func finishQueuedCommits() throws {
        phases.drainWait += chunks.drain()
        try applyCompletedCommits()
    }

    // MARK: Assignment

    /// available-now: every partition of every topic, from the table's offsets to today's end.
    private func assignToEnd() throws {
        let dataTxns = try dataWriter.table.snapshot().txns
        let quarantineTxns = try quarantineWriter.table.snapshot().txns
        let starts = try KafkaStartPositions(
            topics: config.topics, committed: { dataTxns[IngestJob.appId($0)]?.version }, otherwise: config.startingOffsets, skipCaughtUp: true,
            partitions: { topic in try retrying("partitions of \(topic)") { () throws(KafkaError) in try consumer.partitions(topic: topic, timeout: .seconds(5)) } },
            watermarks: { tp in try retrying("watermarks of \(tp)") { () throws(KafkaError) in try consumer.watermarks(tp, timeout: .seconds(5)) } },
            logger: logger)
        for (tp, cursor) in starts.cursors {
            var state = newState(tp, dataTxns: dataTxns, quarantineTxns: quarantineTxns)
            state.cursor = cursor
            state.from = cursor.next
            partitions[tp] = state
        }
        try warmDedupWindows(Set(partitions.keys))
        logger.info("available-now: \(starts.assignment.count) of \(partitions.count) partitions have new messages",
                    metadata: ["lag": "\(lag)", "lost_to_retention": "\(starts.lostMessages)"])
        if !starts.assignment.isEmpty { try consumer.assign(starts.assignment) }
    }

    private func newState(_ tp: TopicPartition, dataTxns: [String: TxnAction], quarantineTxns: [String: TxnAction]) -> PartitionState {
        let id = IngestJob.appId(tp)
        return PartitionState(dataTxn: dataTxns[id]?.version, quarantineTxn: quarantineTxns[id]?.version,
                              window: config.dedupKey == nil ? nil : DedupWindow(capacity: config.dedupWindow))
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
                if let committed = s.dataTxn {
                    // The retention clamp of available-now: a committed position the broker no
                    // longer holds resumes at the low watermark, said in the log — not at
                    // auto.offset.reset, which is `latest` with --starting-offsets latest and
                    // would skip the partition's whole backlog. Without an answer (a short
                    // timeout inside the rebalance) the broker's reset applies.
                    if let marks = try? consumer.watermarks(tp, timeout: .seconds(2)) {
                        s.cursor = KafkaStartPositions.start(tp, after: committed, watermarks: marks, otherwise: config.startingOffsets, logger: logger).cursor
                    } else {
                        s.cursor.seek(to: committed + 1)
                    }
                }
                s.from = s.cursor.next
                partitions[tp] = s
                out.append(TopicPartitionOffset(topic: tp.topic, partition: tp.partition,
                                                offset: s.cursor.next ?? PartitionCursor.assignmentOffset(after: nil, otherwise: config.startingOffsets)))
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

    var isCaughtUp: Bool { partitions.values.allSatisfy(\.cursor.isCaughtUp) }

    var lag: Int64 { partitions.values.reduce(0) { $0 + $1.cursor.lag } }

    /// Closes the batch in flight and queues its commit (quarantine first, then the data table
    /// with every partition's progress) behind its chunks; applies the commits that finished
    /// meanwhile. Does nothing when no message was consumed.
    func commitMicroBatch() throws {
        try applyCompletedCommits()
        let pending = partitions.filter { $0.value.pendingLast != nil }
        guard !pending.isEmpty else { return }
        let now = clock.nowMicros()
        let keys = pending.keys.sorted()
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
    func reportGroupOffsets() {
        guard !unreportedGroupOffsets.isEmpty else { return }
        let offsets = unreportedGroupOffsets.keys.sorted()
            .map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: unreportedGroupOffsets[$0]!) }
        unreportedGroupOffsets = [:]
        let t0 = monotonicSeconds()
        do { try consumer.commit(offsets, async: true) } catch { logger.debug("group offset commit (monitoring only) failed: \(error)") }
        phases.groupCommit += monotonicSeconds() - t0
    }
}
