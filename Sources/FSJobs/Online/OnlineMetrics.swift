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
        func one(_ name: String, _ kind: MetricFamily.Kind, _ help: String, _ value: Double) -> MetricFamily {
            MetricFamily(name, kind, help: help, samples: [.init(labels: l, value: value)])
        }
        let c = summary.counters
        var out = [
            one("fs_online_events_total", .counter, "Events aggregated (every run of this output table).", Double(c.eventsIn)),
            one("fs_online_late_events_total", .counter, "Events older than the watermark, written to the late table.", Double(c.lateEvents)),
            one("fs_online_partially_late_events_total", .counter, "Events whose oldest windows were already closed.", Double(c.partiallyLateEvents)),
            one("fs_online_null_time_events_total", .counter, "Events without an event time (not aggregated).", Double(c.nullTimeEvents)),
            one("fs_online_windows_emitted_total", .counter, "Windows written to the output table.", Double(c.windowsEmitted)),
            one("fs_online_rows_emitted_total", .counter, "Rows written to the output table.", Double(c.rowsEmitted)),
            one("fs_online_triggers_total", .counter, "Triggers committed by this process.", Double(summary.triggers)),
            one("fs_online_unparsed_messages_total", .counter, "Kafka messages the stream parser refused (--kafka-topics), this process.", Double(summary.unparsedMessages)),
            one("fs_online_open_windows", .gauge, "Windows holding state.", Double(summary.openWindows)),
            one("fs_online_state_key_slices", .gauge, "(key, slice) states held.", Double(summary.liveKeySlices)),
            one("fs_online_state_bytes", .gauge, "Size of the last state checkpoint.", Double(summary.stateBytes)),
        ]
        if let w = summary.watermark {
            out.append(one("fs_online_watermark_timestamp_seconds", .gauge, "Event-time watermark (Unix time).", Double(w) / 1e6))
        }
        if let v = summary.inputVersion { out.append(one("fs_online_input_version", .gauge, "Last input version (or Kafka trigger) committed.", Double(v))) }
        if let v = summary.outputVersion { out.append(one("fs_online_output_version", .gauge, "Output table version after the last commit.", Double(v))) }
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
