import FSAggregation
import FSCore
import FSTable
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What an online run did; printed as the `--summary` JSON and asserted by tests.
public struct OnlineSummary: JobSummaryDetails, Equatable {
    /// completed (available-now, input consumed), stopped (signal) or running.
    public var status = JobStatus.running
    public var inputVersion: Int64?
    public var outputVersion: Int64?
    public var triggers = 0
    public var versionsProcessed = 0
    /// Rows read in this run (the engine counters below are totals over every run).
    public var eventsThisRun: Int64 = 0
    public var counters = WindowCounters()
    public var watermark: Int64?
    public var openWindows = 0
    public var liveKeySlices = 0
    /// Size of the last serialized window state (the checkpoint).
    public var stateBytes = 0
    /// Most (key, slice) states held at once (measured before each micro-batch's last emission,
    /// and after an input file when the state grew by a quarter since the last measure).
    public var peakLiveKeySlices = 0
    /// `WindowedAggregator.stateMemoryBytes` at that peak.
    public var peakStateMemoryBytes = 0
    /// `--kafka-topics`: messages the stream's parser refused in this run (not aggregated).
    public var unparsedMessages = 0
    /// `--kafka-topics`: refused messages this run added to the quarantine table (fewer than
    /// `unparsedMessages` when a restart re-read some that an earlier run already committed).
    public var quarantinedMessages = 0
    public var seconds = 0.0

    public var eventsPerSecond: Double { seconds > 0 ? Double(eventsThisRun) / seconds : 0 }
    /// State memory per live (key, slice) at the peak: the figure the ≤ 200 B goal is about.
    public var bytesPerKeySlice: Double { peakLiveKeySlices > 0 ? Double(peakStateMemoryBytes) / Double(peakLiveKeySlices) : 0 }

    public var details: [(String, JSONValue)] {
        [
            ("inputVersion", inputVersion.map(JSONValue.int) ?? .null),
            ("outputVersion", outputVersion.map(JSONValue.int) ?? .null), ("triggers", .int(Int64(triggers))),
            ("versionsProcessed", .int(Int64(versionsProcessed))), ("eventsThisRun", .int(eventsThisRun)),
            ("eventsTotal", .int(counters.eventsIn)), ("lateEvents", .int(counters.lateEvents)),
            ("partiallyLateEvents", .int(counters.partiallyLateEvents)), ("nullTimeEvents", .int(counters.nullTimeEvents)),
            ("windowsEmitted", .int(counters.windowsEmitted)), ("rowsEmitted", .int(counters.rowsEmitted)),
            ("watermark", watermark.map { .string(formatISO8601(micros: $0)) } ?? .null), ("openWindows", .int(Int64(openWindows))),
            ("liveKeySlices", .int(Int64(liveKeySlices))), ("stateBytes", .int(Int64(stateBytes))),
            ("peakLiveKeySlices", .int(Int64(peakLiveKeySlices))), ("peakStateMemoryBytes", .int(Int64(peakStateMemoryBytes))),
            ("stateBytesPerKeySlice", .double(bytesPerKeySlice)),
            ("eventsPerSecond", .double(eventsPerSecond)), ("unparsedMessages", .int(Int64(unparsedMessages))),
            ("quarantinedMessages", .int(Int64(quarantinedMessages))),
        ]
    }
}

/// The online aggregation: tails the input table version by version, folds each version as one
/// micro-batch into the `WindowedAggregator`, and commits each trigger exactly once.
///
///     poll input log ──► versions v₁…vₙ (≤ --max-versions-per-trigger)
///       each vᵢ: scan its added files ──► add() (late rows aside), after each file emitFinalWindows()
///                (windows the later files cannot change) ──► endMicroBatch() (the rest)
///     late rows  ──► late table commit, txn(appId, vₙ)          (versions ≤ its txn skipped)
///     state      ──► <checkpoint-dir>/state-vₙ.bin              (before the output commit)
///     windows    ──► output commit, txn(appId, vₙ)              ← the commit point
///
/// appId = "fs-agg-online/<output table id>". On start the output's txn says which input version
/// the committed output covers and names the state snapshot to resume from, so kill -9 at any
/// point and a restart give the same output as an uninterrupted run: a version is one
/// micro-batch whatever the trigger grouping, so the result depends only on the input history.
public struct OnlineJob: RunnableJob {
    public let config: OnlineConfig
    public var clock: any WallClock = SystemWallClock()
    let logger: Logger

