import FSAggregation
import FSCore
import FSTable
import Logging

/// Where a trigger's results go: the output and late tables, and the state snapshots.
struct OnlineSinks {
    var output: TableWriter
    var late: TableWriter
    var store: OnlineStateStore
    /// What the state depends on besides the window settings (`OnlineJob.fingerprint`).
    var fingerprint: String
}

/// What the input side of one trigger hands to the commit: its position and the txns that
/// record it. The table path's position is the last input version read; the Kafka path's is
/// the trigger's sequence number, with one txn per partition holding its last offset.
struct TriggerPosition {
    /// The input position the committed output covers; names the state snapshot.
    var value: Int64
    var outputTxns: [TxnAction]
    /// Txns of the late table's commit; nil when the trigger wrote no late rows.
    var lateTxns: [TxnAction]?
    /// Input-specific fields of the "trigger committed" log line.
    var logMetadata: Logger.Metadata
}

extension OnlineJob {
    /// The commit point of one trigger, the same for the table and the Kafka input:
    ///
    ///     late rows (already staged) ──► late commit with position.lateTxns
    ///     state                      ──► <checkpoint-dir>/state-<position>.bin
    ///     staged windows             ──► output commit with position.outputTxns   ← the commit point
    ///     older state snapshots      ──► pruned
    ///     --metrics-file             ──► rewritten
    ///
    /// The state is written before the output commit, so a committed output always has its
    /// state; a crash after the state write leaves a snapshot no commit names, which the next
    /// run prunes.
    func commitTrigger(_ position: TriggerPosition, engine: WindowedAggregator, sinks: OnlineSinks, rowsWritten: Int,
                       summary: inout OnlineSummary, progress: inout ProgressRate) throws {
        if let lateTxns = position.lateTxns { _ = try sinks.late.commit(txns: lateTxns, operation: "STREAMING UPDATE") }
        let state = engine.serialize(fingerprint: sinks.fingerprint)
        try sinks.store.write(inputVersion: position.value, state: state)
        let result = try sinks.output.commit(txns: position.outputTxns, operation: "STREAMING UPDATE")
        if let e = result.checkpointError { logger.warning("output checkpoint not written (the table is fine): \(e)") }
        try sinks.store.prune(committed: position.value)
        summary.triggers += 1
        summary.inputVersion = position.value
        summary.outputVersion = result.snapshot.version
        summary.stateBytes = state.count
        let rate = progress.perSecond(count: summary.eventsThisRun, nowMicros: clock.nowMicros())
        var metadata: Logger.Metadata = [
            "output_version": "\(result.snapshot.version)", "events": "\(engine.counters.eventsIn)", "events_per_s": "\(rate)",
            "watermark": "\(engine.watermark.map { formatISO8601(micros: $0) } ?? "none")",
            "open_windows": "\(engine.openWindowCount)", "rows_written": "\(rowsWritten)",
            "state_key_slices": "\(engine.liveKeySlices)", "state_bytes": "\(state.count)",
            "late": "\(engine.counters.lateEvents)", "partially_late": "\(engine.counters.partiallyLateEvents)",
        ]
        metadata.merge(position.logMetadata) { _, new in new }
        logger.info("trigger committed", metadata: metadata)
        writeMetrics(&summary, engine)
    }

    /// Checked at the top of each trigger: after a SIGTERM/SIGINT every earlier trigger is
    /// committed, so the loop ends with status `stopped`.
    func stopRequested(_ summary: inout OnlineSummary) -> Bool {
        guard let sig = StopSignal.pending else { return false }
        logger.info("signal \(sig): every trigger is committed, stopping")
        summary.status = .stopped
        return true
    }

    /// The engine's final figures in the summary, at the end of either loop.
    func finishSummary(_ summary: inout OnlineSummary, engine: WindowedAggregator, fingerprint: String, startedMicros: Int64) {
        summary.counters = engine.counters
        summary.watermark = engine.watermark
        summary.openWindows = engine.openWindowCount
        summary.liveKeySlices = engine.liveKeySlices
        if summary.stateBytes == 0 { summary.stateBytes = engine.serialize(fingerprint: fingerprint).count }
        summary.seconds = Double(clock.nowMicros() - startedMicros) / 1e6
        writeMetrics(&summary, engine)
    }
}
