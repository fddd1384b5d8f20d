import FSCore
import FSJobs

/// fs-publish's `--metrics-file` content for the online stores (README "Metrics"): the run's
/// counters — the same numbers as its `--summary` — and how far the store is behind the input,
/// labelled with the publisher type and the output table. Rewritten after every cycle, so with
/// `--follow` node_exporter's textfile collector sees the publisher keep up.
struct PublishMetrics {
    var summary: OnlinePublishSummary
    /// The input table's newest version at the last cycle (nil before the first).
    var inputVersion: Int64?

    var families: [MetricFamily] {
        let l = [("publisher_type", summary.publisherType), ("output_table", summary.outputTable)]
        var out = [
            MetricFamily("fs_publish_versions_total", .counter, help: "Publish cycles that brought the store to a new source version.", labels: l, value: Double(summary.versionsPublished)),
            MetricFamily("fs_publish_rows_read_total", .counter, help: "Input rows read from the new source versions.", labels: l, value: Double(summary.rowsRead)),
            MetricFamily("fs_publish_keys_upserted_total", .counter, help: "Keys written (inserted, or overwritten by a newer row; Kafka: messages).", labels: l, value: Double(summary.keysUpserted)),
            MetricFamily("fs_publish_rows_skipped_as_older_total", .counter, help: "Rows not written: the store held a row at the same or a later time.", labels: l, value: Double(summary.rowsSkippedAsOlder)),
            MetricFamily("fs_publish_null_keys_skipped_total", .counter, help: "Rows skipped for a NULL key.", labels: l, value: Double(summary.nullKeysSkipped)),
            MetricFamily("fs_publish_null_times_skipped_total", .counter, help: "Rows skipped for a NULL time.", labels: l, value: Double(summary.nullTimesSkipped)),
        ]
        if let v = summary.sourceVersion { out.append(MetricFamily("fs_publish_source_version", .gauge, help: "Source version the store holds.", labels: l, value: Double(v))) }
        if let v = inputVersion { out.append(MetricFamily("fs_publish_input_version", .gauge, help: "Newest version of the input table seen.", labels: l, value: Double(v))) }
        return out
    }
}