    public init(config: OnlineConfig, logger: Logger = Logger(label: "fs-agg-online")) {
        self.config = config
        self.logger = logger
    }

    /// A stable description of what the state depends on besides the window settings.
    func fingerprint(_ plan: FeaturePlan) -> String {
        "key=\(config.aggField);time=\(config.timeField);features=" + config.definitions.map(\.description).joined(separator: ";")
    }

    /// A streaming job: the first signal commits the trigger in flight, then `run` returns.
    public static var finishesBatchOnSignal: Bool { true }

    public static func prepareProcess(config: OnlineConfig, logger: Logger) {
        MallocTuning.keepLargeChunks()
        if config.common.masterMode.threads > 1 {
            logger.info("the window state is folded on one thread; --master-mode \(config.common.masterMode.text) affects file reading only")
        }
    }

    public func run() throws -> OnlineSummary {
        if let kafka = config.kafka { return try runKafka(kafka) }
        let started = clock.nowMicros()
        while try !DeltaTable.exists(at: config.inputTable) {
            if config.availableNow {
                throw UsageError.inputTableMissing(config.inputTable, remedy: "start fs-ingest first or drop --available-now to wait for it")
            }
            if let sig = StopSignal.pending {
                logger.info("signal \(sig) before the input table appeared: nothing to commit, stopping")
                return OnlineSummary(status: .stopped)
            }
            logger.notice("waiting for the input table to appear", metadata: ["input": "\(config.inputTable)"])
            sleepMicros(config.triggerIntervalMicros)
        }
        let input = try DeltaTable.open(at: config.inputTable, clock: clock)
        // Without tombstones: the first micro-batch may continue from it (see below).
        let current = try input.snapshot(holdingTombstones: false)
        let tableSchema = current.schema
        let columns = try Self.neededColumns(definitions: config.definitions, schema: tableSchema, key: config.aggField, time: config.timeField)
        let plan = try FeaturePlan(definitions: config.definitions, schema: tableSchema.projected(columns) ?? tableSchema, groupBy: config.aggField)
        var (engine, outputWriter, lateWriter, appId) = try makeEngineAndSinks(plan)
        let store = OnlineStateStore(directory: config.checkpointDir)
        let fingerprint = fingerprint(plan)

        // Resume from the state matching the committed output.
        let committed = try restoreCommittedState(into: &engine, outputWriter: outputWriter, appId: appId, store: store, fingerprint: fingerprint)
        if let v = committed, v > current.version { throw OnlineError.inputRewound(path: config.inputTable, processed: v, current: current.version) }
        try store.prune(committed: committed)
        var summary = OnlineSummary(inputVersion: committed, outputVersion: outputWriter.snapshot.version)
        summary.counters = engine.counters
        logger.info("starting", metadata: [
            "app_name": "\(config.common.appName)", "input": "\(config.inputTable)", "output": "\(config.outputTable)",
            "late_table": "\(config.lateTable)", "checkpoint": "\(config.checkpointDir)", "window": "\(config.window)",
            "watermark_delay": "\(WindowSpec.text(max(1, config.watermarkDelay)))", "mode": "\(config.outputMode.rawValue)",
            "resume_after_input_version": "\(committed.map(String.init) ?? "none")", "features": "\(plan.features.count)",
        ])

        let pipeline = try OnlineOutputPipeline(writer: outputWriter, lanes: outputLanes)
        // The start's snapshot parsed its newest commit: the tailer takes it from there.
        var tailer = LogTailer(log: input.log, after: committed ?? -1, known: current.newestCommit)
        // Without tombstones: this snapshot follows the input for weeks and only names files to read.
        var snapshot = try committed.map { try input.snapshot(version: $0, holdingTombstones: false) }
        let sinks = OnlineSinks(output: outputWriter, late: lateWriter, store: store, fingerprint: fingerprint)
        var progress = ProgressRate(startMicros: started)
        while true {
            if stopRequested(&summary) { break }
            var commits: [InputStep]
            do {
                commits = try tailer.poll(limit: config.maxVersionsPerTrigger).map {
                    InputStep(version: $0.version, addPaths: $0.adds.map(\.path), removedFiles: $0.removes.count, fromSnapshot: false)
                }
            } catch DeltaLogError.missingVersion {
                // The log was cleaned past our position. From scratch, the snapshot is one micro-batch.
                guard committed == nil, snapshot == nil, summary.versionsProcessed == 0 else {
                    throw OnlineError.inputLogTruncated(path: config.inputTable, after: tailer.lastVersion)
                }
                let s = try input.snapshot(holdingTombstones: false)
                snapshot = s
                commits = [InputStep(version: s.version, addPaths: s.sortedFiles.map(\.path), removedFiles: 0, fromSnapshot: true)]
                tailer = LogTailer(after: s)
                logger.notice("the input log starts after version 0; reading snapshot version \(s.version) as the first micro-batch")
            }
            if commits.isEmpty {
                if config.availableNow { summary.status = .completed; break }
                sleepMicros(config.triggerIntervalMicros)
                continue
            }
            var lateRows = 0
            // Late rows of versions the late table already holds (a run that died between the two
            // commits, possibly grouping versions differently) are not written again.
            let lateDone = lateWriter.snapshot.txns[appId]?.version ?? -1
            var lastVersion: Int64 = -1
            for c in commits {
                var s: Snapshot
                if c.version == current.version && !c.fromSnapshot {
                    // The start's snapshot is this version: not replayed or its commit parsed a
                    // third time (the bench's one commit of 365 adds is 0.8 MB of JSON, ~10–15 ms
                    // before any row is read).
                    s = current
                } else {
                    s = try snapshot ?? input.snapshot(version: c.version, holdingTombstones: false)
                    if snapshot != nil && !c.fromSnapshot {
                        // With the file's size: estimating it re-encodes every action as JSON
                        // (~60 ms for the bench's one commit of 365 adds, before any row is read).
                        let commit = try LogReplay.readCommitSized(input.log, version: c.version)
                        try s.apply(commit.actions, version: c.version, commitBytes: commit.bytes)
                    }
                }
                if s.schema != tableSchema { throw OnlineError.inputSchemaChanged(path: config.inputTable, version: c.version) }
                snapshot = s
                if c.removedFiles > 0 {
                    logger.warning("input version \(c.version) removed \(c.removedFiles) file(s); rows already aggregated stay counted (ignoreDeletes)")
                }
                if !c.addPaths.isEmpty {
                    let scan = try TableScan(snapshot: s, columns: columns, onlyPaths: Set(c.addPaths))
                    let files = OnlineInputBounds.readOrder(scan.files, timeField: config.timeField, keepPathOrder: engine.isOrderSensitive)
                    let bounds = OnlineInputBounds.laterTimeBounds(files, timeField: config.timeField)
                    // The next file is opened and decoded on another thread while this one is folded.
                    let reader = ScanReadAhead(scan: scan, files: files)
                    for i in files.indices {
                        try reader.forEachBatch(file: i) { batch in
                            summary.eventsThisRun += Int64(batch.rowCount)
                            let l = engine.add(batch)
                            if l.rowCount > 0 && c.version > lateDone { lateRows += l.rowCount; try lateWriter.write(l) }
                        }
                        // Windows no later file of this version can change are written now, on
                        // the output thread, while the next files are read and folded.
                        if bounds[i] != .max && bounds[i] != .min {
                            samplePeakState(engine, &summary, growth: 1.25)
                            try engine.emitFinalWindowsByRuns(remainingFrom: bounds[i]) { out in try pipeline.submit(out) }
                        }
                    }
                }
                samplePeakState(engine, &summary, growth: 1)
                // Staged chunk by chunk (invisible until the commit) on the output thread, while the
                // next chunks are merged: a trigger's output is never all in memory.
                try engine.endMicroBatchByRuns { out in try pipeline.submit(out) }
                lastVersion = c.version
                summary.versionsProcessed += 1
                // A stop request ends the trigger after this version; what was read is committed.
                if StopSignal.pending != nil { break }
            }
            let rowsWritten = try pipeline.finish()
            let txn = TxnAction(appId: appId, version: lastVersion, lastUpdated: clock.nowMicros() / 1000)
            let position = TriggerPosition(
                value: lastVersion, outputTxns: [txn], lateTxns: lateRows > 0 ? [txn] : nil,
                logMetadata: ["input_version": "\(lastVersion)", "peak_key_slices": "\(summary.peakLiveKeySlices)",
                              "peak_state_bytes_per_key_slice": "\(Int(summary.bytesPerKeySlice))"])
            try commitTrigger(position, engine: engine, sinks: sinks, rowsWritten: rowsWritten, summary: &summary, progress: &progress)
        }
        finishSummary(&summary, engine: engine, fingerprint: fingerprint, startedMicros: started)
        return summary
    }

