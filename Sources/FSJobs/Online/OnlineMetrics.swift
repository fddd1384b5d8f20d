import FSAggregation
import FSCore

/// fs-agg-online's `--metrics-file` content (README "Metrics"), from the run summary as it stands
/// after a trigger — the same numbers the `--summary` prints at exit. Engine counters (events,
/// late, windows, rows) are totals over every run, restored with the state, so they never go
/// back after a restart; `triggers` and `unparsed` count this process.
struct OnlineMetrics {
    var summary: OnlineSummary
    /// The output table, the label that tells two online jobs on one host apart.
    var outputTable: String

    var families: [MetricFamily] {
        let l = [("output_table", outputTable)]
        let c = summary.counters
        var out = [
            MetricFamily("fs_online_events_total", .counter, help: "Events aggregated (every run of this output table).", labels: l, value: Double(c.eventsIn)),
            MetricFamily("fs_online_late_events_total", .counter, help: "Events older than the watermark, written to the late table.", labels: l, value: Double(c.lateEvents)),
            MetricFamily("fs_online_partially_late_events_total", .counter, help: "Events whose oldest windows were already closed.", labels: l, value: Double(c.partiallyLateEvents)),
            MetricFamily("fs_online_null_time_events_total", .counter, help: "Events without an event time (not aggregated).", labels: l, value: Double(c.nullTimeEvents)),
            MetricFamily("fs_online_windows_emitted_total", .counter, help: "Windows written to the output table.", labels: l, value: Double(c.windowsEmitted)),
            MetricFamily("fs_online_rows_emitted_total", .counter, help: "Rows written to the output table.", labels: l, value: Double(c.rowsEmitted)),
            MetricFamily("fs_online_triggers_total", .counter, help: "Triggers committed by this process.", labels: l, value: Double(summary.triggers)),
            MetricFamily("fs_online_unparsed_messages_total", .counter, help: "Kafka messages the stream parser refused (--kafka-topics), this process.", labels: l, value: Double(summary.unparsedMessages)),
            MetricFamily("fs_online_quarantined_messages_total", .counter, help: "Refused Kafka messages added to the quarantine table (--kafka-topics), this process.",
                         labels: l, value: Double(summary.quarantinedMessages)),
            MetricFamily("fs_online_open_windows", .gauge, help: "Windows holding state.", labels: l, value: Double(summary.openWindows)),
            MetricFamily("fs_online_state_key_slices", .gauge, help: "(key, slice) states held.", labels: l, value: Double(summary.liveKeySlices)),
            MetricFamily("fs_online_state_bytes", .gauge, help: "Size of the last state checkpoint.", labels: l, value: Double(summary.stateBytes)),
        ]
        if let w = summary.watermark {
            out.append(MetricFamily("fs_online_watermark_timestamp_seconds", .gauge, help: "Event-time watermark (Unix time).", labels: l, value: Double(w) / 1e6))
        }
        if let v = summary.inputVersion { out.append(MetricFamily("fs_online_input_version", .gauge, help: "Last input version (or Kafka trigger) committed.", labels: l, value: Double(v))) }
        if let v = summary.outputVersion { out.append(MetricFamily("fs_online_output_version", .gauge, help: "Output table version after the last commit.", labels: l, value: Double(v))) }
        return out
    }
}

extension OnlineJob {
    /// Brings the summary's engine figures up to date and rewrites `--metrics-file` from it
    /// (after every trigger and at exit). A write failure is logged, never fatal: metrics must
    /// not stop the stream.
    func writeMetrics(_ summary: inout OnlineSummary, _ engine: WindowedAggregator) {
        summary.counters = engine.counters
        summary.watermark = engine.watermark
        summary.openWindows = engine.openWindowCount
        summary.liveKeySlices = engine.liveKeySlices
        guard let path = config.metricsFile else { return }
        do { try MetricsFile(path: path).write(OnlineMetrics(summary: summary, outputTable: config.outputTable).families) } catch {
            logger.warning("--metrics-file: \(error)")
        }
    }
}
