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
        func one(_ name: String, _ kind: MetricFamily.Kind, _ help: String, _ value: Double) -> MetricFamily {
            MetricFamily(name, kind, help: help, samples: [.init(labels: l, value: value)])
        }
        var out = [
            one("fs_publish_versions_total", .counter, "Publish cycles that brought the store to a new source version.", Double(summary.versionsPublished)),
            one("fs_publish_rows_read_total", .counter, "Input rows read from the new source versions.", Double(summary.rowsRead)),
            one("fs_publish_keys_upserted_total", .counter, "Keys written (inserted, or overwritten by a newer row; Kafka: messages).", Double(summary.keysUpserted)),
            one("fs_publish_rows_skipped_as_older_total", .counter, "Rows not written: the store held a row at the same or a later time.", Double(summary.rowsSkippedAsOlder)),
            one("fs_publish_null_keys_skipped_total", .counter, "Rows skipped for a NULL key.", Double(summary.nullKeysSkipped)),
            one("fs_publish_null_times_skipped_total", .counter, "Rows skipped for a NULL time.", Double(summary.nullTimesSkipped)),
        ]
        if let v = summary.sourceVersion { out.append(one("fs_publish_source_version", .gauge, "Source version the store holds.", Double(v))) }
        if let v = inputVersion { out.append(one("fs_publish_input_version", .gauge, "Newest version of the input table seen.", Double(v))) }
        return out
    }
}
