import FSAggregation
import FSCore
import FSKafka
import FSStreams
import FSTable

/// `--kafka-topics`: the same engine and commit protocol as the table path, with Kafka offsets
/// as the input position.
///
///     poll (≤ --max-offsets-per-trigger) ──► rows ──► add() ──► endMicroBatch() ──► staged output
///     refused messages (minus offsets the quarantine table already holds) ──► quarantine commit,
///                                                                              txn per partition
///     late rows (minus offsets the late table already holds) ──► late commit, txn per partition
///     state ──► <checkpoint-dir>/state-<trigger n>.bin
///     output commit: txn(appId, n) + txn(appId/<topic>/<partition>, last offset) ← the commit point
///
/// A restart resumes every partition after its committed offset with the state of trigger n,
/// so each message counts exactly once. (Where a trigger ends depends on what the broker had
/// when it was polled, as in Spark's Kafka source; the table path instead gets its micro-batches
/// from the input's commits.)
extension OnlineJob {
    func runKafka(_ input: OnlineKafkaInput) throws -> OnlineSummary {
        let started = clock.nowMicros()
        let tableSchema = input.streamType.schema
        let coordinates = ["fs_topic", "fs_partition", "fs_offset"]
        let needed = Set(try Self.neededColumns(definitions: config.definitions, schema: tableSchema, key: config.aggField, time: config.timeField)
                         + coordinates)
        let columns = tableSchema.names.filter { needed.contains($0) }
        let schema = tableSchema.projected(columns) ?? tableSchema
        let plan = try FeaturePlan(definitions: config.definitions, schema: schema, groupBy: config.aggField)
        var (engine, outputWriter, lateWriter, appId) = try makeEngineAndSinks(plan)
        let store = OnlineStateStore(directory: config.checkpointDir)
        let fingerprint = fingerprint(plan) + ";kafka=" + input.streamType.rawValue

        let committed = try restoreCommittedState(into: &engine, outputWriter: outputWriter, appId: appId, store: store, fingerprint: fingerprint)
        try store.prune(committed: committed)
        let offsets = Self.partitionOffsets(outputWriter.snapshot.txns, appId: appId)
        var lateDone = Self.partitionOffsets(lateWriter.snapshot.txns, appId: appId)
        let quarantineWriter = try makeQuarantineWriter(input)
        let source = try OnlineKafkaSource(input: input, committed: offsets,
                                           quarantined: Self.partitionOffsets(quarantineWriter.snapshot.txns, appId: appId),
                                           availableNow: config.availableNow,
                                           groupId: "fs-agg-online-" + outputWriter.snapshot.metadata.id, logger: logger)
        var summary = OnlineSummary(inputVersion: committed, outputVersion: outputWriter.snapshot.version)
        summary.counters = engine.counters
        logger.info("starting", metadata: [
            "app_name": "\(config.common.appName)", "input": "\(config.inputTable)", "stream_type": "\(input.streamType)",
            "output": "\(config.outputTable)", "late_table": "\(config.lateTable)", "window": "\(config.window)",
            "mode": "\(config.outputMode.rawValue)", "resume_after_trigger": "\(committed.map(String.init) ?? "none")",
        ])
        var sequence = committed ?? 0
        let sinks = OnlineSinks(output: outputWriter, late: lateWriter, store: store, fingerprint: fingerprint)
        var progress = ProgressRate(startMicros: started)
        let pipeline = try OnlineOutputPipeline(writer: outputWriter, lanes: outputLanes)
        while true {
            if stopRequested(&summary) { break }
            guard let read = try source.readMicroBatch(waitMicros: config.triggerIntervalMicros, nowMicros: { clock.nowMicros() }) else {
                if config.availableNow && source.isCaughtUp { summary.status = .completed; break }
                continue
            }
            guard let rows = read.rows.projected(columns) else { preconditionFailure("stream rows lack the planned columns") }
            summary.eventsThisRun += Int64(rows.rowCount)
            let lateRows = Self.notYetWritten(engine.add(RecordBatch(schema: schema, columns: rows.columns)), done: lateDone)
            try engine.endMicroBatchByRuns { out in try pipeline.submit(out) }
            let rowsWritten = try pipeline.finish()
            sequence += 1
            let now = clock.nowMicros() / 1000
            let partitionTxns = Self.partitionTxns(read.last, appId: appId, lastUpdated: now)
            if lateRows.rowCount > 0 { try lateWriter.write(lateRows) }
            if let refused = read.quarantine {
                // Before the commit point: a crash after it re-reads these messages, and the
                // quarantine txns say they are already there.
                try quarantineWriter.write(refused)
                _ = try quarantineWriter.commit(txns: Self.partitionTxns(read.last, past: source.quarantineDone, appId: appId, lastUpdated: now),
                                                operation: "STREAMING UPDATE")
                source.quarantineCommitted(read.last)
                summary.quarantinedMessages += refused.rowCount
            }
            summary.versionsProcessed += 1
            summary.unparsedMessages = source.quarantined
            let position = TriggerPosition(
                value: sequence, outputTxns: [TxnAction(appId: appId, version: sequence, lastUpdated: now)] + partitionTxns,
                lateTxns: lateRows.rowCount > 0 ? Self.partitionTxns(read.last, past: lateDone, appId: appId, lastUpdated: now) : nil,
                logMetadata: ["trigger": "\(sequence)", "unparsed": "\(source.quarantined)"])
            try commitTrigger(position, engine: engine, sinks: sinks, rowsWritten: rowsWritten, summary: &summary, progress: &progress)
            if lateRows.rowCount > 0 { for (tp, o) in read.last { lateDone[tp] = max(lateDone[tp] ?? o, o) } }
        }
        summary.unparsedMessages = source.quarantined
        finishSummary(&summary, engine: engine, fingerprint: fingerprint, startedMicros: started)
        return summary
    }