    /// Writer threads of the output (`OnlineOutputPipeline`): two, one per core of the machines
    /// measured, so encoding keeps up with the one folding thread; one under `--master-mode local`.
    var outputLanes: Int { min(2, config.common.masterMode.threads) }

    /// The columns the features read, with the key and time fields, in table order: the scan
    /// reads only these (late rows keep these columns too).
    static func neededColumns(definitions: [FeatureDefinition], schema: Schema, key: String, time: String) throws -> [String] {
        let full = try FeaturePlan(definitions: definitions, schema: schema, groupBy: key)
        guard let timeField = schema.field(named: time) else {
            throw UsageError(flag: "--time-field", message: "unknown column \"\(time)\"; the table has \(schema.names.joined(separator: ", "))")
        }
        var needed: Set<String> = [schema.fields[full.keyIndex].name, timeField.name]
        for a in full.aggregates {
            for name in a.call.referencedColumns { if let f = schema.field(named: name) { needed.insert(f.name) } }
        }
        return schema.names.filter { needed.contains($0) }
    }

    /// Records the live (key, slice) states and their memory when they exceed the peak so far
    /// by the factor `growth` (1: any new peak). Measuring the memory walks the whole state, so
    /// the samples taken after each input file wait for a quarter's growth: the recorded peak is
    /// then within a quarter of the true one, and its bytes per (key, slice) are measured, never
    /// scaled.
    func samplePeakState(_ engine: WindowedAggregator, _ summary: inout OnlineSummary, growth: Double) {
        let live = engine.liveKeySlices
        guard Double(live) > Double(summary.peakLiveKeySlices) * growth, live > summary.peakLiveKeySlices else { return }
        summary.peakLiveKeySlices = live
        summary.peakStateMemoryBytes = engine.stateMemoryBytes
    }

    /// Sleeps up to `micros`, in steps of at most 100 ms, returning early on a stop signal.
    func sleepMicros(_ micros: Int64) {
        var left = micros
        while left > 0 && StopSignal.pending == nil {
            let step = min(left, 100_000)
            var ts = timespec(tv_sec: Int(step / 1_000_000), tv_nsec: Int(step % 1_000_000) * 1000)
            var rest = timespec()
            while nanosleep(&ts, &rest) != 0 && errno == EINTR && StopSignal.pending == nil { ts = rest }
            left -= step
        }
    }
}

/// One input micro-batch: a table version and the data files it added.
struct InputStep {
    var version: Int64
    var addPaths: [String]
    var removedFiles: Int
    /// The whole snapshot at `version` (the log no longer starts at version 0).
    var fromSnapshot: Bool
}