    /// `--quarantine-table` (created if missing): fs-ingest's quarantine schema and partitions.
    private func makeQuarantineWriter(_ input: OnlineKafkaInput) throws -> TableWriter {
        let table = try DeltaTable.create(at: input.quarantineTable, schema: QuarantineBuffer.schema,
                                          partitionColumns: QuarantineBuffer.partitionColumns, clock: clock)
        var options = TableWriterOptions()
        options.autoCompaction = config.autoCompaction
        return try TableWriter(table: table, options: options)
    }

    /// `txn(<appId>/<topic>/<partition>, last offset)` per partition of `last` that moves past
    /// `done` (what the table's txns already hold), in partition order.
    ///
    /// A commit carrying a txn the table holds at that version or later is dropped whole
    /// (`TableWriter`: "already committed by an earlier run"). After a restart a trigger may end
    /// below where a killed run's late or quarantine commit reached on one partition while it
    /// brings new rows of another: that partition's txn must stay out of the commit, or the new
    /// rows would be dropped with it — and the txn would move back.
    static func partitionTxns(_ last: [TopicPartition: Int64], past done: [TopicPartition: Int64] = [:], appId: String,
                              lastUpdated: Int64) -> [TxnAction] {
        last.filter { tp, offset in done[tp].map { offset > $0 } ?? true }
            .sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
            .map { TxnAction(appId: "\(appId)/\($0.key.topic)/\($0.key.partition)", version: $0.value, lastUpdated: lastUpdated) }
    }

    /// The per-partition offsets in a table's txns (`<appId>/<topic>/<partition>` → last offset).
    static func partitionOffsets(_ txns: [String: TxnAction], appId: String) -> [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        let prefix = appId + "/"
        for (id, txn) in txns where id.hasPrefix(prefix) {
            let rest = id.dropFirst(prefix.count)
            guard let slash = rest.lastIndex(of: "/"), let p = Int32(rest[rest.index(after: slash)...]) else { continue }
            out[TopicPartition(topic: String(rest[..<slash]), partition: p)] = txn.version
        }
        return out
    }

    /// Late rows whose message is not in the late table yet (a run that died between the late
    /// and the output commit re-reads them).
    static func notYetWritten(_ late: RecordBatch, done: [TopicPartition: Int64]) -> RecordBatch {
        guard late.rowCount > 0, !done.isEmpty, let topics = late.column(named: "fs_topic")?.strings,
              let partitions = late.column(named: "fs_partition")?.int32s, let offsets = late.column(named: "fs_offset")?.int64s else { return late }
        let keep = (0..<late.rowCount).filter { i in
            guard let d = done[TopicPartition(topic: topics[i], partition: partitions[i])] else { return true }
            return offsets[i] > d
        }
        return keep.count == late.rowCount ? late : late.gather(keep)
    }

    /// The window engine for `plan` and the two tables it writes (created if missing), shared
    /// by the table and Kafka paths; appId is the output table's txn id of this job.
    func makeEngineAndSinks(_ plan: FeaturePlan) throws -> (WindowedAggregator, TableWriter, TableWriter, String) {
        let engine: WindowedAggregator
        do {
            engine = try WindowedAggregator(plan: plan, spec: config.window, timeField: config.timeField,
                                            watermarkDelay: config.watermarkDelay, mode: config.outputMode)
        } catch {
            throw UsageError(flag: "--time-field", message: error.description)
        }
        let outputSchema = Schema(engine.outputSchema.fields + OnlineOutput.partitionColumns.map { Field($0, .int32) })
        let output = try DeltaTable.create(at: config.outputTable, schema: outputSchema, partitionColumns: OnlineOutput.partitionColumns,
                                           configuration: FeatureTableProperties.online(key: outputSchema.fields[0].name), clock: clock)
        let late = try DeltaTable.create(at: config.lateTable, schema: engine.lateSchema, clock: clock)
        var outputOptions = OnlineOutput.writerOptions, lateOptions = TableWriterOptions()
        outputOptions.autoCompaction = config.autoCompaction
        lateOptions.autoCompaction = config.autoCompaction
        let outputWriter = try TableWriter(table: output, options: outputOptions)
        let lateWriter = try TableWriter(table: late, options: lateOptions)
        return (engine, outputWriter, lateWriter, "fs-agg-online/" + outputWriter.snapshot.metadata.id)
    }


    /// Loads the window state the output's txn names (the commit point) and returns that
    /// position; nil on a fresh output. An output with rows but no txn of ours is refused.
    func restoreCommittedState(into engine: inout WindowedAggregator, outputWriter: TableWriter, appId: String,
                               store: OnlineStateStore, fingerprint: String) throws -> Int64? {
        let committed = outputWriter.snapshot.txns[appId]?.version
        if committed == nil, !outputWriter.snapshot.files.isEmpty {
            throw OnlineError.stateCorrupt(file: config.outputTable, reason: "the output table holds rows this job did not write; choose a new output table")
        }
        if let v = committed {
            do { try engine.restore(try store.read(inputVersion: v), fingerprint: fingerprint) } catch let e as StateDecodingError {
                throw OnlineError.stateCorrupt(file: store.path(forInputVersion: v), reason: e.description)
            }
        }
        return committed
    }

}
